"""The maker docs cannot drift from the code: pin table and wiring drawing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.hw import pico_pins as P

ROOT = Path(__file__).resolve().parent.parent
MAKER = (ROOT / "docs" / "MAKER.md").read_text()


def test_pin_table_matches_the_pin_map():
    rows = dict(re.findall(r"^\| ([^|]+?) \| (GP\d+) \|", MAKER, re.M))
    expected = {"heater (SSR input)": P.PIN_HEATER, "carriage hold magnet": P.PIN_LATCH,
                "carriage switch (aux)": P.PIN_LEVER, "bread program button": P.PIN_BREAD,
                "frozen button": P.PIN_FROZEN, "fault LED": P.PIN_LED,
                "thermistor divider": P.ADC_THERMISTOR, "mains sense": P.ADC_MAINS,
                "shade dial": P.ADC_SHADE, "I2C0 SDA": P.PIN_I2C_SDA, "I2C0 SCL": P.PIN_I2C_SCL,
                "purge fan tachometer": P.PIN_FAN_TACH, "isolating relay driver": P.PIN_LATCH}
    assert rows == {k: "GP%d" % v for k, v in expected.items()}


@pytest.mark.timeout(60)
def test_wiring_drawing_is_regenerated_from_the_pin_map(tmp_path):
    out = tmp_path / "wiring.svg"
    subprocess.run([sys.executable, str(ROOT / "docs" / "wiring.py"), str(out)], check=True, timeout=50)
    assert out.read_bytes() == (ROOT / "docs" / "wiring.svg").read_bytes(), \
        "docs/wiring.svg is stale: run python docs/wiring.py"
    svg = out.read_text()
    for n, what in ((P.PIN_HEATER, "heater"), (P.PIN_LEVER, "lever"), (P.ADC_THERMISTOR, "ADC0"),
                    (P.PIN_I2C_SDA, "SDA"), (P.PIN_I2C_SCL, "SCL"), (P.PIN_FAN_TACH, "fan tach")):
        assert "GP%d %s" % (n, what) in svg
    for part in ("ADS1115", "MLX90614KSF-ACF", "BSS138", "G5LE-1A4", "0x%02X slot 1, 0x%02X slot 2"
                 % (P.ADDR_SURFACE_1, P.ADDR_SURFACE_2)):
        assert part in svg, part
