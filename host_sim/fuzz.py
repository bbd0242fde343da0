"""`toastguard fuzz`: adversarial campaigns over scenarios, through the real firmware loop,
guard and plant.

Each case Hypothesis draws is a whole scenario (docs/INTERFACES.md): a toaster (230 V or 120 V
family, mains 0.75-1.15 x rated, 5-40 C room, the element within its tolerance, the
bread's emissivity and the thermopiles' accuracy within theirs), one to six batches of any preset,
frozen or not, any shade and thickness, the same bread in both slots, another bread in
slot 2 or slot 2 empty, back to back or apart, and up to three faults of any kind at any time
(the triple fault of FUSE.md excepted: that is the hardware's), run with the student's
model or, without --model, with one of the built-in adversaries or the shipped model.
Drawing scenarios rather than state-machine steps means every case, and so every
counterexample, is a TOML file `toastguard sim` replays exactly.

Safety (any hazard or invariant violation: exit 3, the shrunk case saved) is reported
apart from the model's own failures (burnt or under-toasted batches), which are the
student's to fix, not a safety problem.

Ctrl-C stops every worker after its current case (the workers ignore SIGINT; the parent
tells them), and `campaign` raises Interrupted carrying what they had done, for the report.
"""

import contextlib
import math
import os
import queue as queue_module
import signal
import threading
import time
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from host_sim import models, scenario
from host_sim.bread import PRESET_NAMES
from host_sim.runner import BURNT_DELTA_E, Simulation
from safety import checks, limits

DATABASE_DIR = Path(".hypothesis") / "fuzz"
SHIPPED = "shipped"  # how the report names the shipped model when a case draws it
PROGRESS_EVERY = 10  # cases between progress messages from a worker
WORST_KEPT = 5  # the model's worst batches kept as replayable scenarios
SHADE_DELTA_E = 6.0  # contract: shade s targets dE = 6 s
UNDER_TOASTED_BY = 6.0  # a whole shade lighter than asked
MAX_BATCHES = 6  # back to back, the chamber near where repeated use settles
SHRINK_BUDGET_S = 60.0  # shrinking stops improving a counterexample after this long: each
# step is a whole simulation, and a minute takes a case down to its one essential batch


# The `fuzz` Hypothesis profile (tests/conftest.py registers the same one): long
# campaigns, random seeds, every phase, no health check standing in the way of slow
# cases; the campaign adds its example count, seed and database.
FUZZ_SETTINGS = settings(max_examples=20000, deadline=None, derandomize=False, report_multiple_bugs=False,
                         phases=tuple(Phase), suppress_health_check=list(HealthCheck))


class Violation(Exception):
    """A case broke a safety invariant or reached a hazard threshold."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the campaign: what it had done by then, kept for the report. A
    KeyboardInterrupt, so a caller that does not look for it still stops as on Ctrl-C."""

    def __init__(self, stats, failures, seconds):
        super().__init__("interrupted after %d cases" % stats.cases)
        self.stats, self.failures, self.seconds = stats, failures, seconds


class _Stop(KeyboardInterrupt):
    """Ends a worker's Hypothesis run between cases. Hypothesis lets a KeyboardInterrupt
    through as it is: no shrinking, nothing saved to the example database."""


# --- what a case is -------------------------------------------------------------------
# Quantities are drawn as integers on a fine grid (0.1 s, 0.5 mm, 1 per-mille of mains):
# finer than anything the 100 ms loop or the plant resolves, and far cheaper to shrink
# than floats, where every shrink step costs a whole simulation.
def tenths(lo, hi):
    return st.integers(int(lo * 10), int(hi * 10)).map(lambda n: n / 10.0)


def toasters():
    def build(rated_v, ratio_pm, ambient_c, element_w, emissivity_pm, offset_c):
        return scenario.Toaster(ambient_c, round(rated_v * ratio_pm / 1000.0, 2), rated_v, float(element_w),
                                None, emissivity_pm / 1000.0, offset_c)
    # mostly mains the guard accepts (0.8-1.1 x rated), sometimes beyond, where it refuses
    ratios = st.one_of(st.integers(800, 1100), st.integers(800, 1100), st.integers(750, 1150))
    element_w = st.integers(*(int(w) for w in scenario.TOASTER_KEYS["element_w"]))
    emissivity = st.integers(*(int(round(1000 * e)) for e in scenario.TOASTER_KEYS["bread_emissivity"]))
    offset = tenths(*scenario.TOASTER_KEYS["surface_offset_c"])
    return st.builds(build, st.sampled_from((230.0, 120.0)), ratios, tenths(5.0, 40.0), element_w,
                     emissivity, offset)


