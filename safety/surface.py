"""The bread-surface layer: each slot's IR thermopile reads its own slice, and a heated
reference tab checks every thermopile before each batch.

The fire limit is the slices' own surface: a batch ends once any slot's reading,
projected CUT_LEAD_MS ahead at its recent rate of rise, reaches SURFACE_CUT_DC, or once
a slot has read HOT_DC or more for HOT_BUDGET_MS (a slice that has dried right through
heats fast without warning: the time it may spend hot is bounded). A batch runs in full
mode (its long dose cap, FULL_DOSE_CAP_MS) only while that reading can be trusted: both
thermopiles passed the reference check just before the press (each saw the tab at the
temperature the tab's own thermistor gives, so neither is fouled, out of line or
drifted), the window purge runs, each slot sees a slice once its view has settled (not
the tab: an empty slot and a slice out of view read alike), and each channel stays
plausible while heating (an answer with a good PEC, in range, no jump, no fast fall,
not frozen). Otherwise the
batch is degraded: the bread-agnostic dose cap of the chamber guard, and the fault LED.
A degraded batch becomes full again only at a press whose reference check passes, which
needs the tab's thermistor: the sensor that faulted never vouches for itself.

Readings are deci-degrees C (None: no answer, PEC mismatch or the sensor's error flag).
"""

from safety import checks as C
from safety import limits as L

SLOTS = 2

# Why a batch is degraded (0: it is not).
OK = 0
NO_READING = 1
RANGE = 2
JUMP = 3
STUCK = 4
FALL = 5
PURGE = 6
UNVERIFIED = 7
NO_SLICE = 8
LAST = NO_SLICE  # the highest code


class Readings:
    """One tick of surface sensing, filled in place by the board (no allocation)."""

    def __init__(self):
        self.obj_dc = [None] * SLOTS  # each slot's slice as its thermopile reads it
        self.body_dc = [None] * SLOTS  # each thermopile's own (die) temperature
        self.ref_adc = None  # the reference tab's thermistor, ADC counts like the chamber's
        self.purge_ok = False  # the window purge fan turns (its tachometer)


def plausible(obj_dc, body_dc):
    """A reading the thermopile can give: an answer, within its calibrated ranges."""
    if obj_dc is None or body_dc is None:
        return NO_READING
    if obj_dc < L.SURF_MIN_DC or obj_dc > L.SURF_MAX_DC or body_dc < L.BODY_MIN_DC or body_dc > L.BODY_MAX_DC:
        return RANGE
    return OK


class Channel:
    """One slot's thermopile while the carriage is down: plausible, never jumping, never
    falling fast (a slice under a glowing element only warms), never frozen; and its
    rise over the last RISE_WINDOW_MS, for the projected cut."""

    def __init__(self):
        self.fall = C.FallCheck(L.SURF_FALL_WINDOW_MS, L.SURF_FALL_DC)
        self.reset()

    def reset(self):
        self.settle_ms = 0
        self.hot_ms = 0
        self.last_dc = None
        self.same_ms = 0
        self.fall.reset()
        self.rise_ref = None
        self.rise_ms = 0
        self.rise_dc = 0

    def update(self, dt_ms, obj_dc, body_dc):
        """The channel's state after this reading (OK or why it cannot be trusted)."""
        problem = plausible(obj_dc, body_dc)
        if problem:
            return problem
        if self.settle_ms < L.SURF_SETTLE_MS:  # the view is still moving to the slice
            self.settle_ms += dt_ms
            self.last_dc = obj_dc
            if self.settle_ms >= L.SURF_SETTLE_MS and obj_dc >= L.SLICE_MAX_DC:
                return NO_SLICE  # it still sees the tab: an empty slot, or a slice out of view
            return OK
        last = self.last_dc
        self.last_dc = obj_dc
        self._rise(dt_ms, obj_dc)
        if obj_dc >= L.HOT_DC:
            self.hot_ms += dt_ms
        return self._jumped(dt_ms, last, obj_dc) or self._stuck(dt_ms, last, obj_dc) or self._fell(dt_ms, obj_dc)

    def _jumped(self, dt_ms, last, obj_dc):
        if C.jumped(dt_ms, last, obj_dc, L.SURF_MAX_RATE_DC_PER_S, L.SURF_RATE_SLACK_DC):
            return JUMP
        return OK

    def _stuck(self, dt_ms, last, obj_dc):
        if obj_dc != last:
            self.same_ms = 0
            return OK
        self.same_ms += dt_ms
        if self.same_ms >= L.SURF_STUCK_MS:
            return STUCK
        return OK

    def _fell(self, dt_ms, obj_dc):
        if self.fall.update(dt_ms, obj_dc):
            return FALL
        return OK

    def _rise(self, dt_ms, obj_dc):
        if self.rise_ref is None:
            self.rise_ref = obj_dc
            self.rise_ms = 0
            return
        self.rise_ms += dt_ms
        if self.rise_ms >= L.RISE_WINDOW_MS:
            self.rise_dc = obj_dc - self.rise_ref
            if self.rise_dc < 0:
                self.rise_dc = 0
            self.rise_ref = obj_dc
            self.rise_ms = 0


