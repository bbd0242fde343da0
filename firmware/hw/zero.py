"""Raspberry Pi Zero back-end (CPython, gpiozero): the same board interface as the Pico.

The Zero has no ADC, so an MCP3208 (12-bit, SPI0 CE0) reads the NTC divider, the mains
sense and the shade potentiometer. The bread-surface sensors are the Pico build's (two
MLX90614 and the ADS1115, firmware/hw/surface_sensors.py) on I2C bus 1 through smbus2,
and the purge fan's tachometer is a gpiozero input. A sensor that does not answer, or a
bus that cannot be opened, reads None and the board runs on (the guard degrades the
batch). The pin factory and the I2C bus are injected: gpiozero's MockFactory and a
device model in tests, the default (lgpio, /dev/i2c-1) on the board. The heater output
is created first, low, and the SSR driver's pull-down keeps it off while Linux boots.
The hardware watchdog (/dev/watchdog, bcm2835-wdt) is an injected writable file: the
board resets if the loop stops writing to it, as the Pico's WDT does.
"""

import sys
import time

from smbus2 import SMBus, i2c_msg

from firmware import presets
from firmware.hw.base import TICKS_MASK, Board, ticks_diff
from firmware.hw.surface_sensors import SurfaceSensors

PIN_HEATER = 17  # BCM numbering; SSR driver (low = off)
PIN_LATCH = 27  # carriage hold magnet driver
PIN_LED = 22  # fault LED
PIN_LEVER = 5  # carriage switch to ground, pull-up: pressed = carriage down
PIN_BREAD = 6  # bread program button, to ground
PIN_FROZEN = 13  # frozen toggle button, to ground
PIN_FAN_TACH = 26  # purge fan tachometer (open collector), pull-up, falling edges
I2C_BUS = 1  # /dev/i2c-1: GPIO2 SDA, GPIO3 SCL (dtparam=i2c_arm=on, 100 kHz)
SURFACE_ADDRESSES = (0x5A, 0x5B)  # the slots' thermopiles, as on the Pico build
ADDR_ADS1115 = 0x48  # the reference tab's ADC, as on the Pico build
ADC_THERMISTOR = 0  # MCP3208 channels
ADC_MAINS = 1
ADC_SHADE = 2
ADC_FULL_SCALE = 4095
OVERSAMPLE = 4  # the MCP3208 is quieter than the RP2040's ADC
MAINS_FULL_SCALE_PM = 1500  # the same mains divider as the Pico board
RATED_V = 230.0
AMBIENT_C = 22.0  # the Zero has no die sensor the firmware trusts: nominal room


class SMBusI2C:
    """The two machine.I2C calls the shared drivers make, on an smbus2.SMBus: a register
    read is one combined transaction (write the register, repeated start, read), so the
    MLX90614's PEC byte comes back and its driver checks it. None (no bus could be
    opened) answers every call with OSError, as a device that does not acknowledge."""

    def __init__(self, bus):
        self.bus = bus

    def readfrom_mem_into(self, addr, reg, buf):
        read = i2c_msg.read(addr, len(buf))
        self._rdwr(i2c_msg.write(addr, [reg]), read)
        buf[:] = bytes(read)

    def writeto_mem(self, addr, reg, buf):
        self._rdwr(i2c_msg.write(addr, bytes([reg]) + bytes(buf)))

    def _rdwr(self, *messages):
        if self.bus is None:
            raise OSError("I2C bus %d is not open" % I2C_BUS)
        self.bus.i2c_rdwr(*messages)

    def close(self):
        if self.bus is not None:
            self.bus.close()


def open_i2c():
    """I2C bus 1, or None when Linux has none (I2C not enabled in config.txt)."""
    try:
        return SMBus(I2C_BUS)
    except OSError:
        return None


class ZeroBoard(Board):
    def __init__(self, pin_factory=None, watchdog=None, i2c=None):
        """i2c: an SMBus-like bus (i2c_rdwr, close); None opens /dev/i2c-1."""
        from gpiozero import MCP3208, Button, DigitalInputDevice, DigitalOutputDevice

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
        self._i2c = SMBusI2C(open_i2c() if i2c is None else i2c)
        self.sensors = SurfaceSensors(self._i2c, SURFACE_ADDRESSES, ADDR_ADS1115)
        self._tach = DigitalInputDevice(PIN_FAN_TACH, pull_up=True, pin_factory=pin_factory)
        self._tach.when_activated = self.sensors.pulse  # active low: the falling edge

    def close(self):
        """Release every pin, the SPI and the I2C bus (outputs first, so the heater is off)."""
        for device in (self._heater, self._latch, self._led, self._lever, self._bread, self._frozen,
                       self._ntc, self._mains, self._shade, self._tach, self._i2c):
            device.close()

    def _next_program(self):
        self.program = (self.program + 1) % len(presets.PRESETS)

    def _toggle_frozen(self):
        self.frozen = not self.frozen

    def ticks_ms(self):
        return int(time.monotonic() * 1000) & TICKS_MASK

    def read_adc(self):
        total = 0
        for _ in range(OVERSAMPLE):
            total += self._ntc.raw_value
        return total // OVERSAMPLE

    def read_surface(self, readings):
        self.sensors.read(readings, self.ticks_ms())

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
