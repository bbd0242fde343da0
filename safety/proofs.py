"""Machine-checked proofs that the guard keeps the invariants I1-I7 (INVARIANTS.md).

Induction over guard steps:
- base: a fresh Guard() satisfies the state invariant STATE (checked on the object);
- step: from *any* state satisfying STATE, one call of the real `Guard.step` — with any
  time step, any reading (None or any integer), any lever, any mains value — ends in a
  state satisfying STATE, and the tick's heater command satisfies each of I1-I7.

The surface layer (`Guard._sense`) is proven on its own, against its contract (rows
S-cut, S-sticky, S-degrade, S-quiet), with each slot's channel abstracted to any code and
any non-negative rise; the step proof then uses that contract in its place: within a
batch any cut and any surface state that never clears, outside one neither changes.

The step is run on the actual code: its integers are symbolic (z3), and every branch the
code takes on them forks the run; each path's condition is kept, and a property is proven
on a path when z3 finds its negation unsatisfiable under that condition. A property is
"proven" only if that holds on every path and the paths were exhausted; a solver that runs
out of its resource limit anywhere makes it "unproven", a satisfiable negation a
"counterexample".

The step reads the ADC only through checks.reading_dc(adc); the proof quantifies over
that function's result (None or any integer), so it holds whatever the thermistor table
says. `advise` converts a float (NaN, inf...) with int(), which symbolic execution cannot
follow; it is proven on a z3 transcription (floating point, IEEE 754 double) that
tests/test_proofs.py checks against the code on 100,000 random and special answers.
"""

import itertools
import time

import z3

from safety import advice, checks, guard
from safety import limits as L
from safety import surface

# A resource limit, not a clock: a verdict must not depend on the machine's load. z3's
# resource count is deterministic for one z3 version (pinned in pyproject.toml). A whole
# path's checks together use at most ~56 M units here (the step proof), so a check's own
# need is below that; 120 M leaves room to grow while a check that cannot be decided
# gives up in seconds, not minutes.
SOLVER_RLIMIT = 120000000
PROPERTIES = ("STATE", "I1", "I2", "I3", "I4", "I5", "I6", "I7")
SENSE_PROPERTIES = ("S-cut", "S-sticky", "S-degrade", "S-quiet")


class Unproven(Exception):
    """The solver answered unknown (its resource limit ran out)."""


class Explorer:
    """Depth-first exploration of a function's paths over symbolic values."""

    def __init__(self):
        self.solver = None  # holds the current path's conditions, for incremental checks
        self.path = []  # z3 conditions of the current path
        self.prefix = []  # branch decisions to replay
        self.pos = 0
        self.pending = []  # decision prefixes still to explore

    def decide(self, cond):
        if self.pos < len(self.prefix):
            taken = self.prefix[self.pos]
        else:
            can_true = self.feasible(cond)
            can_false = self.feasible(z3.Not(cond))
            if can_true and can_false:
                self.pending.append(self.prefix[:self.pos] + [False])
            taken = can_true
            self.prefix.append(taken)
        self.pos += 1
        self.assume(cond if taken else z3.Not(cond))
        return taken

    def assume(self, cond):
        self.path.append(cond)
        self.solver.add(cond)

    def feasible(self, cond):
        self.solver.push()
        self.solver.add(cond)
        answer = self.solver.check()
        self.solver.pop()
        return answer != z3.unsat  # unknown: explored, so no path is skipped

    def paths(self, run):
        """Call run() once per path; yields (path condition, run's result)."""
        self.pending = [[]]
        while self.pending:
            self.prefix, self.pos, self.path = self.pending.pop(), 0, []
            self.solver = solver()
            result = run()
            yield list(self.path), result


EXPLORER = Explorer()


def solver():
    s = z3.Solver()
    s.set("rlimit", SOLVER_RLIMIT)
    return s


def lift(x):
    if isinstance(x, Sym):
        return x.e
    if isinstance(x, SymBool):
        return z3.If(x.e, 1, 0)
    if isinstance(x, bool):
        return z3.IntVal(1 if x else 0)
    return z3.IntVal(x)


