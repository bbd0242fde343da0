"""Bread programs on the front panel: name, thickness_mm, moisture, sugar (mass fractions).

Water content and sugars from USDA FoodData Central (SR Legacy): white bread 36 % water,
whole-wheat 38.7 %, rye 37 %, French/sourdough 34 %, plain bagel 32 %; brioche-style egg
bread ~12 % sugars; gluten-free loaves ~40 % water. Rounded toward the fresher bread a
toaster usually sees. Thickness is the usual pre-sliced thickness (a bagel is a half).
"""

PRESETS = (
    ("white", 13.0, 0.38, 0.05),
    ("wholemeal", 14.0, 0.40, 0.04),
    ("sourdough", 16.0, 0.38, 0.02),
    ("rye", 12.0, 0.40, 0.04),
    ("bagel", 20.0, 0.33, 0.06),
    ("brioche", 18.0, 0.32, 0.12),
    ("gluten-free", 12.0, 0.42, 0.05),
)


def find(name):
    """(name, thickness_mm, moisture, sugar) for a preset name, or None."""
    for p in PRESETS:
        if p[0] == name:
            return p
    return None
