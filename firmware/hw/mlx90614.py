"""MLX90614 IR thermometer on SMBus (Melexis datasheet rev. 13): the slice's surface
(RAM 0x07, object 1) and the sensor's own die (RAM 0x06), each word checked by its PEC
(CRC-8, x^8+x^2+x+1, over the address, command, address+read and both data bytes) and
its error flag (bit 15). The bus is injected (machine.I2C on the Pico, an SMBus adapter
on the Pi Zero, a device model in the tests); reads fill a preallocated buffer.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

RAM_DIE = const(0x06)
RAM_OBJECT = const(0x07)
ERROR_FLAG = const(0x8000)
CENTI_K_OFFSET = const(27315)  # 0 C in centi-kelvin


def word_to_dc(word):
    """Deci-degrees C of a RAM word (0.02 K per count), or None when its error flag is set."""
    if word & ERROR_FLAG:
        return None
    return (word * 2 - CENTI_K_OFFSET + 5) // 10


def crc8(crc, byte):
    """One byte into the SMBus PEC."""
    crc ^= byte
    for _ in range(8):
        crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def pec(address, command, lsb, msb):
    """The PEC of a Read Word answer."""
    crc = crc8(0, address << 1)
    crc = crc8(crc, command)
    crc = crc8(crc, (address << 1) | 1)
    crc = crc8(crc, lsb)
    return crc8(crc, msb)


class MLX90614:
    def __init__(self, bus, address):
        self.bus = bus
        self.address = address
        self._buf = bytearray(3)

    def object_dc(self):
        return self._read_dc(RAM_OBJECT)

    def die_dc(self):
        return self._read_dc(RAM_DIE)

    def _read_dc(self, command):
        """A RAM word as deci-degrees C, or None: no answer, a PEC mismatch or the flag."""
        buf = self._buf
        try:
            self.bus.readfrom_mem_into(self.address, command, buf)
        except OSError:
            return None
        if pec(self.address, command, buf[0], buf[1]) != buf[2]:
            return None
        return word_to_dc(buf[0] | (buf[1] << 8))
