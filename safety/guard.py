"""The guard: the only path from the control loop to the heater.

`Guard.step` is called once per control tick with the raw inputs (time since the last
step, thermistor ADC counts, carriage switch, mains voltage, the surface sensing of
`surface.Readings`) and returns the heater command; `latch` says whether the carriage
may stay down. Every fault latches the heater off and releases the carriage until the
chamber is below REARM_DC and the user presses the lever again. The model's time is
advice (`advise`): the batch ends at the advised on-time, at `TIME_CAP_MS` of on-time,
when a slice's surface reaches the surface cut, or at the batch's dose cap, whichever
comes first. The dose cap is FULL_DOSE_CAP_MS while the surface sensing is verified and
sound, else the chamber guard's bread-agnostic `advice.cap_ms` (safety/surface.py).
"""

from safety import checks as C
from safety import limits as L
from safety import surface as S
from safety.advice import advice_ms, cap_ms

IDLE = 0
ARMING = 1
HEATING = 2
FAULT = 3
MODE_NAMES = ("idle", "arming", "heating", "fault")

# Events of one step, a bit mask (allocation-free on the board).
EV_START = 1
EV_DONE = 2
EV_CANCEL = 4
EV_LOCKOUT = 8
EV_START_HOT = 16
EV_BAD_SHADE = 32
EV_REARM = 64
EV_REARM_REFUSED = 128
EV_FALLBACK = 256
EV_TIME_CAP = 512
EV_DOSE_CAP = 1024
EV_TRIP = 2048
EV_NO_ADVICE = 4096
EV_SURFACE_CUT = 8192
EV_DEGRADED = 16384
EVENT_NAMES = ("start", "done", "cancel", "lockout", "start_hot", "bad_shade", "rearm",
               "rearm_refused", "fallback", "time_cap", "dose_cap", "fault", "no_advice",
               "surface_cut", "degraded")


def event_names(events):
    """The names of the bits set in an event mask."""
    return [name for bit, name in enumerate(EVENT_NAMES) if events & (1 << bit)]


def dose_increment(dt_ms, supply_pm):
    """Rated-voltage-equivalent on-time (ms x 1000) of dt_ms at supply_pm, rounded up: the
    element's energy, (V / V_rated)^2 x time; above rated, each per-mille of over-voltage
    counts OVERVOLT_WEIGHT times more (limits.py)."""
    pm = supply_pm
    if pm > 1000:
        pm += (pm - 1000) * L.OVERVOLT_WEIGHT
    return (dt_ms * pm * pm + 999) // 1000


