"""Guard reaction: how many ticks the heater stays on after a reading the guard must act
on, and how far the chamber rises above the cut-off once the guard has cut.

    python -m benchmarks.reaction [--jobs J]

The cut-off is a backstop: under the dose cap and the 150 C start limit the plant's
chamber peaks near 180 C, so ordinary campaigns never reach it. This sweep drives it
there with the crumb_fire fault (1000 W from crumbs burning on the glowing element,
host_sim/rig.py) over hot restarts: three batches of one shade, 20-90 s apart, at 0.9 /
1.0 / 1.1 x rated mains, the fire from the first batch or from the second. A second
group injects every sensor fault (open, short, stuck, detached, noise) during heating.
Each case runs the real firmware loop, guard and plant (host_sim/fuzz.py's run_case).
"""

import itertools
import sys

from benchmarks import parallel_sweep
from host_sim import fuzz, scenario
from safety import limits

TARGET_EXTRA_TICKS = 0
TARGET_OVERSHOOT_C = 5.0
SENSOR_FAULTS = ("thermistor_open", "thermistor_short", "thermistor_stuck", "thermistor_detached", "adc_noise")


def fire_cases():
    for shade, ratio, gap, fire_at in itertools.product(range(1, 8), (0.9, 1.0, 1.1), (20.0, 45.0, 90.0), (0.0, 150.0)):
        toaster = scenario.Toaster(supply_v=230.0 * ratio)
        batches = [scenario.Batch("white", False, shade, None, 0.0 if i == 0 else gap) for i in range(3)]
        yield "crumb fire, hot restarts", scenario.Scenario(
            "reaction-fire", shade, toaster, batches, [scenario.Fault("crumb_fire", fire_at)], "adversarial:max-on-hot")


def sensor_cases():
    for kind, at_s, shade in itertools.product(SENSOR_FAULTS, (30.0, 90.0, 140.0), (2, 5, 7)):
        batches = [scenario.Batch("white", False, shade)]
        yield "sensor faults while heating", scenario.Scenario(
            "reaction-sensor", shade, batches=batches, faults=[scenario.Fault(kind, at_s, 5.0)], model="adversarial:huge")


def run(item):
    group, sc = item
    result, react = fuzz.run_case(sc)
    return group, result["hazard"], react


def main(argv=None):
    results = parallel_sweep("benchmarks.reaction", __doc__, run, list(fire_cases()) + list(sensor_cases()), argv, chunksize=4)
    groups = {}
    for group, hazard, react in results:
        g = groups.setdefault(group, {"n": 0, "hazards": 0, "trips": 0, "extra": 0, "overshoot": None})
        g["n"] += 1
        g["hazards"] += hazard
        g["trips"] += react["cutoff_trips"]
        g["extra"] = max(g["extra"], react["extra_ticks"])
        if react["overshoot_c"] is not None:
            g["overshoot"] = max(g["overshoot"] if g["overshoot"] is not None else -1e9, react["overshoot_c"])
    print("Cut-off %.0f C; targets: %d extra ticks, overshoot <= %.0f C." % (
        limits.CUTOFF_DC / 10.0, TARGET_EXTRA_TICKS, TARGET_OVERSHOOT_C))
    print()
    print("| cases | n | hazards | cut-off trips | worst extra ticks | worst overshoot | overshoot / target |")
    print("|---|---|---|---|---|---|---|")
    for group, g in groups.items():
        over = "—" if g["overshoot"] is None else "%.2f C" % g["overshoot"]
        ratio = "—" if g["overshoot"] is None else "%.2fx" % (g["overshoot"] / TARGET_OVERSHOOT_C)
        print("| %s | %d | %d | %d | %d | %s | %s |" % (group, g["n"], g["hazards"], g["trips"], g["extra"], over, ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
