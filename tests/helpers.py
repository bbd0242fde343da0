"""Shared test helpers: drive the guard with temperatures instead of ADC counts."""

from host_sim.rig import adc_counts
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
