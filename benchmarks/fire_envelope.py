"""The fire envelope the guard's dose cap is set from (safety/limits.py).

    python -m benchmarks.fire_envelope [--jobs J]

For every bread preset, fresh and frozen, 10-30 mm, 0.8-1.1 x rated mains and the
element at the top of its IEC 60335-1 power tolerance (945 W for a 900 W rating): an
optional previous batch (60-180 s) and a pause (3 s-10 min) make the start reading, then
the element heats without end until the bread surface reaches the 350 C fire threshold
(host_sim/hazard.py). The guard would have ended that batch after cap_ms(start reading)
of dose, weighted per second by dose_increment at that mains; the margin is the fire
time minus the guard's longest batch. Printed: the smallest margin per mains and start
reading, and the cases under the 10 s the limits promise.
"""

import itertools
import sys

from benchmarks import parallel_sweep
from host_sim import hazard
from host_sim.bread import PRESET_NAMES, Bread, sugar_factor
from host_sim.plant import BreadNode, Plant
from safety import advice
from safety.guard import dose_increment

RATED_V = 230.0
ELEMENT_W = 945.0  # 900 W + 5 % (IEC 60335-1, 10.1: heating appliances, +5 % / -10 %)
SUPPLY_RATIOS = (0.8, 0.95, 1.0, 1.05, 1.1)
THICKNESS_MM = (10.0, 15.0, 20.0, 25.0, 30.0)
PREVIOUS_S = (0, 60, 120, 180)
PAUSE_S = (3.0, 30.0, 120.0, 600.0)
PROMISED_MARGIN_S = 10.0
STEP_S = 0.05
GIVE_UP_S = 900.0


def cases():
    for bread, frozen, thick, ratio, prev, pause in itertools.product(
            PRESET_NAMES, (False, True), THICKNESS_MM, SUPPLY_RATIOS, PREVIOUS_S, PAUSE_S):
        if prev or pause == PAUSE_S[0]:
            yield bread, frozen, thick, ratio, prev, pause


def fire_time(case):
    """(start reading in C, seconds of heating to the fire threshold or None)."""
    bread_name, frozen, thick, ratio, prev, pause = case
    plant = Plant(22.0, 22.0, RATED_V * ratio, RATED_V, ELEMENT_W)
    if prev:
        first = Bread("white", False, None, 22.0)
        plant.bread = BreadNode(first, sugar_factor(first.sugar))
        for _ in range(int(prev / STEP_S)):
            plant.step(STEP_S, True)
        plant.bread = None
    for _ in range(int(pause / STEP_S)):
        plant.step(STEP_S, False)
    start_c = plant.thermistor_c
    bread = Bread(bread_name, frozen, thick, 22.0)
    plant.bread = BreadNode(bread, sugar_factor(bread.sugar))
    t = 0.0
    while plant.bread.surface_c < hazard.FIRE_SURFACE_C:
        if t >= GIVE_UP_S:
            return start_c, None
        plant.step(STEP_S, True)
        t += STEP_S
    return start_c, t


def guard_longest_s(start_c, ratio):
    """The longest batch (wall-clock s) the guard allows from this start at this mains."""
    per_second = dose_increment(1000, int(round(ratio * 1000)))  # ms x 1000 of dose per s
    return advice.cap_ms(int(start_c * 10)) * 1000 / per_second


def run(case):
    start_c, fire = fire_time(case)
    margin = None if fire is None else fire - guard_longest_s(start_c, case[3])
    return case, start_c, fire, margin


def main(argv=None):
    results = parallel_sweep("benchmarks.fire_envelope", __doc__, run, cases(), argv, chunksize=16)
    table = {}
    short = []
    for case, start_c, fire, margin in results:
        if margin is None:
            continue
        key = (case[3], int(start_c // 25) * 25)
        if key not in table or margin < table[key][0]:
            table[key] = (margin, case)
        if margin < PROMISED_MARGIN_S:
            short.append((margin, case, start_c))
    print("%d cases (%d never reach the fire threshold in %.0f s)." % (
        len(results), sum(1 for r in results if r[3] is None), GIVE_UP_S))
    print()
    print("| mains | start reading | least margin: fire time - guard's longest batch | worst case |")
    print("|---|---|---|---|")
    for (ratio, bucket), (margin, case) in sorted(table.items()):
        print("| %.2f x | %d-%d C | %.1f s | %s %s%s mm |" % (
            ratio, bucket, bucket + 25, margin, case[0], "frozen " if case[1] else "", case[2]))
    print()
    print("cases under the promised %.0f s margin: %d" % (PROMISED_MARGIN_S, len(short)))
    for margin, case, start_c in sorted(short)[:10]:
        print("  %.1f s: %s, start %.0f C" % (margin, case, start_c))
    return 0 if not short else 1


if __name__ == "__main__":
    sys.exit(main())
