"""Draw the Pico wiring diagram from the firmware's pin map (firmware/hw/pico_pins.py).

    python docs/wiring.py [OUT.svg]      (default: docs/wiring.svg)

Low-voltage side only: the SSR's load terminals, the element, the isolating relay's
contact, the thermal fuse and the carriage switch's mains contact are on the mains side
(docs/MAKER.md, section Mains). The bread-surface sensing: I2C0 to the ADS1115 (3.3 V,
the reference tab's NTC divider on AIN0) and through a BSS138 level shifter to the two
5 V MLX90614 thermopiles; the purge fan's tachometer; the isolating relay's driver on
the carriage magnet's line.
"""

import sys
from pathlib import Path

import schemdraw
import schemdraw.elements as elm

schemdraw.use("svg")  # its own SVG writer: deterministic output, no matplotlib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from firmware.hw import pico_pins as P  # noqa: E402

OUT = Path(__file__).with_name("wiring.svg")
ADC_GPIO = {0: 26, 1: 27, 2: 28}  # RP2040 ADC channel -> GPIO
ADS_PIN_SPACING = 1.5  # the ADS1115's SDA and SCL sit right above their taps on the bus


def gp(n):
    return "GP%d" % n


def pico():
    left = [(P.ADC_THERMISTOR, "ADC0"), (P.ADC_MAINS, "ADC1"), (P.ADC_SHADE, "ADC2"),
            (P.PIN_LEVER, "lever"), (P.PIN_BREAD, "bread"), (P.PIN_FROZEN, "frozen")]
    right = [(P.PIN_HEATER, "heater"), (P.PIN_LATCH, "latch"), (P.PIN_LED, "LED"),
             (P.PIN_FAN_TACH, "fan tach"), (P.PIN_I2C_SDA, "SDA"), (P.PIN_I2C_SCL, "SCL")]
    pins = [elm.IcPin(name="%s %s" % (gp(n), what), anchorname=gp(n), side="left") for n, what in left]
    pins += [elm.IcPin(name="%s %s" % (gp(n), what), anchorname=gp(n), side="right") for n, what in right]
    pins += [elm.IcPin(name="ADC_VREF", anchorname="VREF", side="top"),
             elm.IcPin(name="GND", anchorname="GND", side="bottom")]
    return elm.Ic(pins=pins, pinspacing=2.0, edgepadW=3.0, edgepadH=0.8, leadlen=0.8)


def input_branch(d, pin, element, text):
    """A left-side input: a lead out, the part, ground below its far end."""
    d += elm.Line().at(pin).left(2)
    d += element.left(2.5).label(text, loc="top")
    d += elm.Line().left(0.8)
    d += elm.Ground()


def output_branch(d, pin, element, text, note):
    d += elm.Line().at(pin).right(1.5)
    d += element.right(2.5).label(text, loc="top")
    d += elm.Dot(open=True).label(note, loc="right")


def i2c_bus(d, sda, scl):
    """GP4/GP5 to the ADS1115 on the 3.3 V side, then through the level shifter to the
    two thermopiles on the 5 V side."""
    taps = []
    for pin, tap_at in ((sda, 3.0), (scl, 3.0 + ADS_PIN_SPACING)):
        d += elm.Line().at(pin).right(tap_at)
        d += (tap := elm.Dot())
        d += elm.Line().right(6.0 - tap_at)
        taps.append(tap)
    shifter = elm.Ic(pins=[elm.IcPin(name="LV1", side="left", anchorname="LV1"),
                           elm.IcPin(name="LV2", side="left", anchorname="LV2"),
                           elm.IcPin(name="HV1", side="right", anchorname="HV1"),
                           elm.IcPin(name="HV2", side="right", anchorname="HV2")],
                     pinspacing=2.0, edgepadW=1.2, leadlen=0.4, label="BSS138\nlevel shifter\n3.3 V | 5 V")
    d += shifter.anchor("LV1").at((taps[0].center[0] + 3.0, taps[0].center[1]))
    sensors = elm.Ic(pins=[elm.IcPin(name="SDA", side="left", anchorname="SDA"),
                           elm.IcPin(name="SCL", side="left", anchorname="SCL")],
                     pinspacing=2.0, edgepadW=2.6, leadlen=0.4,
                     label="2 x MLX90614KSF-ACF, 5 V\n0x%02X slot 1, 0x%02X slot 2\nbehind IR windows"
                     % (P.ADDR_SURFACE_1, P.ADDR_SURFACE_2))
    d += elm.Line().at(shifter.HV1).right(1.5)
    d += sensors.anchor("SDA")
    d += elm.Line().at(shifter.HV2).right(1.5)
    ads = elm.Ic(pins=[elm.IcPin(name="SDA", side="bottom", anchorname="SDA"),
                       elm.IcPin(name="SCL", side="bottom", anchorname="SCL"),
                       elm.IcPin(name="AIN0", side="right", anchorname="AIN0")],
                 pinspacing=ADS_PIN_SPACING, edgepadW=2.0, edgepadH=0.8, leadlen=0.4,
                 label="ADS1115\n0x%02X, 3.3 V" % P.ADDR_ADS1115)
    d += ads.anchor("SDA").at((taps[0].center[0], taps[1].center[1] + 2.0))
    for tap, pin in zip(taps, (ads.SDA, ads.SCL)):
        d += elm.Line().at(tap.center).toy(pin[1])
    d += elm.Line().at(ads.AIN0).right(1.0)
    d += (node := elm.Dot())
    d += elm.Resistor().up(2).label("4.7 k 0.1 %", loc="bottom")
    d += elm.Dot(open=True).label("3V3", loc="right")
    d += elm.Line().at(node.center).right(1.5)
    d += elm.Thermistor().down(2).label("tab NTC 100 k\n104GT-2", loc="bottom")
    d += elm.Ground()


