"""The model's input vector, in the ONNX signature's order (see CONTRACT.md)."""

FEATURES = ("shade", "thickness_mm", "bread_start_c", "moisture", "sugar",
            "chamber_start_c", "ambient_c", "supply_v")
FROZEN_C = -18.0  # domestic freezer set point (IEC 62552 four-star compartment)


def build(selection, chamber_dc, ambient_c, supply_v):
    """Features for a batch from the panel selection and the sensors at the press."""
    shade, thickness_mm, moisture, sugar, frozen = selection
    bread_start_c = FROZEN_C if frozen else ambient_c
    return [float(shade), thickness_mm, bread_start_c, moisture, sugar,
            chamber_dc / 10.0, ambient_c, supply_v]
