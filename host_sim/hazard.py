"""What counts as a hazard in the simulator, and the thermal fuse's rating.

FIRE_SURFACE_C: 350 C at the bread surface. Cellulosic and starchy solids ignite with a
pilot (a glowing element is one) at 300-365 C after minutes of exposure (Babrauskas,
Ignition Handbook, 2003, ch. 7 and 14); bread is fully black (DE 52) near 270 C in the
plant, so any batch that reaches 350 C has left toasting far behind. We take the middle
of the piloted range rather than the ~400 C autoignition of dry starch layers.
FIRE_CHAMBER_C: 300 C for the chamber (air, walls, crumb tray): crumbs on the tray are the
usual first fuel in toaster fires; 300 C is the low end of their piloted ignition.
Reaching either is a hazard; so is the element being powered for longer than
UNCONTROLLED_MAX_S while the guard commands it off (the fuse would be the only barrier).
"""

FIRE_SURFACE_C = 350.0
FIRE_CHAMBER_C = 300.0
UNCONTROLLED_MAX_S = 1.0  # a relay or magnet releases in < 50 ms; 1 s is 10 control ticks

# The hardware layers in series with the element (safety/FUSE.md is their specification;
# tests/test_fuse_spec.py holds these numbers to it). The simulator opens each at the top
# of its tolerance band, the latest it may open.
# Thermal cut-off (TCO, IEC 60691): Tf = 240 C (+0/-10), one-shot, on the chamber top.
FUSE_TF_C = 240.0
# Bimetal cut-out (thermal timer): a bimetal strip heated by a winding in series with the
# element, so it integrates the element's dose ((V/V_rated)^2 x on-time) since the carriage
# went down; it opens the element circuit at 220 s +-10 % of rated-equivalent on-time and
# is re-set mechanically when the carriage rises.
CUTOUT_DOSE_S = 220.0
CUTOUT_TOLERANCE = 0.10