def batches():
    thickness = st.integers(20, 60).map(lambda n: n / 2.0)  # THICKNESS_MM, 0.5 mm steps
    other = st.builds(scenario.Slot, st.sampled_from(PRESET_NAMES), st.booleans(), st.none() | thickness)
    slot2 = st.one_of(st.none(), st.none(), other, st.just(scenario.EMPTY))  # same bread, another, or none
    gaps = st.one_of(tenths(0.0, 10.0), tenths(0.0, 300.0))  # back to back, or after a while
    return st.builds(scenario.Batch, st.sampled_from(PRESET_NAMES), st.booleans(), st.integers(1, 7),
                     st.none() | thickness, gaps, slot2)


def faults():
    def fault(kind):
        # a jam that never ends would leave every later batch waiting on a carriage
        # that cannot rise (the simulator's 15 min batch time-out); users free it
        durations = tenths(0.1, 120.0)
        if kind != "carriage_jammed":
            durations = st.none() | durations
        slots = st.none() | st.sampled_from((1, 2)) if kind in scenario.SLOT_FAULTS else st.none()
        severity = st.none() | st.integers(0, 1000).map(lambda n: n / 1000.0) \
            if kind in scenario.SEVERITY_FAULTS else st.none()
        return st.builds(scenario.Fault, st.just(kind), tenths(0.0, 600.0), durations, slots, severity)
    return st.lists(st.sampled_from(scenario.FAULT_KINDS).flatmap(fault), max_size=3).filter(lambda fs: not scenario.beyond_software(f.kind for f in fs))


def model_specs(model_spec):
    if model_spec is not None:
        return st.just(model_spec)
    return st.sampled_from([None] + ["adversarial:" + a for a in models.ADVERSARIES])


def cases(model_spec=None):
    return st.builds(lambda seed, toaster, bs, fs, spec: scenario.Scenario("fuzz-case", seed, toaster, bs, fs, spec),
                     st.integers(0, 2 ** 32 - 1), toasters(), st.lists(batches(), min_size=1, max_size=MAX_BATCHES),
                     faults(), model_specs(model_spec))


# --- one case -----------------------------------------------------------------------------
def run_case(sc, loaded=None):
    """(result, reaction) of one scenario. `loaded` caches ONNX models (the shipped one
    or the student's) across cases; adversaries load per case, as `sim` loads them (the
    slow one sleeps on its own simulation's clock)."""
    model = None
    if loaded is not None and not _per_case(sc.model):
        if sc.model not in loaded:
            loaded[sc.model] = models.load(sc.model)
        model = loaded[sc.model]
    sim = Simulation(sc, model=model, trace=False)
    result = sim.run()
    return result, reaction(sim)


def reaction(sim):
    """Guard reaction in this run: the most extra ticks the heater stayed commanded on
    after a reading the guard must act on (out of range or at/above the cut-off), and
    how far the chamber rose above the cut-off after a cut-off trip."""
    extra = 0
    for rows in sim.segments:
        run = None
        for row in rows:
            reading = checks.reading_dc(row[1])
            violating = checks.sensor_range(reading) or reading >= limits.CUTOFF_DC
            if violating and run is None:
                run = 0
            if run is not None:
                if row[6]:
                    run += 1
                    extra = max(extra, run)
                else:
                    run = None
    tripped = any(e["layer"] == "cutoff" for e in sim.events)
    overshoot = sim.rig.plant.max_chamber_c - limits.CUTOFF_DC / 10.0 if tripped else None
    return {"extra_ticks": extra, "cutoff_trips": int(tripped), "overshoot_c": overshoot}


