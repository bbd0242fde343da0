"""Shared test helpers: drive the guard with temperatures instead of ADC counts; run the
Pi Zero loop on gpiozero's MockFactory (the `zero_pins` fixture is in conftest.py) with
its I2C sensors on the device models of tests/i2c_devices.py."""

from host_sim.rig import adc_counts
from safety import limits
from safety.guard import Guard
from safety.surface import Readings
from tests.i2c_devices import ADS1115Model, Bus, FakeSMBus, MLX90614Model

TAB_C = 200.0  # the reference tab's heater holds it here
FAN_PULSES_PER_TICK = 20  # a 2-pulse fan at 6000 rpm, 100 ms ticks
PRESS_MS = 3000  # the user presses the lever once the reference check has passed
SLICE_C = 22.0  # what the thermopiles read once the slices are in view


def adc(temp_c):
    return int(round(adc_counts(temp_c)))


NO_SURFACE = Readings()  # no thermopile answers, no tab, purge stopped: every batch degraded


class Drive:
    """A guard with a clock; `tick` steps it with a temperature (C) or raw counts. Its
    surface sensing is sound: with the carriage up both thermopiles read the tab at its
    thermistor's temperature, with it down they read `slice_c`, never twice the same
    (a live sensor's noise). Construction lets the reference check pass."""

    def __init__(self, temp_c=22.0, sensing=True):
        self.g = Guard()
        self.sensing = sensing  # False: no thermopile answers (every batch degraded)
        self.temp = temp_c
        self.lever = False
        self.supply = 1000
        self.slice_c = 40.0
        self.tab_c = TAB_C
        self.fouled_c = 0.0  # how much lower than the tab both thermopiles read it
        self.surface = Readings()
        self.noise = 0
        self.run(limits.REF_SETTLE_MS + 100)

    def tick(self, dt=100, temp=None, lever=None, supply=None, counts=None, slice_c=None):
        if temp is not None:
            self.temp = temp
        if lever is not None:
            self.lever = lever
        if supply is not None:
            self.supply = supply
        if slice_c is not None:
            self.slice_c = slice_c
        value = counts if counts is not None else adc(self.temp)
        self._sense()
        return self.g.step(dt, value, self.lever, self.supply, self.surface)

    def _sense(self):
        r = self.surface
        if not self.sensing:
            r.obj_dc[:] = NO_SURFACE.obj_dc
            r.body_dc[:] = NO_SURFACE.body_dc
            r.ref_adc, r.purge_ok = None, False
            return
        self.noise ^= 1
        seen = self.slice_c if self.lever else self.tab_c - self.fouled_c
        for slot in range(len(r.obj_dc)):
            r.obj_dc[slot] = int(round(seen * 10)) + self.noise
            r.body_dc[slot] = 300
        r.ref_adc = adc(self.tab_c)
        r.purge_ok = True

    def press(self, shade=4, answer=100.0, elapsed=10):
        """Press the lever, hand the guard its advice, and step into heating."""
        self.tick(lever=True)
        self.g.advise(shade, answer, elapsed)
        return self.tick()

    def run(self, ms, dt=100, **kw):
        for _ in range(ms // dt):
            self.tick(dt, **kw)


def healthy_bus():
    """Both thermopiles see the hot tab from a cool body; the ADS1115 reads the tab's NTC."""
    from hil.virtual_board import ads_code
    return Bus(MLX90614Model(0x5A, TAB_C, 25.0), MLX90614Model(0x5B, TAB_C, 25.0),
               ADS1115Model(0x48, ads_code(adc(TAB_C))))


def zero_run(factory, model_path, ticks=40, bus=None):
    """Run main_zero's loop for `ticks` ticks of 100 ms (each sleep ends on time), the
    purge fan turning, the lever pressed at PRESS_MS; (controller, board, logged)."""
    from firmware import main_zero
    from firmware.hw.zero import PIN_FAN_TACH, PIN_LEVER, ZeroBoard

    bus = healthy_bus() if bus is None else bus
    board = ZeroBoard(pin_factory=factory, i2c=FakeSMBus(bus))
    factory.boards.append(board)
    clock = [0]
    fan = factory.pin(PIN_FAN_TACH)

    def sleep_until(deadline):
        for _ in range(FAN_PULSES_PER_TICK):
            fan.drive_low()
            fan.drive_high()
        clock[0] = deadline
        if deadline == PRESS_MS:
            factory.pin(PIN_LEVER).drive_low()
        if deadline >= PRESS_MS:  # the carriage is down: each thermopile sees its slice
            for device in bus.devices.values():
                if isinstance(device, MLX90614Model):
                    device.set(SLICE_C + 0.1 * (deadline // 100 % 2), 25.0)

    board.sleep_until = sleep_until
    board.ticks_ms = lambda: clock[0]
    logged = []
    board.log_advice = lambda answer, ms: logged.append(answer)
    board.log = lambda msg: logged.append(msg)
    ctl = main_zero.run(board, str(model_path), ticks=ticks)
    return ctl, board, logged
