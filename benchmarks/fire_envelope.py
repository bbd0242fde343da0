"""The fire envelope the guard's limits are set from (safety/limits.py), over the whole
operating envelope the product declares.

    python -m benchmarks.fire_envelope [--jobs J] [--quick]

Every bread preset, fresh and frozen, 10-30 mm, in both slots; 5, 22 and 40 C rooms;
0.8-1.1 x rated mains (all the supply check accepts); the element at the top of its
IEC 60335-1 power tolerance (945 W for 900 W: a fire comes sooner with more power, and
the guard cannot measure power). Each case is toasted back to back — the same load
again 5 s after each pop (the lockout is 3 s) — until the start reading settles (rises
< 2 C) or 12 batches, through the real firmware loop and guard, with a model that
always asks for the longest time the guard accepts. At each pop the plant is copied and
heated on at full power: the margin is how long that copy takes to ignite (host_sim/
hazard.py). Printed: the least margin per mains and start reading, and every batch
under the 10 s the limits promise.

The 120 V family is the same plant in per-unit terms (the plant and the guard see only
V / V_rated), so it is not swept twice.
"""

import copy
import itertools
import sys

from benchmarks import parallel_sweep
from host_sim import models, scenario
from host_sim.bread import PRESET_NAMES
from host_sim.runner import Simulation

RATED_V = 230.0
ELEMENT_W = 945.0  # 900 W + 5 % (IEC 60335-1, 10.1: heating appliances, +5 % / -10 %)
SUPPLY_RATIOS = (0.8, 0.9, 1.0, 1.05, 1.1)
ROOMS_C = (5.0, 22.0, 40.0)
THICKNESS_MM = (10.0, 15.0, 20.0, 25.0, 30.0)
RELOAD_S = 5.0
MAX_BATCHES = 12
SETTLED_C = 2.0
PROMISED_MARGIN_S = 10.0
STEP_S = 0.05
GIVE_UP_S = 600.0


class LongestModel:
    """Asks for the longest heater time the guard accepts, every time."""

    def predict(self, x):
        return 240.0


def cases(quick=False):
    breads = ("brioche", "white", "rye") if quick else PRESET_NAMES
    thick = (10.0, 30.0) if quick else THICKNESS_MM
    for bread, frozen, mm, ratio, room in itertools.product(breads, (False, True), thick, SUPPLY_RATIOS, ROOMS_C):
        yield bread, frozen, mm, ratio, room


def seconds_to_ignition(plant):
    """Seconds a copy of the plant, heated on, takes to ignite (None: not within GIVE_UP_S)."""
    p = copy.deepcopy(plant)
    p.ignited = False  # this load only
    t = 0.0
    while not p.ignited:
        if t >= GIVE_UP_S:
            return None
        p.step(STEP_S, True)
        t += STEP_S
    return t


class EnvelopeRun(Simulation):
    """A back-to-back run that measures, at each pop, the time left to ignition."""

    def __init__(self, sc, from_press=False):
        Simulation.__init__(self, sc, model=LongestModel(), trace=False)
        self.margins = []
        self.from_press = from_press
        self.press_ignite_s = None

    def start_batch(self, batch):
        Simulation.start_batch(self, batch)
        if self.from_press:
            self.press_ignite_s = seconds_to_ignition(self.rig.plant)

    def finish_batch(self):
        start_dc = self.ctl.guard.start_dc if self.ctl is not None else None
        self.margins.append((start_dc, self.current["heater_on_ms"] / 1000.0,
                             seconds_to_ignition(self.rig.plant), self.rig.plant.ignited, self.press_ignite_s))
        Simulation.finish_batch(self)

    def batch_over(self):
        over = Simulation.batch_over(self)
        if over and len(self.margins) >= 2 and self._settled():
            self.queue[:] = []  # settled: no more batches
        return over

    def _settled(self):
        a, b = self.margins[-2][0], self.margins[-1][0]
        return a is not None and b is not None and b - a < SETTLED_C * 10


def run(case, from_press=False):
    bread, frozen, mm, ratio, room = case
    toaster = scenario.Toaster(room, RATED_V * ratio, RATED_V, ELEMENT_W)
    batches = [scenario.Batch(bread, frozen, 7, mm, 0.0 if i == 0 else RELOAD_S) for i in range(MAX_BATCHES)]
    sim = EnvelopeRun(scenario.Scenario("envelope", 0, toaster, batches), from_press)
    result = sim.run()
    return case, sim.margins, result["hazard"]


def summarise(results):
    table, short, hazards, batches = {}, [], 0, 0
    for case, margins, hazard in results:
        hazards += hazard
        for i, (start_dc, on_s, ignite_s, ignited, _) in enumerate(margins):
            batches += 1
            if start_dc is None:
                continue
            margin = float("inf") if ignite_s is None else ignite_s
            key = (case[3], int(start_dc // 250) * 25)
            if key not in table or margin < table[key][0]:
                table[key] = (margin, case, i + 1, on_s)
            if margin < PROMISED_MARGIN_S or ignited:
                short.append((margin, case, i + 1, start_dc / 10.0, on_s))
    return table, short, hazards, batches


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in argv
    if quick:
        argv.remove("--quick")
    results = parallel_sweep("benchmarks.fire_envelope", __doc__, run, cases(quick), argv, chunksize=2)
    table, short, hazards, batches = summarise(results)
    print("%d cases, %d batches, %d with a hazard." % (len(results), batches, hazards))
    print()
    print("| mains | start reading | least margin to ignition at the pop | worst case (bread, frozen, mm, mains, room; batch; heater s) |")
    print("|---|---|---|---|")
    for (ratio, bucket), (margin, case, n, on_s) in sorted(table.items()):
        shown = "none in %.0f s" % GIVE_UP_S if margin == float("inf") else "%.1f s" % margin
        print("| %.2f x | %d-%d C | %s | %s; batch %d; %.1f s |" % (ratio, bucket, bucket + 25, shown, case, n, on_s))
    print()
    print("batches under the promised %.0f s margin: %d" % (PROMISED_MARGIN_S, len(short)))
    for margin, case, n, start_c, on_s in sorted(short, key=lambda s: s[0])[:15]:
        print("  %.1f s: %s batch %d, start %.0f C, heater %.1f s" % (margin, case, n, start_c, on_s))
    return 0 if not short and not hazards else 1


if __name__ == "__main__":
    sys.exit(main())
