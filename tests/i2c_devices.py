"""Device models on a fake I2C bus for the sensor drivers' tests: MLX90614 thermopiles
(RAM words answered with their SMBus PEC, EEPROM cells with the datasheet's erase-before-
write rule) and an ADS1115 (config and conversion registers).

`Bus` has machine.I2C's memory calls and runs unchanged on the MicroPython VM; once a
device's values are set its reads allocate nothing, so the board's own allocation can
be measured. `FakeSMBus` serves the same devices to smbus2's `i2c_rdwr` (the Pi Zero's
adapter, CPython only), as the MockMCP3208 in conftest.py serves gpiozero's SPI.
The PEC here is computed apart from firmware/hw/mlx90614.py, byte string at a time.
"""

EIO = 5  # MicroPython's errno for a NACK
KELVIN_CENTI = 27315
RAM_DIE = 0x06
RAM_OBJECT = 0x07
EEPROM = 0x20  # SMBus opcode 001x xxxx: EEPROM cell x
ERROR_FLAG = 0x8000
ADS_CONVERSION = 0x00
ADS_CONFIG = 0x01
ADS_RESET_CONFIG = 0x8583  # the ADS1115's power-on default: single shot, powered down
ADS_RUNNING_CONFIG = 0x4283  # continuous AIN0 against GND, +-4.096 V, 128 SPS


def smbus_pec(data):
    """CRC-8 (x^8 + x^2 + x + 1, initial 0) over a byte sequence."""
    crc = 0
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 7) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFF
            if top:
                crc ^= 0x07
    return crc


def word_of(temp_c):
    """The MLX90614's RAM word for a temperature (0.02 K per count)."""
    return (int(round(temp_c * 100)) + KELVIN_CENTI) // 2


class MLX90614Model:
    """One thermopile: its object and die words, each answered with its PEC; `error`
    sets the error flag, `bad_pec` corrupts the PEC, `present = False` stops acknowledging."""

    def __init__(self, address, object_c=200.0, die_c=25.0):
        self.address = address
        self.present = True
        self.eeprom = {0x04: 0xFFFF, 0x0E: address, 0x0F: 0x1234}  # emissivity 1.0, SMBus address
        self.eeprom_writes = []  # (cell, value) as written, erases included
        self._answers = {RAM_OBJECT: bytearray(3), RAM_DIE: bytearray(3)}
        self.set(object_c, die_c)

    def set(self, object_c, die_c, error=False, bad_pec=False):
        flag = ERROR_FLAG if error else 0
        self.set_word(RAM_OBJECT, word_of(object_c) | flag, bad_pec)
        self.set_word(RAM_DIE, word_of(die_c) | flag, bad_pec)

    def set_word(self, command, word, bad_pec=False):
        answer = self._answers[command]
        answer[0], answer[1] = word & 0xFF, word >> 8
        pec = smbus_pec([self.address << 1, command, (self.address << 1) | 1, answer[0], answer[1]])
        answer[2] = pec ^ 1 if bad_pec else pec

    def read_into(self, command, buf):
        answer = self._answers.get(command)
        if answer is None:
            answer = self._eeprom_answer(command)
        for i in range(len(buf)):
            buf[i] = answer[i]

    def _eeprom_answer(self, command):
        word = self.eeprom.get(command - EEPROM, 0)
        data = [word & 0xFF, word >> 8]
        return data + [smbus_pec([self.address << 1, command, (self.address << 1) | 1] + data)]

    def write(self, command, data):
        """A Write Word: low byte, high byte, PEC over address, command and data. A cell
        takes a value only over zero (erased first), as the EEPROM does."""
        if smbus_pec([self.address << 1, command, data[0], data[1]]) != data[2]:
            return
        cell, value = command - EEPROM, data[0] | (data[1] << 8)
        self.eeprom_writes.append((cell, value))
        if value == 0 or self.eeprom.get(cell) == 0:
            self.eeprom[cell] = value


class ADS1115Model:
    """The ADC: its config register, and a conversion that is the input's code only while
    it runs continuously on AIN0 at +-4.096 V (after a reset it reads 0)."""

    def __init__(self, address=0x48, code=0):
        self.address = address
        self.present = True
        self.config = ADS_RESET_CONFIG
        self._code = bytearray(2)
        self._idle = bytearray(2)
        self.set_code(code)

    def set_code(self, code):
        code &= 0xFFFF
        self._code[0], self._code[1] = code >> 8, code & 0xFF

    def read_into(self, reg, buf):
        if reg == ADS_CONFIG:
            buf[0], buf[1] = self.config >> 8, self.config & 0xFF
            return
        answer = self._code if self.config == ADS_RUNNING_CONFIG else self._idle
        buf[0], buf[1] = answer[0], answer[1]

    def write(self, reg, data):
        if reg == ADS_CONFIG:
            self.config = (data[0] << 8) | data[1]


class Bus:
    """machine.I2C's memory calls over the device models; absent devices NACK."""

    def __init__(self, *devices):
        self.devices = {}
        for device in devices:
            self.devices[device.address] = device

    def _device(self, addr):
        device = self.devices.get(addr)
        if device is None or not device.present:
            raise OSError(EIO)
        return device

    def readfrom_mem_into(self, addr, memaddr, buf):
        self._device(addr).read_into(memaddr, buf)

    def readfrom_mem(self, addr, memaddr, nbytes):
        buf = bytearray(nbytes)
        self.readfrom_mem_into(addr, memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf):
        self._device(addr).write(memaddr, buf)


class FakeSMBus:
    """smbus2.SMBus's i2c_rdwr over a Bus: a write of the register and a read is a
    register read; a lone write is a register write (Linux gives -EREMOTEIO for a NACK)."""

    def __init__(self, bus):
        self.bus = bus
        self.closed = False

    def i2c_rdwr(self, *messages):
        head = bytes(messages[0])
        if len(messages) == 2:
            read = messages[1]
            buf = bytearray(read.len)
            self._nack_as_linux(self.bus.readfrom_mem_into, read.addr, head[0], buf)
            for i in range(read.len):
                read.buf[i] = bytes([buf[i]])
        else:
            self._nack_as_linux(self.bus.writeto_mem, messages[0].addr, head[0], head[1:])

    def _nack_as_linux(self, call, addr, reg, buf):
        try:
            call(addr, reg, buf)
        except OSError:
            raise OSError(121, "Remote I/O error") from None

    def close(self):
        self.closed = True
