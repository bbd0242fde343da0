"""Reach: which (bread, thickness, shade, mains, room, history) cells the toaster browns
to the shade asked for, with the shipped model, through the real loop and guard.

    python -m benchmarks.reach [--jobs J] [--model M | --oracle] [--degraded] [--quick]

The grid: every preset x 10/15/20/25 mm x fresh/frozen x shades 1-7 x 0.9/1.0/1.1 x
rated mains (the 230 V and 120 V families) x from cold / 20 s after a medium white
batch x 10/22/35 C rooms (14,112 cells; --quick: one room, one family, 10/20 mm).
Both slots hold the cell's bread; the sensing is nominal (scenario defaults).

Goals (issue 13): fresh shades 1-6 within +-0.5 shade in >= 95 % of cells; shade 7 and
frozen bread within +-1 shade in >= 90 %. Every cell the physics forbids is listed
with its reason: the oracle (a model that knows the plant and answers the exact time)
cannot reach the shade there either, because the guard's surface limit or a cap ends
the batch first. `--degraded` runs every batch with the surface sensing failed (a
thermopile that does not answer): the bread-agnostic cap of the degraded mode.
"""

import argparse
import copy
import itertools
import sys
from collections import Counter

from host_sim import models, scenario
from host_sim.bread import PRESET_NAMES
from host_sim.runner import Simulation

THICKNESS_MM = (10.0, 15.0, 20.0, 25.0)
SHADES = tuple(range(1, 8))
SUPPLY_RATIOS = (0.9, 1.0, 1.1)
FAMILIES = (230.0, 120.0)
ROOMS_C = (10.0, 22.0, 35.0)
HISTORIES = ("cold", "warm")
WARM_GAP_S = 20.0
FIRST_PRESS_S = 5.0
STEP_S = 0.05
GOAL_FRESH = (0.5, 0.95)  # within +-0.5 shade in >= 95 % of fresh shade 1-6 cells
GOAL_HARD = (1.0, 0.90)  # within +-1 shade in >= 90 % of shade-7 and frozen cells
ENDS = ("surface_cut", "dose_cap", "time_cap")


class Oracle:
    """Knows the plant: integrates a copy of it from the press until slot 1's slice
    reaches the target, and answers that heater time (the time cap if never)."""

    def __init__(self):
        self.rig = None

    def predict(self, x):
        from safety import limits
        plant = copy.deepcopy(self.rig.plant)
        target = 6.0 * x[0]
        cap_s = limits.TIME_CAP_MS / 1000.0
        t = 0.0
        while plant.slots[0].delta_e < target and t < cap_s:
            plant.step(STEP_S, True)
            t += STEP_S
        return min(t, cap_s)


def cells(quick=False):
    rooms = (22.0,) if quick else ROOMS_C
    families = (230.0,) if quick else FAMILIES
    thick = (10.0, 20.0) if quick else THICKNESS_MM
    return list(itertools.product(PRESET_NAMES, thick, (False, True), SHADES, SUPPLY_RATIOS, families,
                                  rooms, HISTORIES))


def scenario_of(cell, degraded=False):
    bread, mm, frozen, shade, ratio, rated, room, history = cell
    toaster = scenario.Toaster(room, round(rated * ratio, 2), rated, 900.0)
    batches = []
    if history == "warm":
        batches.append(scenario.Batch("white", False, 4, None, FIRST_PRESS_S))
    batches.append(scenario.Batch(bread, frozen, shade, mm, WARM_GAP_S if batches else FIRST_PRESS_S))
    faults = [scenario.Fault("surface_open", 0.0, None, 1)] if degraded else []
    return scenario.Scenario("reach", 1, toaster, batches, faults)


class Job:
    """One cell through the real loop, guard and plant with the chosen model."""

    def __init__(self, which, degraded):
        self.which = which
        self.degraded = degraded
        self.loaded = None

    def __call__(self, cell):
        model = self._model()
        sim = Simulation(scenario_of(cell, self.degraded), model=model, trace=False)
        if isinstance(model, Oracle):
            model.rig = sim.rig
        result = sim.run()
        last = result["batches"][-1]
        ended = [e for e in last["guard_events"] if e in ENDS]
        return cell, last["shade_achieved"], ended[0] if ended else "done", result["hazard"]

    def _model(self):
        if self.which == "oracle":
            return Oracle()
        if self.loaded is None:
            self.loaded = models.load(self.which)
        return self.loaded


def within(cell, achieved, tolerance):
    return abs(achieved - cell[3]) <= tolerance


def summarise(runs, physics):
    """Rows for the table, the forbidden cells (with the oracle's reason) and hazards."""
    fresh = [r for r in runs if not r[0][2] and r[0][3] <= 6]
    hard = [r for r in runs if r[0][2] or r[0][3] == 7]
    rows = []
    for name, group, (tol, goal) in (("fresh, shades 1-6", fresh, GOAL_FRESH),
                                     ("shade 7 or frozen", hard, GOAL_HARD)):
        ok = sum(within(r[0], r[1], tol) for r in group)
        rows.append((name, len(group), tol, ok, ok / max(len(group), 1), goal))
    forbidden = Counter()
    for cell, achieved, ended, _ in physics:
        tol = GOAL_FRESH[0] if not cell[2] and cell[3] <= 6 else GOAL_HARD[0]
        if not within(cell, achieved, tol):
            forbidden[(ended, cell[0], cell[1], cell[2], cell[3], cell[4])] += 1
    return rows, forbidden, sum(r[3] for r in runs)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.reach", description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--model", default=None, help="an .onnx file (default: the shipped model)")
    p.add_argument("--oracle", action="store_true", help="the physics oracle instead of a model")
    p.add_argument("--degraded", action="store_true", help="every batch with the surface sensing failed")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    from concurrent.futures import ProcessPoolExecutor
    from rich.progress import track
    grid = cells(args.quick)
    which = "oracle" if args.oracle else args.model
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(track(pool.map(Job(which, args.degraded), grid, chunksize=8), total=len(grid),
                          description="cells (%s)" % (which or "shipped model")))
        physics = runs if args.oracle else list(track(pool.map(Job("oracle", args.degraded), grid, chunksize=8),
                                                      total=len(grid), description="cells (oracle)"))
    rows, forbidden, hazards = summarise(runs, physics)
    mode = "degraded mode (surface sensing failed)" if args.degraded else "full mode"
    print("%d cells, %s, %s; hazards: %d" % (len(grid), which or "shipped model", mode, hazards))
    print()
    print("| cells | n | within | reached | share | goal | ratio to goal |")
    print("|---|---|---|---|---|---|---|")
    for name, n, tol, ok, share, goal in rows:
        print("| %s | %d | +-%.1f shade | %d | %.1f %% | %.0f %% | %.2fx |" % (name, n, tol, ok, 100 * share, 100 * goal, share / goal))
    print()
    print("Cells the physics forbids (the oracle misses them too), by what ended the batch:")
    by_end = Counter()
    for (ended, *_), n in forbidden.items():
        by_end[ended] += n
    for ended, n in by_end.most_common():
        print("  %s: %d cells" % (ended, n))
    for (ended, bread, mm, frozen, shade, ratio), n in sorted(forbidden.items(), key=lambda kv: -kv[1])[:40]:
        print("    %s: %s %s%.0f mm shade %d at %.1f x (%d cells)" % (ended, bread, "frozen " if frozen else "", mm, shade, ratio, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
