"""Raspberry Pi Zero back-end (CPython, gpiozero): the same board interface as the Pico.

The Zero has no ADC, so an MCP3208 (12-bit, SPI0 CE0) reads the NTC divider, the mains
sense and the shade potentiometer. The pin factory is injected: gpiozero's MockFactory
in tests, the default (lgpio) on the board. The heater output is created first, low,
and the SSR driver's pull-down keeps it off while Linux boots. The hardware watchdog
(/dev/watchdog, bcm2835-wdt) is an injected writable file: the board resets if the loop
stops writing to it, as the Pico's WDT does.
"""

import sys
import time

from firmware import presets
from firmware.hw.base import TICKS_PERIOD, Board, ticks_diff

PIN_HEATER = 17  # BCM numbering; SSR driver (low = off)
PIN_LATCH = 27  # carriage hold magnet driver
PIN_LED = 22  # fault LED
PIN_LEVER = 5  # carriage switch to ground, pull-up: pressed = carriage down
PIN_BREAD = 6  # bread program button, to ground
PIN_FROZEN = 13  # frozen toggle button, to ground
ADC_THERMISTOR = 0  # MCP3208 channels
ADC_MAINS = 1
ADC_SHADE = 2
ADC_FULL_SCALE = 4095
OVERSAMPLE = 4  # the MCP3208 is quieter than the RP2040's ADC
MAINS_FULL_SCALE_PM = 1500  # the same mains divider as the Pico board
RATED_V = 230.0
AMBIENT_C = 22.0  # the Zero has no die sensor the firmware trusts: nominal room


class ZeroBoard(Board):
    def __init__(self, pin_factory=None, watchdog=None):
        from gpiozero import MCP3208, Button, DigitalOutputDevice

        out = {"initial_value": False, "pin_factory": pin_factory}
        self._heater = DigitalOutputDevice(PIN_HEATER, **out)
        self._latch = DigitalOutputDevice(PIN_LATCH, **out)
        Board.__init__(self)
        self._led = DigitalOutputDevice(PIN_LED, **out)
        self._lever = Button(PIN_LEVER, pin_factory=pin_factory)
        self._bread = Button(PIN_BREAD, pin_factory=pin_factory)
        self._frozen = Button(PIN_FROZEN, pin_factory=pin_factory)
        adc = {"max_voltage": 3.3, "pin_factory": pin_factory}
        self._ntc = MCP3208(ADC_THERMISTOR, **adc)
        self._mains = MCP3208(ADC_MAINS, **adc)
        self._shade = MCP3208(ADC_SHADE, **adc)
        self._watchdog = watchdog
        self.program = 0
        self.frozen = False
        self._bread.when_pressed = self._next_program
        self._frozen.when_pressed = self._toggle_frozen

    def close(self):
        """Release every pin and the SPI bus (outputs first, so the heater is off)."""
        for device in (self._heater, self._latch, self._led, self._lever, self._bread, self._frozen,
                       self._ntc, self._mains, self._shade):
            device.close()

    def _next_program(self):
        self.program = (self.program + 1) % len(presets.PRESETS)

    def _toggle_frozen(self):
        self.frozen = not self.frozen

    def ticks_ms(self):
        return int(time.monotonic() * 1000) % TICKS_PERIOD

    def read_adc(self):
        total = 0
        for _ in range(OVERSAMPLE):
            total += self._ntc.raw_value
        return total // OVERSAMPLE

    def lever_down(self):
        return self._lever.is_pressed

    def supply_pm(self):
        return self._mains.raw_value * MAINS_FULL_SCALE_PM // ADC_FULL_SCALE

    def supply_v(self):
        return self.supply_pm() * RATED_V / 1000.0

    def ambient_c(self):
        return AMBIENT_C

    def selection(self):
        shade = 1 + self._shade.raw_value * 7 // (ADC_FULL_SCALE + 1)
        _, thickness, moisture, sugar = presets.PRESETS[self.program]
        return shade, thickness, moisture, sugar, self.frozen

    def _write_heater(self, on):
        self._heater.value = bool(on)

    def _write_latch(self, on):
        self._latch.value = bool(on)

    def _write_led(self, on):
        self._led.value = bool(on)

    def feed_watchdog(self):
        if self._watchdog is not None:
            self._watchdog.write(b"\0")
            self._watchdog.flush()

    def log(self, msg):
        print("log", self.ticks_ms(), msg, file=sys.stderr)

    def log_events(self, events, fault):
        print("ev", self.ticks_ms(), events, fault, file=sys.stderr)

    def log_advice(self, answer, elapsed_ms):
        print("advice", self.ticks_ms(), answer, elapsed_ms, file=sys.stderr)

    def sleep_until(self, deadline_ms):
        wait = ticks_diff(deadline_ms, self.ticks_ms())
        if wait > 0:
            time.sleep(wait / 1000.0)
