"""The control loop: sensors -> features -> model -> guard -> heater pin.

The heater and the carriage latch are written only with what the guard returned; the
watchdog is fed only after the guard has run. Any exception turns both outputs off
before it propagates (main.py then resets the board). A refused model (model_error) runs
every batch on the guard's fallback table and keeps the fault LED lit.
"""

from firmware import features
from firmware.hw.base import ticks_diff
from safety import checks
from safety.guard import ARMING, HEATING, Guard
from safety.surface import Readings


class Controller:
    def __init__(self, board, model=None, model_error=None, shade_for_model=None):
        """shade_for_model(dial shade) -> the shade the model is asked for (the user's
        learnt offset, firmware/feedback.py); the guard always gets the dial's."""
        self.board = board
        self.shade_for_model = shade_for_model
        self.last_features = None
        self.last_answer = None
        self.model = None if model_error else model
        self.model_refused = bool(model_error)
        self.guard = Guard()
        self.surface = Readings()  # filled in place every tick
        width = getattr(self.model, "n_features", getattr(self.model, "N_INPUTS", features.WIDTHS[0]))
        self.readvising = width == features.WIDTHS[1]  # a v2 model is asked again while heating
        self.readvise_ms = 0
        board.all_off()
        if model_error:
            board.log("model refused: %s" % model_error)
        self.last_ms = board.ticks_ms()
        self.advised = False

    def tick(self):
        b = self.board
        try:
            now = b.ticks_ms()
            dt = ticks_diff(now, self.last_ms)
            self.last_ms = now
            g = self.guard
            b.read_surface(self.surface)
            g.step(dt, b.read_adc(), b.lever_down(), b.supply_pm(), self.surface)
            if g.mode == ARMING and not self.advised:
                self._advise()
            self.advised = g.mode == ARMING
            b.set_heater(g.heater)
            b.set_latch(g.latch)
            b.set_fault_led(g.fault != checks.OK or g.degraded() or self.model_refused)
            if g.mode == HEATING and self.readvising:  # after the outputs: they never wait on the model
                self._readvise(dt)
        except BaseException:
            b.all_off()
            raise
        b.feed_watchdog()
        if g.events:
            b.log_events(g.events, g.fault)

    def _advise(self):
        sel = self.board.selection()
        answer, elapsed = self._ask(sel, pressed=True)
        self.readvise_ms = 0
        self.guard.advise(sel[0], answer, elapsed)
        self.board.log_advice(answer, elapsed)

    def _readvise(self, dt):
        self.readvise_ms += dt
        if self.readvise_ms < features.READVISE_MS:
            return
        self.readvise_ms = 0
        answer, elapsed = self._ask(self.board.selection())
        self.guard.readvise(answer, elapsed)

    def _ask(self, sel, pressed=False):
        """(the model's answer in s or None, ms it took) for the batch now. At the press
        the carriage is still falling and the thermopiles see the tab, not the slice: the
        v2 vector then carries the panel's bread temperature."""
        b = self.board
        asked = sel if self.shade_for_model is None else (self.shade_for_model(sel[0]),) + tuple(sel[1:])
        g = self.guard
        if self.readvising:
            surface_dc = None if pressed else self.surface.obj_dc[0]
            x = features.build_v2(asked, g.start_dc, b.ambient_c(), b.supply_v(), surface_dc, g.on_ms)
        else:
            x = features.build(asked, g.start_dc, b.ambient_c(), b.supply_v())
        self.last_features = x
        answer = None
        t0 = b.ticks_ms()
        if self.model is not None:
            try:
                answer = float(self.model.predict(x))
            except Exception as e:  # the model's failure is the guard's fallback, not ours
                b.log("model raised %s" % type(e).__name__)
        elapsed = ticks_diff(b.ticks_ms(), t0)
        self.last_answer = answer
        return answer, elapsed