def projected_dc(obj_dc, rise_dc):
    """The reading CUT_LEAD_MS ahead at the rise of the last window (a rise >= 0)."""
    return obj_dc + rise_dc * L.CUT_LEAD_MS // L.RISE_WINDOW_MS


def over_cut(obj_dc, channel):
    """Whether a reading, projected ahead at its channel's rise, has reached the surface
    cut, or the channel has been hot for its whole budget."""
    if channel.hot_ms >= L.HOT_BUDGET_MS:
        return True
    return obj_dc is not None and projected_dc(obj_dc, channel.rise_dc) >= L.SURFACE_CUT_DC


class ReferenceCheck:
    """While the carriage is up each thermopile sees the reference tab, held hot by its
    own heater and read by its own thermistor. A thermopile passes when, for the last
    REF_SETTLE_MS, the tab was hot enough and far enough above the thermopile's body and
    the chamber around it for the check to mean something, and the thermopile read it within REF_TOL_DC, with the
    window purge running: a fouled window, a dirty or misaligned lens, or a drifted
    sensor reads the tab wrong."""

    def __init__(self):
        self.good_ms = [0] * SLOTS
        self.since_ms = L.REF_FRESH_MS  # since both last passed (the carriage takes a moment to fall)

    def update(self, dt_ms, readings, chamber_dc):
        """One step with the carriage up; chamber_dc is the chamber thermistor's reading."""
        tab_dc = None if readings.ref_adc is None else C.reading_dc(readings.ref_adc)
        if self.since_ms < L.REF_FRESH_MS:
            self.since_ms += dt_ms
        both = True
        for slot in range(SLOTS):
            if _sees_tab(tab_dc, chamber_dc, readings.obj_dc[slot], readings.body_dc[slot], readings.purge_ok):
                if self.good_ms[slot] < L.REF_SETTLE_MS:
                    self.good_ms[slot] += dt_ms
            else:
                self.good_ms[slot] = 0
            both = both and self.good_ms[slot] >= L.REF_SETTLE_MS
        if both:
            self.since_ms = 0

    def restart(self):
        """Forget every pass: the thermopiles looked at the slots, not the tab."""
        for slot in range(SLOTS):
            self.good_ms[slot] = 0
        self.since_ms = L.REF_FRESH_MS

    def passed(self):
        """Both thermopiles read the tab right for REF_SETTLE_MS, ending at most
        REF_FRESH_MS ago."""
        return self.since_ms < L.REF_FRESH_MS


def _sees_tab(tab_dc, chamber_dc, obj_dc, body_dc, purge_ok):
    if not purge_ok or tab_dc is None or chamber_dc is None or plausible(obj_dc, body_dc):
        return False
    if tab_dc < L.REF_MIN_DC or tab_dc - body_dc < L.REF_CONTRAST_DC or tab_dc - chamber_dc < L.REF_BACKGROUND_DC:
        return False
    return obj_dc - tab_dc <= L.REF_TOL_DC and tab_dc - obj_dc <= L.REF_TOL_DC
