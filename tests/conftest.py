import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from host_sim.fuzz import FUZZ_SETTINGS

# `ci`: derandomized, no example database, bounded; `fuzz`: long campaigns outside CI.
settings.register_profile("ci", derandomize=True, database=None, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", FUZZ_SETTINGS)
# `mutation`: as `ci` but without shrinking: a killed mutant only needs one failing
# example, and shrinking a failing state-machine run dominated `make mutation`.
settings.register_profile("mutation", parent=settings.get_profile("ci"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def zero_pins():
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockSPIDevice

    class MockMCP3208(MockSPIDevice):
        """The MCP3208's reply: after start, mode and 3 channel bits, a null bit and 12 bits."""

        def __init__(self, factory, counts):
            super().__init__(11, 10, 9, 8, pin_factory=factory)  # SPI0: SCLK, MOSI, MISO, CE0
            self.counts = counts

        def on_bit(self):
            if self.rx_bit == 10:
                b = self.rx_buf
                self.tx_buf.extend([0, 0])
                self.tx_word(self.counts[(b[7] << 2) | (b[8] << 1) | b[9]], 12)

    factory = MockFactory()
    previous, Device.pin_factory = Device.pin_factory, factory
    from host_sim.rig import adc_counts
    adc = MockMCP3208(factory, {0: int(round(adc_counts(22.0))), 1: 2730, 2: 2000})
    factory.boards = []
    yield factory
    for board in factory.boards:
        board.close()
    adc.close()
    factory.reset()
    Device.pin_factory = previous
