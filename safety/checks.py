"""The guard's independent checks, one per safety layer. Each returns a fault code or 0.

Stateless checks are functions; checks that watch a trend keep their own small state and
are reset by the guard when the situation they watch starts afresh.
"""

from safety import limits as L
from safety import thermistor

OK = 0
SENSOR_RANGE = 1
SENSOR_RATE = 2
STALL = 3
CUTOFF = 4
HEATING_GAIN = 5
RISING_WHILE_OFF = 6
SUPPLY = 7
RESET_HOT = 8

# Layer names as they appear in result JSON and the hazard log.
NAMES = ("ok", "sensor_range", "sensor_rate", "stall", "cutoff", "heating_gain",
         "rising_while_off", "supply", "reset_hot")


def thermistor_suspect(fault):
    """Faults the thermistor itself may have caused: its reading alone cannot vouch
    that the chamber has cooled (limits.REARM_COOL_MS)."""
    return fault == SENSOR_RANGE or fault == SENSOR_RATE or fault == HEATING_GAIN or fault == RISING_WHILE_OFF


def reading_dc(adc):
    """The chamber reading in deci-degrees C, or None when the ADC shows open/short."""
    if adc < thermistor.ADC_MIN or adc > thermistor.ADC_MAX:
        return None
    return thermistor.adc_to_dc(adc)


def sensor_range(reading):
    """An open or shorted thermistor, or a reading no working toaster can produce."""
    if reading is None or reading < L.SENSOR_MIN_DC or reading > L.SENSOR_MAX_DC:
        return SENSOR_RANGE
    return OK


def plausible_step(dt_ms):
    """The step the guard accounts: one the clock cannot have taken (backwards, e.g. a
    replayed or forged HIL frame) counts as the longest stall, so it trips and no time or
    dose accumulator ever shrinks."""
    if dt_ms < 0:
        return L.STALL_MS + 1
    return dt_ms


def stall(dt_ms):
    """The loop came back later than it ever should: whatever ran meanwhile was unguarded."""
    if dt_ms > L.STALL_MS:
        return STALL
    return OK


def cutoff(reading):
    """Thermal cut-off at the chamber sensor."""
    if reading >= L.CUTOFF_DC:
        return CUTOFF
    return OK


def reset_hot(reading):
    """Booting into a hot chamber means a reset mid-batch: treat it as a latched fault, so
    a crash or power cut never shortens the cool-down a fault would have imposed."""
    if reading >= L.REARM_DC:
        return RESET_HOT
    return OK


def supply(supply_pm):
    """Mains outside the element's rating (over-driven) or a broken mains sense."""
    if supply_pm > L.SUPPLY_MAX_PM or supply_pm < L.SUPPLY_MIN_PM:
        return SUPPLY
    return OK


def jumped(dt_ms, last, reading, max_rate_dc_per_s, slack_dc):
    """A reading further from the last one than what it measures can move in dt_ms."""
    allowed = max_rate_dc_per_s * dt_ms // 1000 + slack_dc
    return reading - last > allowed or last - reading > allowed


class RateCheck:
    """A reading that jumps faster than the bead can follow the chamber."""

    def __init__(self):
        self.last_dc = None

    def reset(self):
        self.last_dc = None

    def update(self, dt_ms, reading):
        last = self.last_dc
        self.last_dc = reading
        if last is not None and jumped(dt_ms, last, reading, L.MAX_RATE_DC_PER_S, L.RATE_SLACK_DC):
            return SENSOR_RATE
        return OK


FLOOR_DC = -30000  # below any reading a plausible sensor gives: "no peak yet"


class FallCheck:
    """A reading window_ms or less after one at least max_dc higher: a fall no heated
    thing makes. No buffer: the peaks of two back-to-back buckets of window_ms, so every
    fall within window_ms is seen, whatever the buckets' alignment (and some within
    twice that)."""

    def __init__(self, window_ms, max_dc):
        self.window_ms = window_ms
        self.max_dc = max_dc
        self.reset()

    def reset(self):
        self.peak_dc = FLOOR_DC  # the highest reading of the current bucket
        self.prev_peak_dc = FLOOR_DC  # and of the one before
        self.bucket_ms = 0

    def update(self, dt_ms, reading):
        """True when reading has fallen max_dc or more below a recent one."""
        self.bucket_ms += dt_ms
        if self.bucket_ms >= self.window_ms:
            self.prev_peak_dc = self.peak_dc
            self.peak_dc = FLOOR_DC
            self.bucket_ms = 0
        if reading > self.peak_dc:
            self.peak_dc = reading
        return self.peak_dc - reading >= self.max_dc or self.prev_peak_dc - reading >= self.max_dc


class HeatingGainCheck:
    """While heating: no fast fall (the bead lost the chamber), and below GAIN_BELOW_DC a
    rise of GAIN_MIN_DC per GAIN_WINDOW_MS once the element has warmed up (Klipper's
    verify_heater, for a heater with no set point)."""

    def __init__(self):
        self.fall = FallCheck(L.FALL_WINDOW_MS, L.FALL_MAX_DC)
        self.reset()

    def reset(self):
        self.on_ms = 0
        self.gain_ref = None
        self.gain_ms = 0
        self.fall.reset()

    def update(self, was_on, dt_ms, reading):
        if not was_on:
            self.reset()
            return OK
        self.on_ms += dt_ms
        if self.fall.update(dt_ms, reading):
            return HEATING_GAIN
        if self.on_ms < L.GAIN_DELAY_MS:
            return OK
        return self._gain(dt_ms, reading)

    def _gain(self, dt_ms, reading):
        if self.gain_ref is None:
            if reading < L.GAIN_BELOW_DC:
                self.gain_ref = reading
                self.gain_ms = 0
            return OK
        self.gain_ms += dt_ms
        if self.gain_ms < L.GAIN_WINDOW_MS:
            return OK
        ref = self.gain_ref
        self.gain_ref = None
        if reading - ref < L.GAIN_MIN_DC:
            return HEATING_GAIN
        return OK


class RisingWhileOffCheck:
    """Once the element's stored heat is spent, a chamber with the heater off must not warm."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.off_ms = 0
        self.low_dc = None

    def update(self, was_on, dt_ms, reading):
        if was_on:
            self.reset()
            return OK
        if self.off_ms < L.OFF_SETTLE_MS:
            self.off_ms += dt_ms
            return OK
        if self.low_dc is None or reading < self.low_dc:
            self.low_dc = reading
            return OK
        if reading - self.low_dc >= L.OFF_RISE_DC:
            return RISING_WHILE_OFF
        return OK

