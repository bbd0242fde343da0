"""The board interface the control loop uses; each back-end implements all of it.

Inputs: ticks_ms, read_adc (12-bit counts, averaged), lever_down (carriage switch),
supply_pm (mains in per-mille of the element's rated voltage), supply_v, ambient_c,
selection() -> (shade, thickness_mm, moisture, sugar, frozen) from the front panel,
read_surface(readings) -> fills a safety.surface.Readings in place: each slot's
thermopile (object and die, deci-C, None for no answer / PEC mismatch / error flag), the
reference tab's thermistor (ADC counts as read_adc's, None when its ADC does not answer)
and whether the window purge fan turns.
Outputs: set_heater (the SSR), set_latch (carriage magnet and isolating relay together),
set_fault_led, feed_watchdog, log.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

TICKS_MASK = const(0x3FFFFFFF)  # MicroPython's ticks_ms wraps at 2^30 on every port: t & TICKS_MASK
# (2^30 itself is one past the board's largest small integer, so no board code names it)
TICKS_HALF = const(0x20000000)


def ticks_diff(end, start):
    """end - start for wrapping millisecond ticks, in small integers only (no heap on the
    board)."""
    d = (end - start) & TICKS_MASK
    if d >= TICKS_HALF:
        return d - TICKS_HALF - TICKS_HALF
    return d


class Board:
    """Shared behaviour of every back-end: outputs start off."""

    def __init__(self):
        self.heater_on = 0
        self.latch_on = 0
        self.fault_led = 0

    def set_heater(self, on):
        self.heater_on = 1 if on else 0
        self._write_heater(self.heater_on)

    def set_latch(self, on):
        self.latch_on = 1 if on else 0
        self._write_latch(self.latch_on)

    def set_fault_led(self, on):
        self.fault_led = 1 if on else 0
        self._write_led(self.fault_led)

    def all_off(self):
        self.set_heater(0)
        self.set_latch(0)

    # Each back-end drives its own pins.
    def _write_heater(self, on):
        raise NotImplementedError

    def _write_latch(self, on):
        raise NotImplementedError

    def _write_led(self, on):
        raise NotImplementedError
