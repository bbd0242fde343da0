"""Lumped thermal model of a two-slot pop-up toaster with the bread in it.

Nodes: heating element, chamber (air, reflector walls, wire guards), the thermal fuse body,
the thermistor bead, and per batch the bread's surface layer and core. Heat moves by
radiation (element -> bread, element -> chamber walls), convection and conduction.
Browning is Zanoni, Peri & Bruno (1995): dDE/dt = k(Ts) (DE_inf - DE), k = k0 exp(-Ea/RTs),
and proceeds only once the surface layer has dried.

Every constant below names its source or the target it was fitted to. The fitted values
(marked "fitted") were tuned together so that a medium (shade 4) white slice from a cold
toaster at 230 V takes ~2.5 min and shades 1-7 span ~1.5-3.8 min, the element reaches
~500 C (dull red) within ~30 s, a toasting surface plateaus near 230-250 C while the crumb
still holds water, and the chamber reaches 90-160 C in ordinary use. Those targets are
typical of domestic 900 W toasters; the plant is a model for testing the guard, not a
measurement of any one toaster.
"""

import math

SIGMA = 5.670374419e-8  # Stefan-Boltzmann constant, W m^-2 K^-4 (CODATA 2018)
KELVIN = 273.15
R_GAS = 8.314462618  # J mol^-1 K^-1 (CODATA 2018)

# --- browning kinetics: Zanoni, Peri & Bruno (1995), LWT 28:604 (the contract's values)
DELTA_E_INF = 52.0
K0_PER_S = 42000.0
EA_J_PER_MOL = 64151.0
DRY_SURFACE_FRACTION = 0.02  # browning starts when <2 % of the layer's water is left

# --- element: 4 nichrome ribbons on mica boards (fitted)
ELEMENT_HEAT_CAP_J_K = 32.0  # ~35 g NiCr at 0.45 J/gK plus the mica in contact
ELEMENT_TO_BREAD_EA_M2 = 0.026  # emissivity x view factor x area: NiCr oxide eps ~0.8,
# view factor element->slice face ~0.65 (parallel plates 12 mm apart), 4 faces of 0.0121 m2
ELEMENT_TO_WALL_EA_M2 = 0.010  # remaining radiation reaches reflectors and guards
ELEMENT_TO_AIR_W_K = 0.5  # natural convection from ribbons, h~10 W/m2K over ~0.035 m2

# --- chamber: air, steel reflectors, crumb tray, wire guards (fitted: cools to 1/e in
# ~7 min after a batch)
CHAMBER_HEAT_CAP_J_K = 900.0  # ~1.7 kg of steel parts near the slots, at 0.5 J/gK
CHAMBER_TO_AMBIENT_W_K = 2.2  # shell convection+radiation, 0.12 m2 at ~18 W/m2K
CHAMBER_TO_BREAD_W_K = 0.73  # h ~15 W/m2K (slot natural convection) x 0.0484 m2
BREAD_TO_WALL_EA_M2 = 0.015  # crust eps ~0.9 (dark) x ~1/3 of its view on the cooler walls

# --- bread: both slices, both faces (two 110 x 110 mm slices)
BREAD_FACE_AREA_M2 = 0.0484  # 4 faces x 0.0121 m2
SURFACE_LAYER_M = 0.0010  # the crust that browns, ~1-2 mm (Purlis & Salvadori 2009)
CP_SOLIDS = 1600.0  # J/kgK, dry bread solids (Rask 1989, J. Food Eng. 9:167)
CP_WATER = 4180.0
CP_ICE = 2050.0
LATENT_FUSION = 334e3  # J/kg
LATENT_VAPOUR = 2257e3  # J/kg at 100 C
EVAPORATION_C = 100.0
CRUMB_CONDUCTIVITY = 0.16  # W/mK, moist crumb (Zanoni et al. 1995: 0.07-0.2)

# --- thermal cut-off body (safety/FUSE.md gives the part and its placement)
FUSE_TAU_S = 20.0  # TCO in a clip on the chamber's top reflector: time constant of case
# and clip; it follows the chamber, whose overheating (crumb tray, housing) it ends
# --- NTC bead in the airflow above the slots
THERMISTOR_TAU_S = 2.5  # 1.6 mm glass bead in moving air (ATC Semitec 104GT: ~2-3 s)
DETACHED_TAU_S = 15.0  # fallen out of its clip onto the cool base: relaxes to it
DETACHED_BASE_FRACTION = 0.1  # the base sits ~10 % of the way from ambient to chamber


# Products and relaxation factors the plant uses every step, computed once (the same
# floating-point operations, in the same order, as written out in full).
SIGMA_EA_WALL = SIGMA * ELEMENT_TO_WALL_EA_M2
SIGMA_EA_BREAD = SIGMA * ELEMENT_TO_BREAD_EA_M2
SIGMA_EA_BREAD_WALL = SIGMA * BREAD_TO_WALL_EA_M2
_RELAX = {}


def _relax(dt, tau):
    """1 - exp(-dt/tau): the share of the gap a first-order node closes in dt."""
    key = (dt, tau)
    factor = _RELAX.get(key)
    if factor is None:
        factor = _RELAX[key] = 1.0 - math.exp(-dt / tau)
    return factor


def browning_rate(surface_c, k0_factor):
    """k(T) of the browning kinetics, 1/s."""
    t_k = surface_c + KELVIN
    return K0_PER_S * k0_factor * math.exp(-EA_J_PER_MOL / (R_GAS * t_k))


