"""Full adversarial toast cycles per second through the real firmware loop, guard and
plant, and where the time goes.

    python -m benchmarks.throughput [--cases N]

A case is a scenario of three back-to-back batches (5 s apart, then the simulator's 30 s
cool-down tail) with one built-in adversary, cycling through all nine and through the
bread presets and shades; a cycle is one batch, press to pop. One process, CPU time;
then the same cases once more under cProfile for the share of each part (cProfile slows
everything, so shares, not times, are taken from that pass).
"""

import argparse
import cProfile
import itertools
import pstats
import sys
import time

from host_sim import models, scenario
from host_sim.bread import PRESET_NAMES
from host_sim.runner import Simulation

TARGET_CYCLES_PER_S = 200.0  # issue 7: per core
PARTS = (("plant + virtual hardware", ("host_sim/plant.py", "host_sim/rig.py", "random.py")),
         ("guard (safety/)", ("safety/",)),
         ("control loop + board back-end (firmware/)", ("firmware/",)),
         ("simulator bookkeeping (runner, invariants)", ("host_sim/runner.py", "safety/invariants.py")))


def cases(n):
    combos = itertools.cycle(itertools.product(models.ADVERSARIES, PRESET_NAMES, range(1, 8)))
    out = []
    for i, (adversary, bread, shade) in zip(range(n), combos):
        batches = [scenario.Batch(bread, False, shade, None, 0.0 if j == 0 else 5.0) for j in range(3)]
        out.append(scenario.Scenario("throughput-%d" % i, i, batches=batches, model="adversarial:" + adversary))
    return out


def run(scs):
    cycles = ticks = 0
    for sc in scs:
        sim = Simulation(sc, trace=False)
        result = sim.run()
        cycles += len(result["batches"])
        ticks += sum(len(rows) for rows in sim.segments)
    return cycles, ticks


def part_of(path):
    for name, needles in PARTS:
        if any(n in path for n in needles):
            return name
    return "other (Python built-ins, scenario set-up)"


def shares(scs):
    profile = cProfile.Profile()
    profile.runcall(run, scs)
    totals = {}
    for (path, _line, _func), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(profile).stats.items():
        part = part_of(path)
        totals[part] = totals.get(part, 0.0) + tottime
    whole = sum(totals.values())
    return sorted(((part, t / whole) for part, t in totals.items()), key=lambda kv: -kv[1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    args = parser.parse_args(argv)
    scs = cases(args.cases)
    run(scs[:2])  # warm imports and caches
    t0 = time.process_time()
    cycles, ticks = run(scs)
    cpu = time.process_time() - t0
    rate = cycles / cpu
    print("%d cases, %d cycles, %d control ticks in %.2f s of CPU (one process)" % (len(scs), cycles, ticks, cpu))
    print()
    print("| measure | value | vs target |")
    print("|---|---|---|")
    print("| full toast cycles / s / core | %.1f | %.2fx of %.0f |" % (rate, rate / TARGET_CYCLES_PER_S, TARGET_CYCLES_PER_S))
    print("| control ticks / s / core | %.0f | |" % (ticks / cpu))
    print("| µs per control tick (loop + guard + 2 plant steps) | %.1f | |" % (1e6 * cpu / ticks))
    print("| simulated seconds per CPU second | %.0f | |" % (ticks * 0.1 / cpu))
    print()
    print("| part (cProfile pass) | share of time |")
    print("|---|---|")
    for part, share in shares(scs):
        print("| %s | %.0f %% |" % (part, 100 * share))
    return 0


if __name__ == "__main__":
    sys.exit(main())
