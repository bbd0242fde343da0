"""Draw the Pico wiring diagram from the firmware's pin map (firmware/hw/pico_pins.py).

    python docs/wiring.py [OUT.svg]      (default: docs/wiring.svg)

Low-voltage side only: the SSR's load terminals, the element, the thermal fuse and the
carriage switch's mains contact are on the mains side (docs/MAKER.md, section Mains).
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


def gp(n):
    return "GP%d" % n


def pico():
    left = [(P.ADC_THERMISTOR, "ADC0"), (P.ADC_MAINS, "ADC1"), (P.ADC_SHADE, "ADC2"),
            (P.PIN_LEVER, "lever"), (P.PIN_BREAD, "bread"), (P.PIN_FROZEN, "frozen")]
    right = [(P.PIN_HEATER, "heater"), (P.PIN_LATCH, "latch"), (P.PIN_LED, "LED")]
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
                      "AO3400 gate: carriage magnet,\n1N4148 across the coil")
        output_branch(d, getattr(ic, gp(P.PIN_LED)), elm.LED(), "fault LED", "on-board (GP25)")
        d += elm.Line().at(ic.GND).down(0.6)
        d += elm.Ground()
        d.save(str(out))
    return out


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
