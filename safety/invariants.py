"""The safety invariants I1-I6 as predicates over a control trace.

A trace is a list of rows, one per guard step, each a tuple
(t_ms, adc, lever_down, supply_pm, shade, mode, heater, fault), i.e. the guard's raw
inputs, its mode, the heater command it gave and its fault code after the step. The predicates recompute what
they need (readings, batches, on-time) from those raw values rather than trusting the
guard's internal counters. See safety/INVARIANTS.md for the statement of each.
"""

from safety import checks as C
from safety import limits as L
from safety.advice import cap_ms
from safety.guard import FAULT, dose_increment

T_MS, ADC, LEVER, SUPPLY, SHADE, MODE, HEATER, FAULT_CODE = 0, 1, 2, 3, 4, 5, 6, 7

INVARIANTS = (
    ("I1", "heater-on time per batch stays below the absolute time cap"),
    ("I2", "heater off at every tick whose reading is at or above the cut-off"),
    ("I3", "after a fault the heater stays off until re-armed below the re-arm temperature"),
    ("I4", "heater off whenever the carriage is up"),
    ("I5", "heater off while the sensor is implausible"),
    ("I6", "the model's answer never extends heating beyond the batch's cap"),
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
    if batch.cap_ms is None or batch.dose >= batch.cap_ms * 1000:
        out.append(("I6", i, "dose %d ms, cap %s ms" % (batch.dose // 1000, batch.cap_ms)))


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
    last = C.reading_dc(prev[ADC])
    if last is None:
        return True
    allowed = L.MAX_RATE_DC_PER_S * (row[T_MS] - prev[T_MS]) // 1000 + L.RATE_SLACK_DC
    return -allowed <= reading - last <= allowed


class _Batch:
    """Heater-on time and dose of the current carriage-down period (one batch)."""

    def __init__(self):
        self.on_ms = 0
        self.dose = 0
        self.cap_ms = None

    def advance(self, prev, row, reading):
        if prev is not None and prev[HEATER]:
            dt = row[T_MS] - prev[T_MS]
            self.on_ms += dt
            self.dose += dose_increment(dt, row[SUPPLY])
        if row[LEVER] and (prev is None or not prev[LEVER]):
            self.on_ms = 0
            self.dose = 0
            shade_ok = L.SHADE_MIN <= row[SHADE] <= L.SHADE_MAX and reading is not None
            self.cap_ms = cap_ms(reading) if shade_ok else None