class Sym:
    """A symbolic integer: arithmetic builds z3 terms, comparisons give SymBool."""

    __slots__ = ("e",)

    def __init__(self, e):
        self.e = e

    def __add__(self, o):
        return Sym(self.e + lift(o))

    __radd__ = __add__

    def __sub__(self, o):
        return Sym(self.e - lift(o))

    def __rsub__(self, o):
        return Sym(lift(o) - self.e)

    def __mul__(self, o):
        return Sym(self.e * lift(o))

    __rmul__ = __mul__

    def __floordiv__(self, o):
        # z3 integer division floors for a positive divisor, as Python's // does
        if isinstance(o, int) and o > 0:
            return Sym(self.e / o)
        raise TypeError("symbolic // only by a positive constant")

    def __lt__(self, o):
        return SymBool(self.e < lift(o))

    def __le__(self, o):
        return SymBool(self.e <= lift(o))

    def __gt__(self, o):
        return SymBool(self.e > lift(o))

    def __ge__(self, o):
        return SymBool(self.e >= lift(o))

    def __eq__(self, o):
        return SymBool(self.e == lift(o))

    def __ne__(self, o):
        return SymBool(self.e != lift(o))

    def __bool__(self):
        return EXPLORER.decide(self.e != 0)

    __hash__ = None


class SymBool:
    __slots__ = ("e",)

    def __init__(self, e):
        self.e = e

    def __bool__(self):
        return EXPLORER.decide(self.e)


def new_int(name, lo=None, hi=None, facts=None):
    v = z3.Int(name)
    if lo is not None:
        facts.append(v >= lo)
    if hi is not None:
        facts.append(v <= hi)
    return Sym(v)


def new_bool(name):
    return SymBool(z3.Bool(name))


val = lift  # the z3 term of a concrete or symbolic value (bools as 0/1)


def truth(x):
    if isinstance(x, SymBool):
        return x.e
    if isinstance(x, Sym):
        return x.e != 0
    return z3.BoolVal(bool(x))


# --- the state invariant and the per-step properties ------------------------------------------
def state_invariant(g):
    """STATE: what every reachable guard state satisfies (z3 formula over g's fields)."""
    mode, heating = val(g.mode), val(g.mode) == guard.HEATING
    return z3.And(
        mode >= guard.IDLE, mode <= guard.FAULT,
        z3.Implies(mode == guard.FAULT, val(g.fault) != checks.OK),
        z3.Or(val(g.heater) == 0, z3.And(val(g.heater) == 1, heating)),
        val(g.pending_ms) >= 0, val(g.pending_ms) <= L.TIME_CAP_MS,
        val(g.fault_ms) >= 0,
        val(g.surface_fault) >= surface.OK, val(g.surface_fault) <= surface.LAST,
        # advise sets a time only together with a valid shade (proven for advise below)
        z3.Implies(z3.And(mode == guard.ARMING, val(g.pending_ms) > 0),
                   z3.And(val(g.shade) >= L.SHADE_MIN, val(g.shade) <= L.SHADE_MAX)),
        z3.Implies(heating, z3.And(
            val(g.budget_ms) >= 0, val(g.budget_ms) <= L.TIME_CAP_MS,
            val(g.cap_ms) == cap_term(val(g.start_dc)),
            val(g.shade) >= L.SHADE_MIN, val(g.shade) <= L.SHADE_MAX,
            val(g.on_ms) >= 0, val(g.dose) >= 0)),
    )


def cap_term(start_dc):
    derated = L.DOSE_CAP_MS - (start_dc - L.HOT_DERATE_FROM_DC) * L.HOT_DERATE_MS_PER_DC
    cap = z3.If(start_dc > L.HOT_DERATE_FROM_DC, derated, L.DOSE_CAP_MS)
    return z3.If(cap < L.MIN_CAP_MS, L.MIN_CAP_MS, cap)


