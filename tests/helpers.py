"""Shared test helpers: drive the guard with temperatures instead of ADC counts; run the
Pi Zero loop on gpiozero's MockFactory (the `zero_pins` fixture is in conftest.py)."""

from host_sim.rig import adc_counts
from safety import limits
from safety.guard import Guard


def adc(temp_c):
    return int(round(adc_counts(temp_c)))


class Drive:
    """A guard with a clock; `tick` steps it with a temperature (C) or raw counts."""

    def __init__(self, temp_c=22.0):
        self.g = Guard()
        self.temp = temp_c
        self.lever = False
        self.supply = 1000
        self.tick()

    def tick(self, dt=100, temp=None, lever=None, supply=None, counts=None):
        if temp is not None:
            self.temp = temp
        if lever is not None:
            self.lever = lever
        if supply is not None:
            self.supply = supply
        value = counts if counts is not None else adc(self.temp)
        return self.g.step(dt, value, self.lever, self.supply)

    def press(self, shade=4, answer=100.0, elapsed=10):
        """Press the lever, hand the guard its advice, and step into heating."""
        self.tick(lever=True)
        self.g.advise(shade, answer, elapsed)
        return self.tick()

    def run(self, ms, dt=100, **kw):
        for _ in range(ms // dt):
            self.tick(dt, **kw)


def zero_run(factory, model_path, ticks=20):
    from firmware import main_zero
    from firmware.hw.zero import ZeroBoard

    board = ZeroBoard(pin_factory=factory)
    factory.boards.append(board)
    board.sleep_until = lambda deadline: None  # the test drives time by ticks, not the clock
    clock = iter(range(0, 10 ** 6, limits.TICK_MS // 2))

    def ticks_ms():
        t = next(clock)
        if t == 1000:
            factory.pin(5).drive_low()  # the user presses the lever a second after boot
        return t

    board.ticks_ms = ticks_ms
    logged = []
    board.log_advice = lambda answer, ms: logged.append(answer)
    board.log = lambda msg: logged.append(msg)
    ctl = main_zero.run(board, str(model_path), ticks=ticks)
    return ctl, board, logged