class Guard:
    def __init__(self):
        self.mode = IDLE
        self.fault = C.OK
        self.events = 0
        self.heater = 0
        self.latch = 0
        self.reading_dc = None
        # A lever already down at power-on is not a press: never resume by itself.
        self.lever_was_down = True
        self.booting = True
        self.idle_ms = L.LOCKOUT_MS
        self.arming_ms = 0
        self.start_dc = 0
        self.shade = 0
        self.bad_shade = False
        self.pending_ms = 0
        self.pending_from_model = False
        self.budget_ms = 0
        self.cap_ms = 0
        self.on_ms = 0
        self.dose = 0
        self.fault_ms = 0
        self.rate = C.RateCheck()
        self.gain = C.HeatingGainCheck()
        self.off = C.RisingWhileOffCheck()
        self.ref = S.ReferenceCheck()
        self.channels = [S.Channel() for _ in range(S.SLOTS)]
        self.surface_fault = S.UNVERIFIED  # why this batch is degraded (S.OK: it is not)
        self.cut = False  # a slice's surface has reached the surface cut this step

    # --- the step function --------------------------------------------------------
    def step(self, dt_ms, adc, lever_down, supply_pm, surface):
        dt_ms = C.plausible_step(dt_ms)
        self.events = 0
        was_on = self.heater
        self.heater = 0
        press = lever_down and not self.lever_was_down
        self.lever_was_down = lever_down
        if was_on:
            self.on_ms += dt_ms
            self.dose += dose_increment(dt_ms, supply_pm)
        if self.mode == FAULT and self.fault_ms < L.REARM_COOL_MS:
            self.fault_ms += dt_ms  # time in fault since the trip
        reading = C.reading_dc(adc)
        self.reading_dc = reading
        fault = self._check(dt_ms, reading, supply_pm, was_on)
        if self.booting:
            self.booting = False
            fault = fault or C.reset_hot(reading)
        if fault and self.mode != FAULT:
            self._trip(fault)
        if self.mode == FAULT:
            self._in_fault(press, fault, reading)
        arming = self.mode == ARMING  # a batch armed by this step's press waits a step
        if self.mode == IDLE:
            self._in_idle(dt_ms, press, reading)
        self._sense(dt_ms, surface)
        if arming:
            self._in_arming(dt_ms, lever_down)
        if self.mode == HEATING:
            self._in_heating(lever_down)
        self.latch = 1 if self.mode == ARMING or self.mode == HEATING else 0
        return self.heater

    def advise(self, shade, answer_s, elapsed_ms):
        """The firmware's time advice for the batch being armed (model answer in s)."""
        if self.mode != ARMING:
            return
        if not isinstance(shade, int) or shade < L.SHADE_MIN or shade > L.SHADE_MAX:
            self.bad_shade = True
            return
        self.shade = shade
        self.pending_ms, self.pending_from_model = advice_ms(shade, answer_s, elapsed_ms)

    def readvise(self, answer_s, elapsed_ms):
        """A model's new answer (seconds of heater-on time for the whole batch) while
        heating: it moves the batch's end either way, never past TIME_CAP_MS (advice_ms
        bounds it); an unusable or late answer changes nothing. The caps and the surface
        cut do not look at it."""
        if self.mode != HEATING:
            return
        ms, from_model = advice_ms(self.shade, answer_s, elapsed_ms)
        if from_model:
            self._set_budget(ms)

    # --- checks and modes ------------------------------------------------------------
    def _check(self, dt_ms, reading, supply_pm, was_on):
        fault = C.sensor_range(reading)
        if fault:
            self._reset_trends()
            return fault
        return (C.stall(dt_ms) or C.cutoff(reading) or self.rate.update(dt_ms, reading)
                or C.supply(supply_pm) or self.gain.update(was_on, dt_ms, reading)
                or self.off.update(was_on, dt_ms, reading))

    def _reset_trends(self):
        self.rate.reset()
        self.gain.reset()
        self.off.reset()

    def _trip(self, fault):
        self.mode = FAULT
        self.fault = fault
        self.fault_ms = 0
        self.events |= EV_TRIP

    def _in_fault(self, press, fault, reading):
        if not press:
            return
        if fault or reading >= L.REARM_DC or not self._cooled():
            self.events |= EV_REARM_REFUSED
            return
        self.mode = IDLE
        self.fault = C.OK
        self.idle_ms = L.LOCKOUT_MS
        self.events |= EV_REARM

    def _cooled(self):
        """A fault the thermistor may have caused re-arms only after REARM_COOL_MS too."""
        return self.fault_ms >= L.REARM_COOL_MS or not C.thermistor_suspect(self.fault)

    def _in_idle(self, dt_ms, press, reading):
        if self.idle_ms < L.LOCKOUT_MS:
            self.idle_ms += dt_ms
        if not press:
            return
        if self.idle_ms < L.LOCKOUT_MS:
            self.events |= EV_LOCKOUT
        elif reading >= L.START_MAX_DC:
            self.events |= EV_START_HOT
        else:
            self.mode = ARMING
            self.arming_ms = 0
            self.start_dc = reading
            self.bad_shade = False
            self.pending_ms = 0
            self._start_sensing()

    # --- the surface layer (safety/surface.py) -------------------------------------------------
    def _sense(self, dt_ms, surface):
        """Outside a batch with the carriage up, the reference check (with it down the
        thermopiles see the slots, not the tab: no pass counts); from the press on, the
        batch's channels, its degraded state and whether a slice has reached the cut."""
        self.cut = False
        if self.mode != ARMING and self.mode != HEATING:
            if self.lever_was_down:
                self.ref.restart()
            else:
                self.ref.update(dt_ms, surface, self.reading_dc)
            return
        problem = S.OK if surface.purge_ok else S.PURGE
        for slot in range(S.SLOTS):
            channel = self.channels[slot]
            found = channel.update(dt_ms, surface.obj_dc[slot], surface.body_dc[slot])
            problem = problem or found
            if S.over_cut(surface.obj_dc[slot], channel):
                self.cut = True
        self._degrade(problem)

    def _start_sensing(self):
        """At the press: the batch is full only if the tab vouched for both thermopiles."""
        for channel in self.channels:
            channel.reset()
        self.surface_fault = S.OK
        if not self.ref.passed():
            self._degrade(S.UNVERIFIED)
        self.ref.restart()  # the next batch needs a pass of its own

    def _degrade(self, problem):
        if problem and not self.surface_fault:
            self.surface_fault = problem
            self.events |= EV_DEGRADED

    def degraded(self):
        """The batch being armed or heated cannot trust its surface sensing (LED on)."""
        return (self.mode == ARMING or self.mode == HEATING) and self.surface_fault != S.OK

    def batch_cap_ms(self):
        """This batch's dose cap now: the long one only while the surface is trusted."""
        if self.surface_fault == S.OK:
            return L.FULL_DOSE_CAP_MS
        return self.cap_ms

    def _in_arming(self, dt_ms, lever_down):
        if not lever_down:
            self._end(EV_CANCEL)
        elif self.pending_ms > 0:
            self._begin_heating()
        elif self.bad_shade:
            self._end(EV_BAD_SHADE)
        elif self.arming_ms >= L.ARMING_TIMEOUT_MS:
            self._end(EV_NO_ADVICE)
        else:
            self.arming_ms += dt_ms

    def _begin_heating(self):
        self.cap_ms = cap_ms(self.start_dc)
        self._set_budget(self.pending_ms)
        if not self.pending_from_model:
            self.events |= EV_FALLBACK
        self.on_ms = 0
        self.dose = 0
        self.mode = HEATING
        self.events |= EV_START

    def _set_budget(self, ms):
        # advice_ms never exceeds the time cap; the guard holds I1 without relying on it.
        self.budget_ms = ms
        if ms > L.TIME_CAP_MS:
            self.budget_ms = L.TIME_CAP_MS
            self.events |= EV_TIME_CAP

    def _in_heating(self, lever_down):
        if not lever_down:
            self._end(EV_CANCEL)
        elif self.cut:  # before the budget: a batch the cut ended is logged as cut
            self._end(EV_SURFACE_CUT)
        elif self.on_ms >= self.budget_ms:
            self._end(EV_DONE)
        elif self.dose >= self.batch_cap_ms() * 1000:
            self._end(EV_DOSE_CAP)
        else:
            self.heater = 1

    def _end(self, event):
        self.mode = IDLE
        self.idle_ms = 0
        self.events |= event