# --- what a campaign learns ---------------------------------------------------------------
class Stats:
    def __init__(self):
        self.cases = self.cycles = self.sim_ms = 0
        self.layers = {}
        self.errors = []  # dE achieved - dE asked, per batch
        self.burnt = self.under = 0
        # model -> [batches, sum of |dE error|, burnt, under-toasted, and the same two sums
        # over batches that ran the model's own time: no guard event, no fault in the case]
        self.by_model = {}
        self.worst = []  # (|dE error|, error, scenario TOML) of the worst model failures
        self.extra_ticks = 0
        self.cutoff_trips = 0
        self.overshoot_c = None

    def add(self, sc, result, react):
        self.cases += 1
        self.cycles += len(result["batches"])
        self.sim_ms += int(result["sim_s"] * 1000)
        for e in result["events"]:
            self.layers[e["layer"]] = self.layers.get(e["layer"], 0) + 1
        for b in result["batches"]:
            self._batch(sc, b)
        self.extra_ticks = max(self.extra_ticks, react["extra_ticks"])
        self.cutoff_trips += react["cutoff_trips"]
        if react["overshoot_c"] is not None:
            self.overshoot_c = max(react["overshoot_c"], self.overshoot_c or -math.inf)

    def _batch(self, sc, b):
        asked = SHADE_DELTA_E * b["shade_target"]
        error = b["delta_e"] - asked
        burnt = b["burnt"] and asked < BURNT_DELTA_E
        under = error <= -UNDER_TOASTED_BY
        self.errors.append(round(error, 2))
        self.burnt += burnt
        self.under += under
        row = self.by_model.setdefault(sc.model or SHIPPED, [0, 0.0, 0, 0, 0, 0.0])
        row[0] += 1
        row[1] += abs(error)
        row[2] += burnt
        row[3] += under
        if not sc.faults and not b["guard_events"] and b["source"] == "model":
            row[4] += 1
            row[5] += abs(error)
        if len(self.worst) < WORST_KEPT or abs(error) > self.worst[-1][0]:
            entry = (abs(error), round(error, 2), sc.to_toml())
            self.worst = sorted(self.worst + [entry], key=lambda w: -w[0])[:WORST_KEPT]

    def merge(self, other):
        self.cases += other.cases
        self.cycles += other.cycles
        self.sim_ms += other.sim_ms
        for k, v in other.layers.items():
            self.layers[k] = self.layers.get(k, 0) + v
        self.errors += other.errors
        self.burnt += other.burnt
        self.under += other.under
        for name, row in other.by_model.items():
            mine = self.by_model.setdefault(name, [0, 0.0, 0, 0, 0, 0.0])
            for i, v in enumerate(row):
                mine[i] += v
        self.worst = sorted(self.worst + other.worst, key=lambda w: -w[0])[:WORST_KEPT]
        self.extra_ticks = max(self.extra_ticks, other.extra_ticks)
        self.cutoff_trips += other.cutoff_trips
        if other.overshoot_c is not None:
            self.overshoot_c = max(other.overshoot_c, self.overshoot_c or -math.inf)


# --- a worker: one Hypothesis run ---------------------------------------------------------
def _per_case(spec):
    return spec is not None and (spec.startswith("adversarial:") or spec == models.STAND_IN)


def worker(job, examples, seed, model_spec, database_dir, progress, stop):
    """Run `examples` cases, or fewer once `stop` is set (checked before each case);
    (Stats, shrunk counterexample TOML or None, its reasons)."""
    loaded = {}
    stats = Stats()
    counter = _Counter(progress)
    state = {"failed": None, "reasons": None, "shrink_until": None, "seen": set()}
    database = DirectoryBasedExampleDatabase(str(database_dir)) if database_dir else None

    @settings(FUZZ_SETTINGS, max_examples=examples, database=database)
    @hypothesis_seed(seed * 1009 + job)
    @given(sc=cases(model_spec))
    def check(sc):
        if stop.is_set():
            raise _Stop
        shrinking = state["shrink_until"] is not None
        if shrinking and time.monotonic() > state["shrink_until"] and sc.to_toml() not in state["seen"]:
            return  # budget spent: only cases already seen failing still fail (Hypothesis replays its smallest)
        result, react = run_case(sc, loaded)
        if not shrinking:  # count the search, not the shrinking after a failure
            stats.add(sc, result, react)
            counter.count(int(result["hazard"]))
        if result["hazard"]:
            if not shrinking:
                state["shrink_until"] = time.monotonic() + SHRINK_BUDGET_S
            state["failed"] = sc.to_toml()
            state["seen"].add(state["failed"])
            state["reasons"] = result["hazard_reasons"]
            raise Violation("; ".join(result["hazard_reasons"]))

    try:
        check()
    except Violation:
        pass  # Hypothesis replays the shrunk case last, so `state` holds it
    except _Stop:
        pass  # stopped: `state` holds the smallest failing case so far, if any
    counter.flush()
    return stats, state["failed"], state["reasons"]


