"""Lumped thermal model of a two-slot pop-up toaster with the bread in it.

Nodes: heating element, chamber (air, reflector walls, wire guards), the thermal fuse
body, the thermistor bead, and a slice of bread per slot (host_sim/slice.py: surface,
dry crust over an evaporation front, wet crumb). Heat moves by radiation (element ->
slices, element -> chamber walls, slices -> walls), convection and conduction.

Every constant below names its source or the target it was fitted to; docs/PLANT.md
compares the plant's behaviour with published values, row by row, each held by a test.
The fitted values (marked "fitted") were tuned together so that a medium (shade 4) white
slice from a cold toaster at 230 V takes ~2.5 min (docs/PLANT.md P1), the element glows
dull red (~520 C) within ~30 s and the chamber reaches 90-160 C in ordinary use. The
plant is a model for testing the guard, not a measurement of any one toaster.
"""

import math

from host_sim import hazard
from host_sim.slice import SLICE_FACE_M2

SIGMA = 5.670374419e-8  # Stefan-Boltzmann constant, W m^-2 K^-4 (CODATA 2018)
KELVIN = 273.15

# --- element: 4 nichrome ribbons on mica boards (fitted)
ELEMENT_HEAT_CAP_J_K = 32.0  # ~35 g NiCr at 0.45 J/gK plus the mica in contact
ELEMENT_TO_SLICE_EA_M2 = 0.0127  # per slot (fitted to P1): emissivity x view factor x
# area, ~0.8 x 0.65 x 2 faces of 0.0121 m2 (oxidised NiCr 0.88, Kanthal; parallel plates
# 12 mm apart)
ELEMENT_TO_WALL_EA_M2 = 0.010  # remaining radiation reaches reflectors and guards
ELEMENT_TO_AIR_W_K = 0.5  # natural convection from ribbons, h~10 W/m2K over ~0.035 m2

# --- chamber: air, steel reflectors, crumb tray, wire guards (fitted: cools to 1/e in
# ~7 min after a batch)
CHAMBER_HEAT_CAP_J_K = 900.0  # ~1.7 kg of steel parts near the slots, at 0.5 J/gK
CHAMBER_TO_AMBIENT_W_K = 2.2  # shell convection+radiation, 0.12 m2 at ~18 W/m2K
CHAMBER_TO_SLICE_W_K = 0.365  # per slice: h ~15 W/m2K (slot natural convection) x 0.0242 m2
SLICE_TO_WALL_EA_M2 = 0.0075  # per slice: crust eps ~0.9 x ~1/3 of its view on the walls
SLOTS = 2

# --- thermal cut-off body (safety/FUSE.md gives the part and its placement)
FUSE_TAU_S = 20.0  # TCO in a clip on the chamber's top reflector: time constant of case
# and clip; it follows the chamber, whose overheating (crumb tray, housing) it ends
# --- NTC bead in the airflow above the slots
THERMISTOR_TAU_S = 2.5  # 1.6 mm glass bead in moving air (ATC Semitec 104GT: ~2-3 s)
DETACHED_TAU_S = 15.0  # fallen out of its clip onto the cool base: relaxes to it
DETACHED_BASE_FRACTION = 0.1  # the base sits ~10 % of the way from ambient to chamber


# Products and relaxation factors the plant uses every step, computed once.
SIGMA_EA_WALL = SIGMA * ELEMENT_TO_WALL_EA_M2
SIGMA_EA_SLICE = SIGMA * ELEMENT_TO_SLICE_EA_M2
SIGMA_EA_SLICE_WALL = SIGMA * SLICE_TO_WALL_EA_M2
FACES_M2 = 2.0 * SLICE_FACE_M2
_RELAX = {}


def _relax(dt, tau):
    """1 - exp(-dt/tau): the share of the gap a first-order node closes in dt."""
    key = (dt, tau)
    factor = _RELAX.get(key)
    if factor is None:
        factor = _RELAX[key] = 1.0 - math.exp(-dt / tau)
    return factor


