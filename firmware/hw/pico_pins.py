"""The Pico's pin map and analogue scaling (wiring: docs/MAKER.md). Constants only, so
main.py can drive the heater pin low before it imports anything else, and host tools
can encode the board's inputs without MicroPython.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

PIN_HEATER = const(15)  # SSR driver (low = off)
PIN_LATCH = const(14)  # carriage hold magnet driver (low = released, carriage pops up)
PIN_LEVER = const(13)  # carriage switch to ground, internal pull-up: 0 = carriage down
PIN_BREAD = const(12)  # bread program button, to ground
PIN_FROZEN = const(11)  # frozen toggle button, to ground
PIN_FEEDBACK = const(9)  # feedback button, to ground: 1 press too light, 2 ok, 3 too dark
PIN_HIL = const(10)  # HIL jumper to ground: sensors from the host, SSR drive cut
PIN_LED = const(25)  # on-board LED: fault
ADC_THERMISTOR = const(26)  # ADC0: NTC divider (safety/thermistor.py)
ADC_MAINS = const(27)  # ADC1: mains sense (transformer, rectifier, divider)
ADC_SHADE = const(28)  # ADC2: shade potentiometer
INTERNAL_TEMP_ADC = const(4)  # RP2040 die sensor: ambient while the board idles
PIN_I2C_SDA = const(4)  # I2C0 SDA: thermopiles and ADS1115 (through the 5 V level shifter)
PIN_I2C_SCL = const(5)  # I2C0 SCL
PIN_FAN_TACH = const(16)  # purge fan tachometer (open collector), internal pull-up, falling edges
I2C_ID = const(0)  # GP4/GP5 are a pin pair of the RP2040's I2C0
I2C_FREQ = const(100000)  # the MLX90614's SMBus interface runs at 100 kHz at most
ADDR_SURFACE_1 = const(0x5A)  # slot 1 thermopile: the MLX90614's factory address
ADDR_SURFACE_2 = const(0x5B)  # slot 2 thermopile, re-addressed at commissioning (docs/MAKER.md)
ADDR_ADS1115 = const(0x48)  # ADDR pin to GND; its AIN0 reads the reference tab's NTC divider
SURFACE_ADDRESSES = (ADDR_SURFACE_1, ADDR_SURFACE_2)  # in slot order
MAINS_FULL_SCALE_PM = const(1500)  # the mains divider reads 1.5 x rated voltage at full scale
RATED_V = 230.0  # the element this build is for; a 120 V toaster needs a 120 V build
