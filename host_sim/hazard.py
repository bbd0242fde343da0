"""What counts as a hazard in the simulator, and the hardware layers' ratings.

A slice ignites (docs/PLANT.md, "fire criterion") when its surface is at least
IGNITION_SURFACE_MIN_C and the dry crust gives off pyrolysis gas at IGNITION_FLUX_KG_M2_S
or more: piloted ignition of cellulosic solids (a glowing element is the pilot) needs
both a surface at 300-365 C and a critical mass flux of combustible gas of ~1-3 g/m2 s
(Babrauskas, Ignition Handbook, 2003; Lyon & Quintiere 2007). The low end of each is
taken. No published ignition time exists for bread in a stuck toaster; the plant's
pyrolysis kinetics are an assumption (docs/PLANT.md) and its ignition temperatures land
inside the published range.
FIRE_CHAMBER_C: 300 C for the chamber (air, walls, crumb tray): crumbs on the tray are the
usual first fuel in toaster fires; 300 C is the low end of their piloted ignition.
Reaching either is a hazard; so is the element being powered for longer than
UNCONTROLLED_MAX_S while the guard commands it off (the fuse would be the only barrier).
"""

IGNITION_SURFACE_MIN_C = 300.0
IGNITION_FLUX_KG_M2_S = 1.0e-3
FIRE_CHAMBER_C = 300.0
UNCONTROLLED_MAX_S = 1.0  # a relay or magnet releases in < 50 ms; 1 s is 10 control ticks

# The hardware layers in series with the element (safety/FUSE.md is their specification;
# tests/test_fuse_spec.py holds these numbers to it). The simulator opens each at the top
# of its tolerance band, the latest it may open.
# Thermal cut-off (TCO, IEC 60691): Tf = 240 C (+0/-10), one-shot, on the chamber top.
FUSE_TF_C = 240.0
# Bimetal cut-out (thermal timer): a bimetal strip heated by a winding in series with the
# element, so it integrates the element's dose ((V/V_rated)^2 x on-time) since the carriage
# went down; it opens the element circuit at 410 s +-10 % of rated-equivalent on-time and
# is re-set mechanically when the carriage rises.
CUTOUT_DOSE_S = 410.0
CUTOUT_TOLERANCE = 0.10
