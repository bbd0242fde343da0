"""The safety invariants I1-I7 as predicates over a control trace.

A trace is a list of rows, one per guard step, each a tuple
(t_ms, adc, lever_down, supply_pm, shade, mode, heater, fault, obj_1, obj_2, body_1,
body_2, ref_adc, purge_ok), i.e. the guard's raw inputs (the surface readings as in
safety/surface.Readings), its mode, the heater command it gave and its fault code after
the step. The predicates recompute what
they need (readings, batches, on-time) from those raw values rather than trusting the
guard's internal counters. See safety/INVARIANTS.md for the statement of each.
"""

from safety import checks as C
from safety import limits as L
from safety import surface as S
from safety.advice import cap_ms
from safety.guard import ARMING, FAULT, HEATING, dose_increment

T_MS, ADC, LEVER, SUPPLY, SHADE, MODE, HEATER, FAULT_CODE = 0, 1, 2, 3, 4, 5, 6, 7
OBJ, BODY, REF_ADC, PURGE = 8, 10, 12, 13  # OBJ + slot, BODY + slot

INVARIANTS = (
    ("I1", "heater-on time per batch stays below the absolute time cap"),
    ("I2", "heater off at every tick whose reading is at or above the cut-off"),
    ("I3", "after a fault the heater stays off until re-armed below the re-arm temperature"),
    ("I4", "heater off whenever the carriage is up"),
    ("I5", "heater off while the sensor is implausible"),
    ("I6", "the model's answer never extends heating beyond the batch's cap"),
    ("I7", "heater off once a slice's surface reaches the surface cut"),
)


def check(rows):
    """All violations in the trace, as (invariant, row index, detail); empty when safe."""
    out = []
    batch = _Batch()
    prev = None
    tripped_ms = None
    for i, row in enumerate(rows):
        reading = C.reading_dc(row[ADC])
        batch.advance(prev, row, reading)
        if row[HEATER]:
            _heater_on(out, i, row, reading, prev, batch)
        if row[MODE] == FAULT and (prev is None or prev[MODE] != FAULT):
            tripped_ms = row[T_MS]
        _rearm(out, i, row, reading, prev, tripped_ms)
        prev = row
    return out


def _heater_on(out, i, row, reading, prev, batch):
    if batch.on_ms >= L.TIME_CAP_MS:
        out.append(("I1", i, "on for %d ms before this tick" % batch.on_ms))
    if reading is None or reading >= L.CUTOFF_DC:
        out.append(("I2", i, "reading %s dC" % reading))
    if row[MODE] == FAULT:
        out.append(("I3", i, "heater on in fault mode"))
    if not row[LEVER]:
        out.append(("I4", i, "carriage up"))
    if not _plausible(reading, prev, row):
        out.append(("I5", i, "reading %s dC implausible" % reading))
    cap = batch.cap_ms if batch.degraded else L.FULL_DOSE_CAP_MS
    if batch.cap_ms is None or batch.dose >= cap * 1000:
        out.append(("I6", i, "dose %d ms, cap %s ms" % (batch.dose // 1000, cap)))
    if batch.cut:
        out.append(("I7", i, "a slice's surface reached the cut"))


def _rearm(out, i, row, reading, prev, tripped_ms):
    if prev is None or prev[MODE] != FAULT or row[MODE] == FAULT:
        return
    pressed = row[LEVER] and not prev[LEVER]
    if not pressed or reading is None or reading >= L.REARM_DC:
        out.append(("I3", i, "left fault mode without a re-arm below %d dC" % L.REARM_DC))
    elif C.thermistor_suspect(prev[FAULT_CODE]) and (tripped_ms is None or row[T_MS] - tripped_ms < L.REARM_COOL_MS):
        out.append(("I3", i, "re-armed a thermistor fault before %d ms in fault" % L.REARM_COOL_MS))


def _plausible(reading, prev, row):
    if C.sensor_range(reading):
        return False
    if prev is None:
        return True
    if not 0 <= row[T_MS] - prev[T_MS] <= L.STALL_MS:  # a step backwards or a stall
        return False
    last = C.reading_dc(prev[ADC])
    if last is None:
        return True
    allowed = L.MAX_RATE_DC_PER_S * (row[T_MS] - prev[T_MS]) // 1000 + L.RATE_SLACK_DC
    return -allowed <= reading - last <= allowed


class _Batch:
    """Heater-on time and dose of the current carriage-down period (one batch), and what
    its surface sensing allows: the reference check before the press (while the carriage
    was up), each slot's channel since the press, the cut."""

    def __init__(self):
        self.on_ms = 0
        self.dose = 0
        self.cap_ms = None
        self.ref = S.ReferenceCheck()
        self.channels = [S.Channel() for _ in range(S.SLOTS)]
        self.degraded = True
        self.cut = False

    def advance(self, prev, row, reading):
        dt = 0 if prev is None else row[T_MS] - prev[T_MS]
        if prev is not None and prev[HEATER]:
            self.on_ms += dt
            self.dose += dose_increment(dt, row[SUPPLY])
        if row[LEVER] and (prev is None or not prev[LEVER]):
            self.on_ms = 0
            self.dose = 0
            shade_ok = L.SHADE_MIN <= row[SHADE] <= L.SHADE_MAX and reading is not None
            self.cap_ms = cap_ms(reading) if shade_ok else None
            self.degraded = not self.ref.passed()
            self.ref.restart()
            for channel in self.channels:
                channel.reset()
        self.cut = False
        if _batch_mode(_sensed_mode(prev, row)):
            self._sense(dt, row)
        elif row[LEVER]:
            self.ref.restart()
        else:
            self.ref.update(dt, _readings(row), reading)

    def _sense(self, dt, row):
        self.degraded = self.degraded or not row[PURGE]
        for slot in range(S.SLOTS):
            channel = self.channels[slot]
            obj = row[OBJ + slot]
            self.degraded = bool(channel.update(dt, obj, row[BODY + slot])) or self.degraded
            self.cut = self.cut or S.over_cut(obj, channel)


def _batch_mode(mode):
    return mode == ARMING or mode == HEATING


def _sensed_mode(prev, row):
    """The guard's mode when it read the surface in this step: a batch that ended in the
    step was still armed or heating then."""
    if prev is not None and _batch_mode(prev[MODE]) and row[MODE] != FAULT and not _batch_mode(row[MODE]):
        return prev[MODE]
    return row[MODE]


def _readings(row):
    r = S.Readings()
    r.obj_dc = [row[OBJ + slot] for slot in range(S.SLOTS)]
    r.body_dc = [row[BODY + slot] for slot in range(S.SLOTS)]
    r.ref_adc = row[REF_ADC]
    r.purge_ok = row[PURGE]
    return r