def step_properties(before, after, out, reading, lever_down, dt_ms, last_dc):
    """{property: z3 formula} one tick must satisfy (names as in INVARIANTS.md)."""
    on = val(out) == 1
    rd = None if reading is None else val(reading)
    plausible = z3.BoolVal(False) if rd is None else z3.And(rd >= L.SENSOR_MIN_DC, rd <= L.SENSOR_MAX_DC)
    if rd is not None and last_dc is not None:
        allowed = L.MAX_RATE_DC_PER_S * val(dt_ms) / 1000 + L.RATE_SLACK_DC
        steady = z3.And(rd - val(last_dc) <= allowed, val(last_dc) - rd <= allowed)
    else:
        steady = z3.BoolVal(True)
    left_fault = z3.And(val(before["mode"]) == guard.FAULT, val(after.mode) != guard.FAULT)
    press = z3.And(truth(lever_down), z3.Not(truth(before["lever_was_down"])))
    fault = val(before["fault"])
    suspect = z3.Or(fault == checks.SENSOR_RANGE, fault == checks.SENSOR_RATE,
                    fault == checks.HEATING_GAIN, fault == checks.RISING_WHILE_OFF)
    cooled = z3.Or(z3.Not(suspect), val(before["fault_ms"]) + val(dt_ms) >= L.REARM_COOL_MS)  # counted at the step's start
    was_on = val(before["heater"]) == 1
    sane_step = z3.And(val(dt_ms) >= 0, val(dt_ms) <= L.STALL_MS)
    return {
        "STATE": state_invariant(after),
        "I1": z3.And(z3.Implies(on, val(after.on_ms) < L.TIME_CAP_MS),
                     z3.Implies(was_on, val(after.on_ms) >= val(before["on_ms"]) + z3.If(val(dt_ms) > 0, val(dt_ms), 0))),
        "I2": z3.Implies(on, z3.BoolVal(False) if rd is None else rd < L.CUTOFF_DC),
        "I3": z3.And(z3.Implies(val(after.mode) == guard.FAULT, z3.Not(on)),
                     z3.Implies(left_fault, z3.And(press, plausible, cooled,
                                                   z3.BoolVal(False) if rd is None else rd < L.REARM_DC))),
        "I4": z3.Implies(on, truth(lever_down)),
        "I5": z3.Implies(on, z3.And(plausible, steady, sane_step)),
        "I6": z3.And(z3.Implies(was_on, val(after.dose) >= val(before["dose"])),
                     z3.Implies(on, z3.And(val(after.dose) < batch_cap_term(after) * 1000,
                                           val(after.cap_ms) == cap_term(val(after.start_dc)),
                                           val(after.shade) >= L.SHADE_MIN, val(after.shade) <= L.SHADE_MAX))),
        "I7": z3.Implies(on, z3.Not(truth(after.cut))),
    }


def batch_cap_term(g):
    """The batch's dose cap: the long one only while its surface sensing is sound."""
    return z3.If(val(g.surface_fault) == surface.OK, L.FULL_DOSE_CAP_MS, val(g.cap_ms))


# --- a symbolic guard state -----------------------------------------------------------------------
OPTIONAL = ("rate.last_dc", "gain.gain_ref", "off.low_dc", "reading")


def symbolic_guard(facts, none):
    """A Guard whose every field is a fresh unknown (the named optionals None or not)."""
    g = guard.Guard()
    for name in ("mode", "fault", "heater", "idle_ms", "arming_ms", "start_dc", "shade", "pending_ms",
                 "budget_ms", "cap_ms", "on_ms", "dose", "fault_ms", "surface_fault"):
        setattr(g, name, new_int("s_" + name, facts=facts))
    facts.append(z3.Or(val(g.heater) == 0, val(g.heater) == 1))
    for name in ("lever_was_down", "booting", "bad_shade", "pending_from_model"):
        setattr(g, name, new_bool("s_" + name))
    for name in ("idle_ms", "arming_ms"):
        facts.append(val(getattr(g, name)) >= 0)
    g.rate.last_dc = None if "rate.last_dc" in none else new_int("s_rate_last")
    g.gain.on_ms = new_int("s_gain_on", 0, facts=facts)
    g.gain.gain_ms = new_int("s_gain_ms", 0, facts=facts)
    g.gain.fall.bucket_ms = new_int("s_fall_ms", 0, facts=facts)
    g.gain.fall.peak_dc = new_int("s_fall_peak")
    g.gain.fall.prev_peak_dc = new_int("s_fall_prev")
    g.gain.gain_ref = None if "gain.gain_ref" in none else new_int("s_gain_ref")
    g.off.off_ms = new_int("s_off_ms", 0, facts=facts)
    g.off.low_dc = None if "off.low_dc" in none else new_int("s_low_dc")
    g.cut = new_bool("s_cut")
    g.ref.since_ms = new_int("s_ref_since", 0, facts=facts)

    facts.append(state_invariant(g))
    return g


