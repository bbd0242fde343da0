"""One slice of bread in a slot: a surface that dries, browns and chars above an
evaporation front that moves inward, after the crust/crumb model of Zanoni, Pierucci &
Peri (1993, J. Food Eng. 19:389). docs/PLANT.md compares what it does with published
measurements, row by row.

Both faces of a slice face an element panel, so the model follows one face and half the
thickness (per square metre of face):

- the surface node: a thin layer (SURFACE_LAYER_M) that heats, boils dry at 100 C and
  then browns (Zanoni, Peri & Bruno 1995) and chars; half of the dry crust below it is
  lumped with it, so its heat capacity grows as the crust does;
- the crust: dry bread between the surface and the evaporation front, conducting with
  the dry crust's conductivity; the front stays at 100 C while water remains below it;
- the crumb: the wet bread between the front and the slice's midplane, one node that
  warms (melting ice first if frozen) and boils internally once at 100 C.

Heat reaching the front partly warms the crumb (by conduction across half its depth) and
partly evaporates it: the front advances by the depth whose water that heat boils off,
after warming it from the crumb's mean state. So the crust thickens with the heat the
surface lets through, and the surface's temperature rise over 100 C is that heat flux
times crust depth over the crust's conductivity: both grow with time, which is why a
slice browns slowly at first and fast at the end.

Pyrolysis (for the fire criterion in host_sim/hazard.py): the dry crust decomposes
with first-order Arrhenius kinetics; with a linear temperature profile across the crust
the gas flux from it is rho_dry * A * exp(-E/RT_s) * depth * min(1, R T_s^2 / (E dT)).
"""

import math

KELVIN = 273.15
R_GAS = 8.314462618  # J mol^-1 K^-1 (CODATA 2018)

# --- browning kinetics: Zanoni, Peri & Bruno (1995), LWT 28:604 (the contract's values)
DELTA_E_INF = 52.0
K0_PER_S = 42000.0
EA_J_PER_MOL = 64151.0
DRY_SURFACE_FRACTION = 0.02  # browning starts when < 2 % of the surface layer's water is left

# --- bread properties
SLICE_FACE_M2 = 0.0121  # a 110 x 110 mm slice; two faces each
SURFACE_LAYER_M = 0.0003  # the surface node: thin enough that its temperature is the surface's
CP_SOLIDS = 1600.0  # J/kgK, dry bread solids (Rask 1989, J. Food Eng. 9:167)
CP_WATER = 4180.0
CP_ICE = 2050.0
LATENT_FUSION = 334e3  # J/kg
LATENT_VAPOUR = 2257e3  # J/kg at 100 C
EVAPORATION_C = 100.0
VAPOUR_ENTHALPY = LATENT_VAPOUR + CP_WATER * EVAPORATION_C  # J/kg above liquid water at 0 C
CRUST_CONDUCTIVITY = 0.08  # W/mK, dry crust (see docs/PLANT.md)
CRUMB_CONDUCTIVITY = 0.27  # W/mK, moist crumb near 100 C with evaporation-condensation
MIN_CRUMB_M = 0.0002  # the front stops this short of the midplane; the rest boils in place

# --- pyrolysis of the dry crust (first order; see docs/PLANT.md)
PYROLYSIS_EA_J_PER_MOL = 170e3
PYROLYSIS_A_PER_S = 3.23e13


def browning_rate(surface_c, k0_factor):
    """k(T) of the browning kinetics, 1/s."""
    return K0_PER_S * k0_factor * math.exp(-EA_J_PER_MOL / (R_GAS * (surface_c + KELVIN)))


def enthalpy(temp_c, solids, water):
    """Enthalpy (J) relative to liquid water at 0 C; ice melts at 0 C."""
    if temp_c >= 0.0:
        return (solids * CP_SOLIDS + water * CP_WATER) * temp_c
    return (solids * CP_SOLIDS + water * CP_ICE) * temp_c - water * LATENT_FUSION


def temperature(h, solids, water):
    if h >= 0.0:
        return h / (solids * CP_SOLIDS + water * CP_WATER)
    frozen_at_zero = -water * LATENT_FUSION
    if h >= frozen_at_zero:
        return 0.0
    return (h - frozen_at_zero) / (solids * CP_SOLIDS + water * CP_ICE)


def boil(h, solids, water):
    """(enthalpy, water) after boiling: heat beyond the 100 C state turns water to vapour,
    which leaves the bread."""
    if water <= 0.0:
        return h, water
    at_boil = enthalpy(EVAPORATION_C, solids, water)
    if h <= at_boil:
        return h, water
    boiled = min(water, (h - at_boil) / VAPOUR_ENTHALPY)
    return h - boiled * VAPOUR_ENTHALPY, water - boiled


