"""The bread-surface hardware both boards share: one MLX90614 per slot and the ADS1115
(the reference tab's thermistor) on one I2C bus, and the window-purge fan's tachometer.
`read` fills a safety.surface.Readings in place every tick without allocating: the
board owns the bus and the pin, and calls `pulse` from the tachometer's edge handler.
"""

from firmware.hw.ads1115 import ADS1115
from firmware.hw.base import TICKS_MASK
from firmware.hw.mlx90614 import MLX90614
from safety.limits import PURGE_MIN_PULSES, PURGE_WINDOW_MS

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

# The die (body) temperature follows the chamber with a time constant of minutes: reading
# it once a second (every 10th tick) instead of every tick halves the SMBus traffic beside
# a sensor that resolves microvolts, traffic the datasheet counts as a source of error.
DIE_EVERY_TICKS = const(10)
PULSE_MASK = const(0xFFFF)  # the pulse counter wraps here, so it stays a small int forever


class SurfaceSensors:
    def __init__(self, bus, addresses, adc_address):
        self.thermopiles = [MLX90614(bus, address) for address in addresses]
        self.tab = ADS1115(bus, adc_address)
        self.pulses = 0  # tachometer edges, modulo PULSE_MASK + 1 (written only by pulse)
        self._window_ms = None  # when the current tachometer window started
        self._window_pulses = 0  # the counter then
        self._purge_ok = False
        self._die_in = 0  # ticks until the die temperatures are read again

    def pulse(self, _pin=None):
        """One tachometer edge; the IRQ handler does nothing else."""
        self.pulses = (self.pulses + 1) & PULSE_MASK

    def read(self, readings, now_ms):
        """Fill `readings` in place: a sensor that does not answer reads None."""
        die_due = self._die_in == 0
        self._die_in = DIE_EVERY_TICKS - 1 if die_due else self._die_in - 1
        for slot in range(len(self.thermopiles)):
            sensor = self.thermopiles[slot]
            obj = sensor.object_dc()
            readings.obj_dc[slot] = obj
            if obj is None:  # no answer: its last die reading vouches for nothing
                readings.body_dc[slot] = None
            elif die_due or readings.body_dc[slot] is None:
                readings.body_dc[slot] = sensor.die_dc()
        readings.ref_adc = self.tab.tab_counts()
        readings.purge_ok = self._purge(now_ms)

    def _purge(self, now_ms):
        """Whether the fan made PURGE_MIN_PULSES a second over the last whole window."""
        pulses = self.pulses
        if self._window_ms is None:
            self._window_ms = now_ms
            self._window_pulses = pulses
            return False
        elapsed = (now_ms - self._window_ms) & TICKS_MASK
        if elapsed >= PURGE_WINDOW_MS:
            counted = (pulses - self._window_pulses) & PULSE_MASK
            self._purge_ok = counted * PURGE_WINDOW_MS >= PURGE_MIN_PULSES * elapsed
            self._window_ms = now_ms
            self._window_pulses = pulses
        return self._purge_ok