def prove_step(jobs=2):
    """{property: result} and the number of paths, for one guard step from any STATE state.
    The None/not-None cases of the optional fields are independent runs (in `jobs`
    processes)."""
    combos = [tuple(sorted(c)) for c in _none_combinations()]
    if jobs > 1:
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            parts = pool.map(prove_case, combos)
    else:
        parts = [prove_case(c) for c in combos]
    results = {p: "proven" for p in PROPERTIES}
    for part, _, _ in parts:
        for name in PROPERTIES:
            results[name] = _worst(results[name], part[name])
    witnesses = [w for _, _, w in parts if w]
    return results, sum(n for _, n, _ in parts), witnesses


class _Fresh:
    """Fresh z3 names for the abstractions' outputs, one set per call."""

    def __init__(self):
        self.n = 0

    def __call__(self, stem):
        self.n += 1
        return "%s_%d" % (stem, self.n)


FRESH = _Fresh()


def _sense_contract(self, dt_ms, surface_readings):
    """Guard._sense as its contract (proven on its own by prove_sense): within a batch,
    any cut and a surface state that never clears; outside one, no cut and no change."""
    self.cut = False
    if self.mode == guard.ARMING or self.mode == guard.HEATING:
        self.cut = new_bool(FRESH("cut"))
        before = val(self.surface_fault)
        after = z3.Int(FRESH("surface_fault"))
        EXPLORER.assume(z3.And(after >= surface.OK, after <= surface.LAST,
                               z3.Implies(before != surface.OK, after == before)))
        self.surface_fault = Sym(after)


def prove_case(none):
    """(results, paths, first counterexample or None) with the fields in `none` None."""
    results = {p: "proven" for p in PROPERTIES}
    paths, witness = 0, None
    real_reading_dc, real_sense = checks.reading_dc, guard.Guard._sense
    checks.reading_dc = lambda adc: adc  # the step's only use of the ADC value; see above
    guard.Guard._sense = _sense_contract
    try:
        for _, props in EXPLORER.paths(lambda: _one_step(set(none))):
            paths += 1
            for name, prop in props.items():
                verdict, model = _check(EXPLORER.solver, prop)
                results[name] = _worst(results[name], verdict)
                if model is not None and witness is None:
                    witness = "%s with %s None: %s" % (name, ", ".join(none) or "nothing", model)
    finally:
        checks.reading_dc, guard.Guard._sense = real_reading_dc, real_sense
    return results, paths, witness


def _none_combinations():
    for n in range(len(OPTIONAL) + 1):
        for combo in itertools.combinations(OPTIONAL, n):
            yield set(combo)


def _one_step(none):
    facts = []
    g = symbolic_guard(facts, none)
    before = {"mode": g.mode, "lever_was_down": g.lever_was_down, "fault": g.fault, "fault_ms": g.fault_ms,
              "heater": g.heater, "on_ms": g.on_ms, "dose": g.dose}
    last_dc = g.rate.last_dc
    dt = new_int("dt_ms")  # any integer: a step may run backwards (a forged HIL frame)
    reading = None if "reading" in none else new_int("reading")
    lever = new_bool("lever_down")
    supply = new_int("supply_pm", 0, 2000, facts=facts)
    for f in facts:  # the state and inputs range over STATE and the input domain
        EXPLORER.assume(f)
    out = g.step(dt, reading, lever, supply, surface.Readings())  # _sense is its contract
    return step_properties(before, g, out, reading, lever, dt, last_dc)


def _check(path_solver, prop):
    """(verdict, a counterexample model as text or None) for prop under the path."""
    path_solver.push()
    path_solver.add(z3.Not(prop))
    answer = path_solver.check()
    model = str(path_solver.model()) if answer == z3.sat else None
    path_solver.pop()
    return _verdict(answer), model


