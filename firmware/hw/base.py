"""The board interface the control loop uses; each back-end implements all of it.

Inputs: ticks_ms, read_adc (12-bit counts, averaged), lever_down (carriage switch),
supply_pm (mains in per-mille of the element's rated voltage), supply_v, ambient_c,
selection() -> (shade, thickness_mm, moisture, sugar, frozen) from the front panel.
Outputs: set_heater, set_latch (carriage magnet), set_fault_led, feed_watchdog, log.
"""

TICKS_PERIOD = 1 << 30  # MicroPython's ticks_ms wraps here on every port


def ticks_diff(end, start):
    """end - start for wrapping millisecond ticks (as machine-independent as utime's)."""
    half = TICKS_PERIOD // 2
    return ((end - start + half) & (TICKS_PERIOD - 1)) - half


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
