"""Commission the MLX90614 thermopiles on the Pico's I2C bus (docs/MAKER.md, Commissioning).

With the board in service mode (bread button held at power-on) and ONE sensor on the
bus, from the checkout:

    mpremote connect /dev/ttyACM0 run docs/commission_mlx90614.py exec "emissivity()"
    mpremote connect /dev/ttyACM0 run docs/commission_mlx90614.py exec "address()"

`emissivity(addr=0x5A, value=0.90)` writes EEPROM cell 0x04; `address(old=0x5A,
new=0x5B)` writes cell 0x0E. Each write is the datasheet's sequence: erase (write 0),
wait 5 ms, write the value, wait 5 ms, read it back; then power-cycle the sensor (unplug
the board) before it uses the new value. Every transfer carries its SMBus PEC; nothing
here is stored on the board.
"""

import time

import machine

SDA, SCL, FREQ = 4, 5, 100000  # firmware/hw/pico_pins.py: I2C0 at the MLX90614's 100 kHz
EEPROM = 0x20  # SMBus opcode 001x xxxx: EEPROM cell x
CELL_EMISSIVITY = 0x04  # emissivity x 65535
CELL_ADDRESS = 0x0E  # the SMBus address, in the low byte
CELL_0F = 0x0F  # see docs/MAKER.md: some parts also scale this cell with the emissivity
EEPROM_WAIT_MS = 5  # the datasheet's erase and write time

i2c = machine.I2C(0, sda=machine.Pin(SDA), scl=machine.Pin(SCL), freq=FREQ)


def crc8(data):
    """The SMBus PEC: CRC-8, x^8 + x^2 + x + 1, over every byte on the wire."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def read_cell(addr, cell):
    command = EEPROM | cell
    data = i2c.readfrom_mem(addr, command, 3)
    if crc8(bytes((addr << 1, command, (addr << 1) | 1, data[0], data[1]))) != data[2]:
        raise OSError("0x%02x cell 0x%02x: PEC mismatch" % (addr, cell))
    return data[0] | (data[1] << 8)


def write_cell(addr, cell, value):
    """Erase, write and read back one EEPROM cell; the value read back."""
    command = EEPROM | cell
    for word in (0, value):
        lsb, msb = word & 0xFF, word >> 8
        i2c.writeto_mem(addr, command, bytes((lsb, msb, crc8(bytes((addr << 1, command, lsb, msb))))))
        time.sleep_ms(EEPROM_WAIT_MS)
    back = read_cell(addr, cell)
    if back != value:
        raise OSError("0x%02x cell 0x%02x: wrote 0x%04x, read back 0x%04x" % (addr, cell, value, back))
    return back


def emissivity(addr=0x5A, value=0.90):
    before = read_cell(addr, CELL_EMISSIVITY)
    word = int(round(value * 65535))
    write_cell(addr, CELL_EMISSIVITY, word)
    print("emissivity 0x%02x: 0x%04x -> 0x%04x (%.3f); cell 0x0F reads 0x%04x; now power-cycle"
          % (addr, before, word, word / 65535, read_cell(addr, CELL_0F)))


def address(old=0x5A, new=0x5B):
    word = (read_cell(old, CELL_ADDRESS) & 0xFF00) | new
    write_cell(old, CELL_ADDRESS, word)
    print("address 0x%02x -> 0x%02x; power-cycle, then it answers only at 0x%02x" % (old, new, new))