def _verdict(answer):
    if answer == z3.unsat:
        return "proven"
    if answer == z3.sat:
        return "counterexample"
    return "unproven"


def _worst(a, b):
    order = ("proven", "unproven", "counterexample")
    return a if order.index(a) >= order.index(b) else b


def prove_init():
    g = guard.Guard()
    s = solver()
    s.add(z3.Not(state_invariant(g)))
    return _verdict(s.check())


# --- advise: a transcription of advice.advice_ms in IEEE doubles ------------------------------------
FLOAT = z3.Float64()
RNE = z3.RNE()


def advice_transcript(answer, elapsed_ms, shade_index):
    """(ms, from_model) of advice_ms for a float answer (z3 FP) — see the module doc."""
    ms = z3.fpMul(RNE, answer, z3.FPVal(1000.0, FLOAT))
    usable = z3.And(elapsed_ms <= L.MODEL_DEADLINE_MS,
                    z3.fpGEQ(ms, z3.FPVal(float(L.MODEL_MIN_MS), FLOAT)),
                    z3.fpLEQ(ms, z3.FPVal(float(L.TIME_CAP_MS), FLOAT)))
    fallback = z3.IntVal(L.FALLBACK_MS[0])
    for i, value in enumerate(L.FALLBACK_MS[1:], 1):
        fallback = z3.If(shade_index == i, value, fallback)
    truncated = z3.BV2Int(z3.fpToSBV(z3.RTZ(), ms, z3.BitVecSort(64)), is_signed=True)
    return z3.If(usable, truncated, fallback), usable


def prove_advise():
    """After advise, pending_ms lies in [MODEL_MIN_MS, TIME_CAP_MS] (so STATE's pending
    bound and the budget bound hold) for every float answer, NaN and infinities included."""
    answer = z3.FP("answer", FLOAT)
    elapsed, index = z3.Int("elapsed_ms"), z3.Int("shade_index")
    ms, _ = advice_transcript(answer, elapsed, index)
    s = solver()
    s.add(elapsed >= 0, index >= 0, index < len(L.FALLBACK_MS))
    s.add(z3.Not(z3.And(ms >= L.MODEL_MIN_MS, ms <= L.TIME_CAP_MS)))
    return _verdict(s.check())


# --- the surface layer: Guard._sense against its contract ------------------------------------
def _channel_abstract(self, dt_ms, obj_dc, body_dc):
    """A channel as the layer may see it: any code, any non-negative rise and hot time."""
    self.rise_dc = new_int(FRESH("rise"))
    self.hot_ms = new_int(FRESH("hot"))
    EXPLORER.assume(z3.And(self.rise_dc.e >= 0, self.hot_ms.e >= 0))
    code = new_int(FRESH("code"))
    EXPLORER.assume(z3.And(code.e >= surface.OK, code.e <= surface.LAST))
    return code


def _sense_once(missing):
    """One call of the real Guard._sense from any state, with the slots in `missing`
    giving no reading; (properties, what they speak of)."""
    g = guard.Guard()
    g.mode = new_int("s_mode")
    EXPLORER.assume(z3.And(g.mode.e >= guard.IDLE, g.mode.e <= guard.FAULT))
    g.surface_fault = new_int("s_surface_fault")
    EXPLORER.assume(z3.And(g.surface_fault.e >= surface.OK, g.surface_fault.e <= surface.LAST))
    readings = surface.Readings()
    for slot in range(surface.SLOTS):
        readings.obj_dc[slot] = None if slot in missing else new_int("obj_%d" % slot)
        readings.body_dc[slot] = new_int("body_%d" % slot)
    readings.purge_ok = new_bool("purge_ok")
    before_fault = val(g.surface_fault)
    in_batch = z3.Or(val(g.mode) == guard.ARMING, val(g.mode) == guard.HEATING)
    codes = []
    real_update = surface.Channel.update

    def record(channel, dt_ms, obj_dc, body_dc):
        code = _channel_abstract(channel, dt_ms, obj_dc, body_dc)
        codes.append(val(code))
        return code

    surface.Channel.update = record
    try:
        g._sense(new_int("dt_ms"), readings)
    finally:
        surface.Channel.update = real_update
    over = []
    for s, c in enumerate(g.channels):
        if codes:
            over.append(val(c.hot_ms) >= L.HOT_BUDGET_MS)
            if s not in missing:
                over.append(val(readings.obj_dc[s]) + val(c.rise_dc) * L.CUT_LEAD_MS / L.RISE_WINDOW_MS >= L.SURFACE_CUT_DC)
    after = val(g.surface_fault)
    trouble = z3.Or(z3.Not(truth(readings.purge_ok)), *[c != 0 for c in codes]) if codes else z3.BoolVal(False)
    return {
        "S-cut": z3.Implies(in_batch, truth(g.cut) == z3.Or(z3.BoolVal(False), *over)),
        "S-sticky": z3.Implies(z3.And(in_batch, before_fault != surface.OK), after == before_fault),
        "S-degrade": z3.Implies(z3.And(in_batch, trouble), after != surface.OK),
        "S-quiet": z3.Implies(z3.Not(in_batch), z3.And(z3.Not(truth(g.cut)), after == before_fault)),
    }


