"""Raspberry Pi Pico back-end on MicroPython's `machine` (pins in pico_pins.py).

The heater pin is configured low before anything else; the SSR driver also has a
10 kOhm pull-down so the heater stays off while the RP2040 is in reset. The bread-surface
sensors (two MLX90614 and the ADS1115 on I2C0, the purge fan's tachometer) are read by
firmware/hw/surface_sensors.py; a sensor that does not answer reads None, and the board
runs on (the guard degrades the batch).
"""

import machine
import time
from micropython import const

from firmware import presets
from firmware.hw.base import Board
from firmware.hw.pico_pins import (ADC_MAINS, ADC_SHADE, ADC_THERMISTOR, ADDR_ADS1115, I2C_FREQ,
                                   I2C_ID, INTERNAL_TEMP_ADC, MAINS_FULL_SCALE_PM, PIN_BREAD,
                                   PIN_FAN_TACH, PIN_FEEDBACK, PIN_FROZEN, PIN_HEATER, PIN_I2C_SCL,
                                   PIN_I2C_SDA, PIN_LATCH, PIN_LED, PIN_LEVER, RATED_V,
                                   SURFACE_ADDRESSES)
from firmware.hw.surface_sensors import SurfaceSensors
from safety import limits

OVERSAMPLE = const(16)  # averages the RP2040 ADC's ~1.5-count noise down to ~0.4


class PicoBoard(Board):
    def __init__(self, link, watchdog=True):
        self.link = link  # the serial protocol: logs go to the host as M messages
        self._heater = machine.Pin(PIN_HEATER, machine.Pin.OUT, value=0)
        self._latch = machine.Pin(PIN_LATCH, machine.Pin.OUT, value=0)
        Board.__init__(self)
        self._led = machine.Pin(PIN_LED, machine.Pin.OUT, value=0)
        self._lever = machine.Pin(PIN_LEVER, machine.Pin.IN, machine.Pin.PULL_UP)
        self._bread = machine.Pin(PIN_BREAD, machine.Pin.IN, machine.Pin.PULL_UP)
        self._frozen = machine.Pin(PIN_FROZEN, machine.Pin.IN, machine.Pin.PULL_UP)
        self._feedback = machine.Pin(PIN_FEEDBACK, machine.Pin.IN, machine.Pin.PULL_UP)
        self._ntc = machine.ADC(ADC_THERMISTOR)
        self._mains = machine.ADC(ADC_MAINS)
        self._shade = machine.ADC(ADC_SHADE)
        self._die = machine.ADC(INTERNAL_TEMP_ADC)
        # The RP2040's watchdog cannot be stopped once armed; service mode does not arm it.
        self._wdt = machine.WDT(timeout=limits.WATCHDOG_MS) if watchdog else None
        self.program = 0
        self.frozen = False
        self._bread.irq(self._next_program, machine.Pin.IRQ_FALLING)
        self._frozen.irq(self._toggle_frozen, machine.Pin.IRQ_FALLING)
        self.feedback_presses = 0
        self._feedback.irq(self._count_feedback, machine.Pin.IRQ_FALLING)
        self._i2c = machine.I2C(I2C_ID, sda=machine.Pin(PIN_I2C_SDA), scl=machine.Pin(PIN_I2C_SCL),
                                freq=I2C_FREQ)
        self.sensors = SurfaceSensors(self._i2c, SURFACE_ADDRESSES, ADDR_ADS1115)
        self._tach = machine.Pin(PIN_FAN_TACH, machine.Pin.IN, machine.Pin.PULL_UP)
        self._tach.irq(self.sensors.pulse, machine.Pin.IRQ_FALLING)

    def _next_program(self, _pin):
        self.program = (self.program + 1) % len(presets.PRESETS)

    def _toggle_frozen(self, _pin):
        self.frozen = not self.frozen

    def _count_feedback(self, _pin):
        self.feedback_presses += 1

    def take_feedback_presses(self):
        n, self.feedback_presses = self.feedback_presses, 0
        return n

    def ticks_ms(self):
        return time.ticks_ms()

    def read_adc(self):
        total = 0
        for _ in range(OVERSAMPLE):
            total += self._ntc.read_u16() >> 4
        return total // OVERSAMPLE

    def read_surface(self, readings):
        self.sensors.read(readings, time.ticks_ms())

    def lever_down(self):
        return self._lever.value() == 0

    def supply_pm(self):
        return self._mains.read_u16() * MAINS_FULL_SCALE_PM // 65535

    def supply_v(self):
        return self.supply_pm() * RATED_V / 1000.0

    def ambient_c(self):
        volts = self._die.read_u16() * 3.3 / 65535
        return 27.0 - (volts - 0.706) / 0.001721  # RP2040 datasheet, section 4.9.5

    def selection(self):
        shade = 1 + self._shade.read_u16() * 7 // 65536
        _, thickness, moisture, sugar = presets.PRESETS[self.program]
        return shade, thickness, moisture, sugar, self.frozen

    def _write_heater(self, on):
        self._heater.value(on)

    def _write_latch(self, on):
        self._latch.value(on)

    def _write_led(self, on):
        self._led.value(on)

    def feed_watchdog(self):
        if self._wdt is not None:
            self._wdt.feed()

    def log(self, msg):
        self.link.send("M", msg)

    def log_events(self, events, fault):
        pass  # every tick's telemetry (T) carries the events and the fault

    def log_advice(self, answer, elapsed_ms):
        self.link.send("M", "advice %r %d" % (answer, elapsed_ms))

    def sleep_until(self, deadline_ms):
        wait = time.ticks_diff(deadline_ms, time.ticks_ms())
        if wait > 0:
            time.sleep_ms(wait)