class BreadNode:
    """One batch of bread: a surface layer that dries and browns, and the core."""

    def __init__(self, bread, k0_factor):
        volume = BREAD_FACE_AREA_M2 / 2.0 * bread.thickness_mm / 1000.0
        mass = volume * bread.density
        surface_mass = min(mass * 0.5, BREAD_FACE_AREA_M2 * SURFACE_LAYER_M * bread.density)
        self.solids_s = surface_mass * (1.0 - bread.moisture)
        self.water_s0 = surface_mass * bread.moisture
        self.water_s = self.water_s0
        core_mass = mass - surface_mass
        self.solids_c = core_mass * (1.0 - bread.moisture)
        self.water_c = core_mass * bread.moisture
        half = bread.thickness_mm / 1000.0 / 2.0
        self.core_conductance = CRUMB_CONDUCTIVITY * BREAD_FACE_AREA_M2 / max(half / 2.0, 1e-3)
        self.h_s = _enthalpy(bread.start_c, self.solids_s, self.water_s)
        self.h_c = _enthalpy(bread.start_c, self.solids_c, self.water_c)
        self.k0_factor = k0_factor
        self.delta_e = 0.0
        self.surface_c = bread.start_c
        self.core_c = bread.start_c

    def dry(self):
        return self.water_s <= DRY_SURFACE_FRACTION * self.water_s0

    def add_heat(self, q_surface, q_core, dt):
        self.h_s, self.water_s = _boil(self.h_s + q_surface * dt, self.solids_s, self.water_s)
        self.h_c, self.water_c = _boil(self.h_c + q_core * dt, self.solids_c, self.water_c)
        self.surface_c = _temperature(self.h_s, self.solids_s, self.water_s)
        self.core_c = _temperature(self.h_c, self.solids_c, self.water_c)
        if self.dry():
            k = browning_rate(self.surface_c, self.k0_factor)
            self.delta_e += (DELTA_E_INF - self.delta_e) * (1.0 - math.exp(-k * dt))



def _boil(h, solids, water):
    """Water boils off at 100 C: enthalpy beyond the 100 C state goes into vapour."""
    if water <= 0.0:
        return h, water
    at_boil = _enthalpy(EVAPORATION_C, solids, water)
    if h <= at_boil:
        return h, water
    boiled = min(water, (h - at_boil) / (LATENT_VAPOUR + CP_WATER * EVAPORATION_C))
    return h - boiled * (LATENT_VAPOUR + CP_WATER * EVAPORATION_C), water - boiled


def _enthalpy(temp_c, solids, water):
    """Enthalpy (J) relative to liquid water at 0 C; ice melts at 0 C."""
    if temp_c >= 0.0:
        return (solids * CP_SOLIDS + water * CP_WATER) * temp_c
    return (solids * CP_SOLIDS + water * CP_ICE) * temp_c - water * LATENT_FUSION


def _temperature(h, solids, water):
    if h >= 0.0:
        return h / (solids * CP_SOLIDS + water * CP_WATER)
    frozen_at_zero = -water * LATENT_FUSION
    if h >= frozen_at_zero:
        return 0.0
    return (h - frozen_at_zero) / (solids * CP_SOLIDS + water * CP_ICE)


class Plant:
    """The toaster's thermal state. `step` integrates it with the element powered or not."""

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
        self.bread = None
        self.max_chamber_c = start
        self.max_surface_c = start
        self.max_fuse_c = start

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
        b = self.bread
        if b is None:
            q_bread_rad = SIGMA_EA_BREAD * (te4 - tc4)
            q_chamber_bread = 0.0
            q_wall += q_bread_rad  # an empty slot: that radiation lands on the far wall
        else:
            ts = b.surface_c + KELVIN
            ts4 = ts ** 4
            q_bread_rad = SIGMA_EA_BREAD * (te4 - ts4)
            q_chamber_bread = CHAMBER_TO_BREAD_W_K * (self.chamber_c - b.surface_c)
            q_chamber_bread += SIGMA_EA_BREAD_WALL * (tc4 - ts4)
            q_core = b.core_conductance * (b.surface_c - b.core_c)
            b.add_heat(q_bread_rad + q_chamber_bread - q_core, q_core, dt)
            if b.surface_c > self.max_surface_c:
                self.max_surface_c = b.surface_c
        p = self.element_power(energised)
        self.element_c += (p - q_wall - q_air - (q_bread_rad if b is not None else 0.0)) * dt / ELEMENT_HEAT_CAP_J_K
        self.chamber_c += (q_wall + q_air + self.fire_w - q_loss - q_chamber_bread) * dt / CHAMBER_HEAT_CAP_J_K
        self.fuse_c += (self.chamber_c - self.fuse_c) * _relax(dt, FUSE_TAU_S)
        self._step_thermistor(dt)
        if self.chamber_c > self.max_chamber_c:
            self.max_chamber_c = self.chamber_c
        if self.fuse_c > self.max_fuse_c:
            self.max_fuse_c = self.fuse_c

    def _step_thermistor(self, dt):
        if self.thermistor_detached:
            base = self.ambient_c + DETACHED_BASE_FRACTION * (self.chamber_c - self.ambient_c)
            self.thermistor_c += (base - self.thermistor_c) * _relax(dt, DETACHED_TAU_S)
        else:
            self.thermistor_c += (self.chamber_c - self.thermistor_c) * _relax(dt, THERMISTOR_TAU_S)