def prove_sense():
    """({property: result}, paths) for Guard._sense, every slot with and without a reading."""
    results = {p: "proven" for p in SENSE_PROPERTIES}
    paths = 0
    real_ref = surface.ReferenceCheck.update
    surface.ReferenceCheck.update = lambda self, dt_ms, readings, chamber_dc: None  # its own tests cover it
    try:
        for n in range(surface.SLOTS + 1):
            for missing in itertools.combinations(range(surface.SLOTS), n):
                for _, props in EXPLORER.paths(lambda: _sense_once(set(missing))):
                    paths += 1
                    for name, prop in props.items():
                        results[name] = _worst(results[name], _check(EXPLORER.solver, prop)[0])
    finally:
        surface.ReferenceCheck.update = real_ref
    return results, paths


def prove_readvise():
    """A re-advice keeps STATE: Guard.readvise from any STATE state, advice_ms replaced by
    its proven contract (a time in [MODEL_MIN_MS, TIME_CAP_MS], or not from the model)."""
    verdict = "proven"
    real = guard.advice_ms

    def contract(shade, answer_s, elapsed_ms):
        ms = new_int(FRESH("advice_ms"))
        from_model = new_bool(FRESH("from_model"))
        EXPLORER.assume(z3.And(ms.e >= L.MODEL_MIN_MS, ms.e <= L.TIME_CAP_MS))
        return ms, from_model

    def once():
        facts = []
        g = symbolic_guard(facts, set(OPTIONAL))
        for f in facts:
            EXPLORER.assume(f)
        g.readvise(None, new_int("elapsed_ms"))
        return state_invariant(g)

    guard.advice_ms = contract
    try:
        for _, prop in EXPLORER.paths(once):
            verdict = _worst(verdict, _check(EXPLORER.solver, prop)[0])
    finally:
        guard.advice_ms = real
    return verdict


def prove_all(jobs=2):
    """Rows (invariant, method, result, seconds) for `toastguard prove`."""
    rows = []
    t0 = time.monotonic()
    rows.append(("init", "z3 on Guard()", prove_init(), time.monotonic() - t0))
    t0 = time.monotonic()
    step, paths, _ = prove_step(jobs)
    seconds = time.monotonic() - t0
    method = "symbolic execution of Guard.step, %d paths, z3" % paths
    for name in PROPERTIES:
        rows.append((name, method, step[name], seconds))
    t0 = time.monotonic()
    sense, sense_paths = prove_sense()
    seconds = time.monotonic() - t0
    method = "symbolic execution of Guard._sense, channels abstracted, %d paths, z3" % sense_paths
    for name in SENSE_PROPERTIES:
        rows.append((name, method, sense[name], seconds))
    t0 = time.monotonic()
    rows.append(("advise", "z3 FP transcription of advice_ms (diff-tested)", prove_advise(),
                 time.monotonic() - t0))
    t0 = time.monotonic()
    rows.append(("readvise", "symbolic execution of Guard.readvise, advice_ms as proven", prove_readvise(),
                 time.monotonic() - t0))
    return rows