class Slice:
    """One slice (per m2 of one face; both faces alike)."""

    def __init__(self, bread, k0_factor):
        self.bread = bread
        self.k0_factor = k0_factor
        half = bread.thickness_mm / 2000.0
        self.half_m = half
        self.solids_m3 = bread.density * (1.0 - bread.moisture)
        self.water_m3 = bread.density * bread.moisture
        self.surface_solids = self.solids_m3 * SURFACE_LAYER_M
        self.surface_water0 = self.water_m3 * SURFACE_LAYER_M
        self.surface_water = self.surface_water0
        self.h_surface = enthalpy(bread.start_c, self.surface_solids, self.surface_water)
        self.crust_m = 0.0
        crumb = half - SURFACE_LAYER_M
        self.crumb_solids = self.solids_m3 * crumb
        self.crumb_water = self.water_m3 * crumb
        self.h_crumb = enthalpy(bread.start_c, self.crumb_solids, self.crumb_water)
        self.mass0 = bread.density * half
        self.water_lost = 0.0
        self.surface_c = bread.start_c
        self.crumb_c = bread.start_c
        self.max_surface_c = bread.start_c
        self.delta_e = 0.0
        self.lost_last_step = 0.0

    # --- what can be observed ----------------------------------------------------------
    def dry(self):
        return self.surface_water <= DRY_SURFACE_FRACTION * self.surface_water0

    def steaming(self):
        """Whether the slice gave off water vapour in its last step."""
        return self.lost_last_step > 0.0

    def mass_loss(self):
        """Share of the slice's mass lost as vapour."""
        return self.water_lost / self.mass0

    def crust_depth_m(self):
        """Depth of the dry crust under the surface, surface layer included."""
        return SURFACE_LAYER_M + self.crust_m if self.surface_water <= 0.0 else 0.0

    def pyrolysis_flux(self):
        """kg/m2 s of pyrolysis gas leaving the dry crust."""
        depth = self.crust_depth_m()
        if depth <= 0.0:
            return 0.0
        t_k = self.surface_c + KELVIN
        below = EVAPORATION_C if self.crumb_water > 0.0 else self.crumb_c
        rise = self.surface_c - below
        hot = depth if rise <= 0.0 else depth * min(1.0, R_GAS * t_k * t_k / (PYROLYSIS_EA_J_PER_MOL * rise))
        return self.solids_m3 * PYROLYSIS_A_PER_S * math.exp(-PYROLYSIS_EA_J_PER_MOL / (R_GAS * t_k)) * hot

    # --- heat --------------------------------------------------------------------------
    def add_heat(self, q_w_m2, dt):
        """Advance dt seconds with q_w_m2 arriving at each face (W/m2, may be negative)."""
        crumb_m = max(self.half_m - SURFACE_LAYER_M - self.crust_m, MIN_CRUMB_M)
        lost_before = self.water_lost
        if self.surface_water > 0.0:
            self._wet_surface(q_w_m2, crumb_m, dt)
        elif self.crumb_water > 0.0:
            self._front(q_w_m2, crumb_m, dt)
        else:
            conductance = CRUST_CONDUCTIVITY / (SURFACE_LAYER_M / 2.0 + self.crust_m + crumb_m / 2.0)
            q_in = conductance * (self.surface_c - self.crumb_c)
            self.h_surface += (q_w_m2 - q_in) * dt
            self.h_crumb += q_in * dt
        self.h_crumb, water = boil(self.h_crumb, self.crumb_solids, self.crumb_water)
        self.water_lost += self.crumb_water - water
        self.crumb_water = water
        self.lost_last_step = self.water_lost - lost_before
        self.surface_c = temperature(self.h_surface, self.surface_solids, self.surface_water)
        self.crumb_c = temperature(self.h_crumb, self.crumb_solids, self.crumb_water)
        if self.surface_c > self.max_surface_c:
            self.max_surface_c = self.surface_c
        if self.dry():
            k = browning_rate(self.surface_c, self.k0_factor)
            self.delta_e += (DELTA_E_INF - self.delta_e) * (1.0 - math.exp(-k * dt))

    def _wet_surface(self, q_w_m2, crumb_m, dt):
        """Before the surface dries: it warms and boils, and the crumb warms under it."""
        conductance = CRUMB_CONDUCTIVITY / ((SURFACE_LAYER_M + crumb_m) / 2.0)
        q_in = conductance * (self.surface_c - self.crumb_c)
        h, water = boil(self.h_surface + (q_w_m2 - q_in) * dt, self.surface_solids, self.surface_water)
        self.water_lost += self.surface_water - water
        self.h_surface, self.surface_water = h, water
        self.h_crumb += q_in * dt

    def _front(self, q_w_m2, crumb_m, dt):
        """Dry surface over wet crumb: heat crosses the crust to the front at 100 C; what
        the crumb does not take by conduction evaporates the front inward."""
        q_front = CRUST_CONDUCTIVITY * (self.surface_c - EVAPORATION_C) / (SURFACE_LAYER_M / 2.0 + self.crust_m)
        self.h_surface += (q_w_m2 - q_front) * dt
        q_crumb = CRUMB_CONDUCTIVITY * (EVAPORATION_C - self.crumb_c) / (crumb_m / 2.0)
        if q_crumb < 0.0:
            q_crumb = 0.0
        if q_front <= q_crumb:
            self.h_crumb += q_front * dt
            return
        self.h_crumb += q_crumb * dt
        self._advance((q_front - q_crumb) * dt, crumb_m)

    def _advance(self, heat_j, crumb_m):
        """Move the front inward by the depth `heat_j` (J/m2) dries: crumb at its mean
        state becomes crust at 100 C and vapour. Half the new crust joins the surface node."""
        solids_m, water_m = self.crumb_solids / crumb_m, self.crumb_water / crumb_m
        per_kg = self.h_crumb / (self.crumb_solids + self.crumb_water)
        per_m = (solids_m * CP_SOLIDS * EVAPORATION_C + water_m * VAPOUR_ENTHALPY
                 - (solids_m + water_m) * per_kg)
        depth = heat_j / per_m
        room = crumb_m - MIN_CRUMB_M
        if depth > room:  # the front has reached the middle: the rest boils in place
            self.h_crumb += (depth - room) * per_m
            depth = room
        if depth <= 0.0:
            return
        solids, water = solids_m * depth, water_m * depth
        self.crust_m += depth
        self.h_crumb -= (solids + water) * per_kg
        self.crumb_solids -= solids
        self.crumb_water -= water
        self.water_lost += water
        self.surface_solids += solids / 2.0
        self.h_surface += solids / 2.0 * CP_SOLIDS * EVAPORATION_C