def relay_driver(d, where):
    """The isolating relay, driven with the carriage magnet from the same pin through
    its own transistor."""
    d += elm.Dot(open=True).at(where).label("%s (latch)" % gp(P.PIN_LATCH), loc="left")
    d += elm.Resistor().right(2.0).label("1 k", loc="top")
    d += (q := elm.BjtNpn(circle=True).anchor("base").label("BC337", loc="right"))
    d += elm.Ground().at(q.emitter)
    d += elm.Line().at(q.collector).up(0.6)
    d += (top := elm.Dot())
    d += elm.Inductor2(loops=3).up(2.0).label("isolating relay coil\nG5LE-1A4 DC5", loc="bottom")
    d += (supply := elm.Dot())
    d += elm.Line().right(0.8)
    d += elm.Dot(open=True).label("5 V", loc="right")
    d += elm.Line().at(top.center).left(1.5)
    d += elm.Diode().up(2.0).label("1N4007", loc="left")
    d += elm.Line().tox(supply.center[0])


def draw(out=OUT):
    with schemdraw.Drawing(show=False) as d:
        d.config(fontsize=10, unit=2.2)
        d += (ic := pico())
        d += elm.Label().at((ic.VREF[0], ic.VREF[1] + 1.8)).label("Raspberry Pi Pico (RP2040)", fontsize=13)
        d += elm.Line().at(ic.VREF).up(0.8)
        d += elm.Dot(open=True).label("to the NTC pull-up", loc="right")
        # NTC divider: ADC0 sees 4.7 k 0.1 % from ADC_VREF over a 100 k glass bead to ground
        d += elm.Line().at(getattr(ic, gp(P.ADC_THERMISTOR))).left(2)
        d += (node := elm.Dot())
        d += elm.Thermistor().down(2).label("NTC 100 k\n104GT-2", loc="bottom")
        d += elm.Ground()
        d += elm.Line().at(node.center).left(3)
        d += elm.Resistor().down(2).label("4.7 k 0.1 %", loc="bottom")
        d += elm.Dot(open=True).label("ADC_VREF", loc="bottom")
        d += elm.Line().at(getattr(ic, gp(P.ADC_MAINS))).left(2)
        d += elm.Resistor().left(2.5).label("divider: 1.5 x V_rated\n= full scale", loc="top")
        d += elm.Dot(open=True).label("rectified mains-\nsense transformer", loc="left")
        input_branch(d, getattr(ic, gp(P.ADC_SHADE)), elm.Potentiometer(), "shade pot 10 k")
        input_branch(d, getattr(ic, gp(P.PIN_LEVER)), elm.Button(), "carriage switch (aux)")
        input_branch(d, getattr(ic, gp(P.PIN_BREAD)), elm.Button(), "bread button")
        input_branch(d, getattr(ic, gp(P.PIN_FROZEN)), elm.Button(), "frozen button")
        heater = getattr(ic, gp(P.PIN_HEATER))
        d += elm.Line().at(heater).right(1.5)
        d += (tap := elm.Dot())
        d += elm.Resistor().right(2.5).label("1 k", loc="top")
        d += elm.Dot(open=True).label("SSR input + (Crydom D2425);\nSSR input - to GND", loc="right")
        d += elm.Resistor().at(tap.center).down(1.6).label("10 k pull-down", loc="bottom")
        d += elm.Ground()
        output_branch(d, getattr(ic, gp(P.PIN_LATCH)), elm.Resistor(), "1 k",
                      "AO3400 gate: carriage magnet,\n1N4148 across the coil;\nalso the relay driver (below)")
        output_branch(d, getattr(ic, gp(P.PIN_LED)), elm.LED(), "fault LED", "on-board (GP25)")
        i2c_bus(d, getattr(ic, gp(P.PIN_I2C_SDA)), getattr(ic, gp(P.PIN_I2C_SCL)))
        output_branch(d, getattr(ic, gp(P.PIN_FAN_TACH)), elm.Line(), "",
                      "purge fan tachometer (open collector);\nfan 25 mm 5 V, pull-up inside the RP2040")
        heater_pin = getattr(ic, gp(P.PIN_HEATER))
        relay_driver(d, (heater_pin[0] + 12.0, heater_pin[1] - 5.0))
        d += elm.Line().at(ic.GND).down(0.6)
        d += elm.Ground()
        d.save(str(out))
    return out


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
