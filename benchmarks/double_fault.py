"""The triple fault software cannot catch (hazard H15): the SSR welded, the isolating
relay welded AND the carriage jammed down, so the element stays on whatever the guard
does. (With the isolating relay sound, the guard's release of the carriage opens it:
the double fault of a welded SSR and a jammed carriage is the guard's, tested by
tests/test_fuse_spec.py.) Swept over every bread preset, fresh and frozen, preset and
thinnest (10 mm) slices, 0.8 / 1.0 / 1.1 x rated mains and a cold, warm and hot (149 C,
the highest the guard starts at) toaster.

    python -m benchmarks.double_fault [--jobs J]

Per group: how often the bimetal cut-out (safety/FUSE.md) opens before a slice ignites
or the chamber reaches 300 C (host_sim/hazard.py), the hottest surface in the cases it
saved, and, should the cut-out's contacts weld too, whether the thermal fuse alone opens
before the chamber fire threshold. The rig (host_sim/rig.py) runs the real cut-out and
fuse rules; only the guard is absent, as in the fault.
"""

import itertools
import sys

from benchmarks import parallel_sweep
from host_sim import hazard
from host_sim.bread import PRESET_NAMES
from host_sim.rig import Rig
from host_sim.runner import new_slice
from host_sim.scenario import Fault, Scenario, Slot, Toaster
from safety import limits

RATED_V = 230.0
SUPPLY_RATIOS = (0.8, 1.0, 1.1)
START_C = (22.0, 100.0, 149.0)
GIVE_UP_S = 1200  # the slowest case (frozen, 0.8 x rated) chars after ~11 min
STEP_MS = 500


def double_fault(case, cutout_fitted=True):
    """(seconds to the cut-out or fuse opening, to a fire threshold, to the chamber's fire
    threshold (None: never), the hottest bread surface, the chamber when it opened)."""
    bread_name, frozen, thickness, ratio, start_c = case
    toaster = Toaster(22.0, RATED_V * ratio, RATED_V, 900.0, start_c)
    faults = [Fault("relay_welded", 0.0), Fault("isolator_welded", 0.0), Fault("carriage_jammed", 0.0)]
    rig = Rig(Scenario("double-fault", 0, toaster, faults=faults), 0)
    rig.cutout_welded = not cutout_fitted
    rig.plant.load([new_slice(Slot(bread_name, frozen, thickness), 22.0) for _ in rig.plant.slots])
    rig.press_lever()
    opened = fired = chamber_fire = chamber_at_open = None
    while rig.now_ms < GIVE_UP_S * 1000 and (opened is None or fired is None):
        rig.spend_ms(STEP_MS)
        t_s = rig.now_ms / 1000.0
        cut = rig.fuse_open or rig.cutout_open
        plant = rig.plant
        if opened is None and cut:
            opened, chamber_at_open = t_s, plant.chamber_c
        if chamber_fire is None and plant.chamber_c >= hazard.FIRE_CHAMBER_C:
            chamber_fire = t_s
        if fired is None and (chamber_fire is not None or plant.ignited):
            fired = t_s
        if cut and fired is None and plant.element_c < plant.chamber_c + 5:
            break  # the element is off and cold: nothing left to catch fire
    return opened, fired, chamber_fire, rig.plant.max_surface_c, chamber_at_open


def run_case(case):
    cutout = double_fault(case)
    fuse_only = double_fault(case, cutout_fitted=False)
    return case, cutout, fuse_only


def cases():
    for name, frozen, thin, ratio, start in itertools.product(
            PRESET_NAMES, (False, True), (False, True), SUPPLY_RATIOS, START_C):
        yield name, frozen, 10.0 if thin else None, ratio, start


def prevented(opened, fired):
    return fired is None or (opened is not None and opened < fired)


def summarise(results):
    groups = {}
    for case, cutout, fuse_only in results:
        key = ("10 mm" if case[2] else "preset", case[3], case[4])
        g = groups.setdefault(key, {"n": 0, "cutout": 0, "hottest": 0.0, "chamber": 0})
        g["n"] += 1
        if prevented(*cutout[:2]):
            g["cutout"] += 1
            g["hottest"] = max(g["hottest"], cutout[3])
        g["chamber"] += prevented(fuse_only[0], fuse_only[2])
    return groups


def main(argv=None):
    results = parallel_sweep("benchmarks.double_fault", __doc__, run_case, cases(), argv, chunksize=4)
    groups = summarise(results)
    low = hazard.CUTOUT_DOSE_S * (1.0 - hazard.CUTOUT_TOLERANCE)
    print("Welded SSR + welded isolating relay + jammed carriage, %d cases. Cut-out opens at %.0f s"
          " +-%.0f %% of rated-equivalent on-time; the guard's longest dose cap is %.0f s, below the"
          " cut-out's earliest %.0f s."
          % (len(results), hazard.CUTOUT_DOSE_S, 100 * hazard.CUTOUT_TOLERANCE,
             limits.FULL_DOSE_CAP_MS / 1000.0, low))
    print()
    print("| slice | mains | start | cut-out before fire | hottest surface when prevented | fuse alone holds the chamber |")
    print("|---|---|---|---|---|---|")
    totals = {"preset": [0, 0], "10 mm": [0, 0]}
    for key in sorted(groups, key=lambda k: (k[0] != "preset", k[1], k[2])):
        g = groups[key]
        totals[key[0]][0] += g["cutout"]
        totals[key[0]][1] += g["n"]
        hottest = "%.0f C" % g["hottest"] if g["cutout"] else "—"
        print("| %s | %.1f x | %.0f C | %d/%d | %s | %d/%d |" % (
            key[0], key[1], key[2], g["cutout"], g["n"], hottest, g["chamber"], g["n"]))
    print()
    for label, (ok, n) in totals.items():
        print("%s slices: the cut-out prevents the fire threshold in %d of %d cases (%.0f %%)"
              % (label, ok, n, 100.0 * ok / n))
    chamber_fires = sum(1 for _, _, f in results if not prevented(f[0], f[2]))
    hottest_chamber = max(f[4] for _, _, f in results if f[4] is not None)
    print("cut-out welded too: the fuse opens before the chamber reaches %.0f C in %d of %d cases"
          " (chamber at most %.0f C when it opens)"
          % (hazard.FIRE_CHAMBER_C, len(results) - chamber_fires, len(results), hottest_chamber))
    return 0


if __name__ == "__main__":
    sys.exit(main())
