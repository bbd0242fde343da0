"""Bread for the plant: the panel presets (firmware/presets.py) plus crumb density.

Crumb densities are typical of retail loaves (a 110 x 110 mm slice weighs 25-45 g);
denser breads (rye, bagel, gluten-free) heat more slowly per unit of element energy.
"""

from firmware.features import FROZEN_C
from firmware.presets import PRESETS, find

DENSITY_KG_M3 = {
    "white": 250.0, "wholemeal": 330.0, "sourdough": 300.0, "rye": 400.0,
    "bagel": 420.0, "brioche": 230.0, "gluten-free": 420.0,
}
PRESET_NAMES = tuple(p[0] for p in PRESETS)

# Maillard browning speeds up with reducing sugars: k0 is multiplied by a factor linear in
# the sugar excess over white bread. The gain is assumed, not measured: brioche (12 %)
# browns ~1.6x faster than white, in line with the faster colour development of enriched
# doughs reviewed by Purlis (2010, J. Food Eng. 99:239). White bread is Zanoni et al.'s
# reference (factor 1). Per preset: white 1.0, wholemeal 0.92, sourdough 0.76, rye 0.92,
# bagel 1.08, brioche 1.56, gluten-free 1.0.
SUGAR_K0_GAIN = 8.0
SUGAR_REFERENCE = 0.05
SUGAR_FACTOR_MIN = 0.6


def sugar_factor(sugar):
    """Multiplier on the browning pre-exponential factor k0 for a sugar mass fraction."""
    return max(SUGAR_FACTOR_MIN, 1.0 + SUGAR_K0_GAIN * (sugar - SUGAR_REFERENCE))


class Bread:
    """One batch's bread: preset values, thickness optionally overridden."""

    def __init__(self, preset, frozen=False, thickness_mm=None, ambient_c=22.0):
        p = find(preset)
        if p is None:
            raise ValueError("unknown bread %r (known: %s)" % (preset, ", ".join(PRESET_NAMES)))
        self.preset = preset
        self.frozen = bool(frozen)
        self.thickness_mm = float(thickness_mm) if thickness_mm is not None else p[1]
        self.moisture = p[2]
        self.sugar = p[3]
        self.density = DENSITY_KG_M3[preset]
        self.start_c = FROZEN_C if frozen else ambient_c