class Plant:
    """The toaster's thermal state. `step` integrates it with the element powered or not.
    `slots` holds a Slice per slot, or None for an empty slot."""

    def __init__(self, ambient_c=22.0, chamber_start_c=None, supply_v=230.0,
                 rated_v=230.0, element_w=900.0):
        start = ambient_c if chamber_start_c is None else chamber_start_c
        self.ambient_c = ambient_c
        self.supply_v = supply_v
        self.rated_v = rated_v
        self.element_w = element_w
        self.element_c = start
        self.chamber_c = start
        self.fuse_c = start
        self.thermistor_c = start
        self.thermistor_detached = False
        self.fire_w = 0.0  # heat from burning crumbs into the chamber (rig.CRUMB_FIRE_W)
        self.slots = [None] * SLOTS
        self.max_chamber_c = start
        self.max_surface_c = start
        self.max_fuse_c = start
        self.ignited = False  # a slice met the ignition criterion (host_sim/hazard.py)

    def load(self, slices):
        """Put a batch in: one Slice (or None) per slot."""
        self.slots = list(slices)

    def unload(self):
        self.slots = [None] * SLOTS

    def loaded(self):
        return [s for s in self.slots if s is not None]

    def element_power(self, energised):
        if not energised:
            return 0.0
        return self.element_w * (self.supply_v / self.rated_v) ** 2

    def step(self, dt, energised):
        """Advance dt seconds; `energised` is whether mains reaches the element."""
        te = self.element_c + KELVIN
        tc = self.chamber_c + KELVIN
        te4, tc4 = te ** 4, tc ** 4
        q_wall = SIGMA_EA_WALL * (te4 - tc4)
        q_air = ELEMENT_TO_AIR_W_K * (te - tc)
        q_loss = CHAMBER_TO_AMBIENT_W_K * (self.chamber_c - self.ambient_c)
        q_slices = 0.0
        q_chamber_slices = 0.0
        for s in self.slots:
            if s is None:  # an empty slot: that radiation lands on the far wall
                q_wall += SIGMA_EA_SLICE * (te4 - tc4)
                continue
            ts = s.surface_c + KELVIN
            ts4 = ts ** 4
            q_rad = SIGMA_EA_SLICE * (te4 - ts4)
            q_chamber = CHAMBER_TO_SLICE_W_K * (self.chamber_c - s.surface_c) + SIGMA_EA_SLICE_WALL * (tc4 - ts4)
            s.add_heat((q_rad + q_chamber) / FACES_M2, dt)
            q_slices += q_rad
            q_chamber_slices += q_chamber
            self._observe(s)
        p = self.element_power(energised)
        self.element_c += (p - q_wall - q_air - q_slices) * dt / ELEMENT_HEAT_CAP_J_K
        self.chamber_c += (q_wall + q_air + self.fire_w - q_loss - q_chamber_slices) * dt / CHAMBER_HEAT_CAP_J_K
        self.fuse_c += (self.chamber_c - self.fuse_c) * _relax(dt, FUSE_TAU_S)
        self._step_thermistor(dt)
        if self.chamber_c > self.max_chamber_c:
            self.max_chamber_c = self.chamber_c
        if self.fuse_c > self.max_fuse_c:
            self.max_fuse_c = self.fuse_c

    def _observe(self, s):
        if s.surface_c > self.max_surface_c:
            self.max_surface_c = s.surface_c
        if not self.ignited and s.surface_c >= hazard.IGNITION_SURFACE_MIN_C:
            self.ignited = s.pyrolysis_flux() >= hazard.IGNITION_FLUX_KG_M2_S

    def _step_thermistor(self, dt):
        if self.thermistor_detached:
            base = self.ambient_c + DETACHED_BASE_FRACTION * (self.chamber_c - self.ambient_c)
            self.thermistor_c += (base - self.thermistor_c) * _relax(dt, DETACHED_TAU_S)
        else:
            self.thermistor_c += (self.chamber_c - self.thermistor_c) * _relax(dt, THERMISTOR_TAU_S)