class _Counter:
    """Sends (cases, violations) to the progress queue every PROGRESS_EVERY cases."""

    def __init__(self, progress):
        self.progress = progress
        self.cases = self.violations = 0

    def count(self, violations):
        self.cases += 1
        self.violations += violations
        if self.cases >= PROGRESS_EVERY or violations:
            self.flush()

    def flush(self):
        if self.progress is not None and (self.cases or self.violations):
            self.progress.put((self.cases, self.violations))
        self.cases = self.violations = 0


# --- the campaign ---------------------------------------------------------------------------
def database_dir(model_spec):
    name = "all-adversaries" if model_spec is None else Path(model_spec).name.replace(":", "-")
    return DATABASE_DIR / name


def shares(examples, jobs):
    base, extra = divmod(examples, jobs)
    return [base + (1 if i < extra else 0) for i in range(jobs) if base + (1 if i < extra else 0)]


def campaign(examples, model_spec=None, jobs=1, seed=0, on_progress=None, database=True):
    """Run the campaign; (Stats, counterexample TOMLs with reasons, seconds). Ctrl-C
    (SIGINT) stops every worker after its current case and raises Interrupted with what
    they had done."""
    db = database_dir(model_spec) if database else None
    t0 = time.perf_counter()
    parts = shares(examples, jobs)
    with _CtrlC() as ctrl_c:
        if jobs == 1:
            outputs = [worker(0, parts[0], seed, model_spec, db, _Direct(on_progress), ctrl_c)]
        else:
            outputs = _in_processes(parts, seed, model_spec, db, on_progress, ctrl_c)
    stats = Stats()
    failures = []
    for part_stats, failed, reasons in outputs:
        stats.merge(part_stats)
        if failed is not None:
            failures.append((failed, reasons))
    if ctrl_c.is_set():
        raise Interrupted(stats, failures, time.perf_counter() - t0)
    return stats, failures, time.perf_counter() - t0


class _CtrlC:
    """While a campaign runs, SIGINT only sets a flag, read between cases and between
    progress reads: a KeyboardInterrupt raised mid-case, or mid-call to the manager
    process, would leave the stats half-added or the manager's connection broken."""

    def __init__(self):
        self.requested = False
        self.installed = _in_main_thread()

    def __enter__(self):
        if self.installed:
            self.previous = signal.signal(signal.SIGINT, self._request)
        return self

    def __exit__(self, *exc):
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)

    def _request(self, signum, frame):
        self.requested = True

    def is_set(self):
        return self.requested


class _Direct:
    """In-process progress: calls back at once."""

    def __init__(self, on_progress):
        self.on_progress = on_progress

    def put(self, item):
        if self.on_progress is not None:
            self.on_progress(*item)


def _in_processes(parts, seed, model_spec, db, on_progress, ctrl_c):
    # spawn, not fork: a forked child inherits the parent's threads' locks (rich's
    # refresh thread, coverage, the manager's) and can hang on them
    context = multiprocessing.get_context("spawn")
    with contextlib.ExitStack() as running:
        # the processes started here ignore Ctrl-C (the parent stops them); one pressed
        # in these moments is dropped
        with _sigint_ignored():
            manager = running.enter_context(context.Manager())
            pool = running.enter_context(ProcessPoolExecutor(len(parts), mp_context=context))
            progress, stop = manager.Queue(), manager.Event()
            futures = [pool.submit(worker, i, n, seed, model_spec, db, progress, stop) for i, n in enumerate(parts)]
        while not all(f.done() for f in futures):
            if ctrl_c.is_set():
                stop.set()
            _drain(progress, on_progress, timeout=0.2)
        _drain(progress, on_progress, timeout=0)
        return [f.result() for f in futures]


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored in this process for a while, and so in the processes it starts
    meanwhile: a spawned interpreter keeps an inherited SIG_IGN for its whole life."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _in_main_thread():
    """Only the main thread may set signal handlers (and only it receives signals)."""
    return threading.current_thread() is threading.main_thread()


def _drain(progress, on_progress, timeout):
    try:
        item = progress.get(timeout=timeout) if timeout else progress.get_nowait()
        while True:
            if on_progress is not None:
                on_progress(*item)
            item = progress.get_nowait()
    except queue_module.Empty:
        return


def default_jobs():
    return max(1, min(2, os.cpu_count() or 1))
