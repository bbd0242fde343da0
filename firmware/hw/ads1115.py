"""ADS1115 16-bit I2C ADC (TI SBAS444): the reference tab's NTC divider on AIN0.

The tab's divider is the chamber's (safety/thermistor.py: 4.7 kOhm to 3.3 V, NTC to
ground), so its reading is returned as the counts a 12-bit ADC with a 3.3 V full scale
would give, and safety.checks.reading_dc applies unchanged.

Arithmetic, integers only: at FSR +-4.096 V one code is 4.096 V / 32768 = 125 uV, so
3.3 V is code 3300 mV / 0.125 mV = 26400, and counts = code * 4095 / 26400, rounded
half up. The largest product, 32767 * 4095 < 2**30, stays a MicroPython small int.
A negative code (AIN0 a hair below ground) is 0 counts; a code above 3.3 V (the rail a
little high) is 4095, which the guard reads as an open sensor.

The bus is injected (machine.I2C on the Pico, an SMBus adapter on the Pi Zero, a device
model in the tests); reads fill a preallocated buffer.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

REG_CONVERSION = const(0x00)
REG_CONFIG = const(0x01)
# OS 0 | MUX 100: AIN0 against GND | PGA 001: +-4.096 V, the smallest range that holds
# 3.3 V | MODE 0: continuous | DR 100: 128 SPS | comparator off (COMP_QUE 11).
CONFIG = const(0x4283)
CONFIG_BYTES = bytes((CONFIG >> 8, CONFIG & 0xFF))  # as the register takes it: high byte first
SIGN_BIT = const(0x8000)
CODE_AT_FULL_SCALE = const(26400)  # 3.3 V in 125 uV codes
COUNTS_FULL_SCALE = const(4095)  # the 12-bit counts of safety/thermistor.py


def code_to_counts(code):
    """12-bit counts of a 3.3 V full scale for a conversion code 0..32767."""
    counts = (code * COUNTS_FULL_SCALE + CODE_AT_FULL_SCALE // 2) // CODE_AT_FULL_SCALE
    if counts > COUNTS_FULL_SCALE:
        return COUNTS_FULL_SCALE
    return counts


class ADS1115:
    def __init__(self, bus, address):
        self.bus = bus
        self.address = address
        self._buf = bytearray(2)
        self.configured = self.configure()

    def configure(self):
        """Start continuous conversions of AIN0; False when the ADC does not answer."""
        try:
            self.bus.writeto_mem(self.address, REG_CONFIG, CONFIG_BYTES)
        except OSError:
            return False
        return True

    def tab_counts(self):
        """The latest conversion as 12-bit counts, or None when the ADC does not answer
        (configured again at the next call, in case it lost power)."""
        if not self.configured:
            self.configured = self.configure()
            if not self.configured:
                return None
        buf = self._buf
        try:
            self.bus.readfrom_mem_into(self.address, REG_CONVERSION, buf)
        except OSError:
            self.configured = False
            return None
        code = (buf[0] << 8) | buf[1]
        if code & SIGN_BIT:
            return 0
        return code_to_counts(code)
