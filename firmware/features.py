"""The model's input vector, in the ONNX signature's order (docs/INTERFACES.md).

Signature v1 (the contract's): 8 features, asked once, at the press. Signature v2 adds
what slot 1's thermopile reads now and the batch's heater-on time so far: asked at the
press and again every READVISE_MS while heating (the guard bounds every answer the
same way, safety/guard.py `readvise`). A model's input width says which it is.
"""

FEATURES = ("shade", "thickness_mm", "bread_start_c", "moisture", "sugar",
            "chamber_start_c", "ambient_c", "supply_v")
FEATURES_V2 = FEATURES + ("surface_c", "heater_on_s")
WIDTHS = (len(FEATURES), len(FEATURES_V2))
FROZEN_C = -18.0  # domestic freezer set point (IEC 62552 four-star compartment)
READVISE_MS = 10000  # a v2 model is asked again this often while heating


def build(selection, chamber_dc, ambient_c, supply_v):
    """Features for a batch from the panel selection and the sensors at the press."""
    shade, thickness_mm, moisture, sugar, frozen = selection
    bread_start_c = FROZEN_C if frozen else ambient_c
    return [float(shade), thickness_mm, bread_start_c, moisture, sugar,
            chamber_dc / 10.0, ambient_c, supply_v]


def build_v2(selection, chamber_dc, ambient_c, supply_v, surface_dc, heater_on_ms):
    """The v2 vector: v1's, then the surface slot 1 reads (the panel's bread temperature
    when it gives no reading) and the heater-on time so far."""
    x = build(selection, chamber_dc, ambient_c, supply_v)
    x.append(x[2] if surface_dc is None else surface_dc / 10.0)
    x.append(heater_on_ms / 1000.0)
    return x
