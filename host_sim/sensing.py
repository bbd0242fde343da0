"""The bread-surface sensing the rig gives the board: per slot an MLX90614-class IR
thermopile looking at its slice through a purged window; the reference tab (its own
heater and thermistor) it sees while the carriage is up or the slot is empty; the purge
fan's tachometer. What each reads follows from the plant, and the faults change it.
docs/PLANT.md (rows S1-S9) gives each constant's source or says why it is assumed.

The thermopile sees radiance in its 5.5-14 um band; like the device's own arithmetic
(datasheet section 8.7) this model works in T^4: the view mixes its target's emission,
what the target reflects, and a little of the element's ribbons; the window passes a
share of that and adds its own emission; the sensor divides the rest by its emissivity
setting against its body and reports the result, filtered and quantised to 0.02 K.
"""

import math

KELVIN = 273.15

EMISSIVITY_SET = 0.90  # the sensors' emissivity register: the middle of bread's range (S2)
BREAD_EMISSIVITY = (0.85, 0.95)  # browned bread (the and the card's range, S2)
TAB_EMISSIVITY = 0.90  # the tab's coating, matched to the setting (S5)
REFLECTED_ELEMENT = 0.05  # share of what a slice reflects that comes from the ribbons (S3)
GLARE = 0.005  # share of the 10 degree view on the ribbons, through the gaps (S3)
ACCURACY_C = 4.0  # the datasheet's worst case, object 240-380 C (S1)
NOISE_C = 0.18  # rms, at the filter setting of 0.14 s settling (S1)
RESPONSE_TAU_S = 0.05  # the 0.14 s settling time is ~3 time constants (S1)
BODY_SHARE = 0.25  # the purged pocket: the body sits a quarter of the way to the chamber (S4)
BODY_SHARE_UNPURGED = 0.6  # without the purge air it runs much hotter
BODY_TAU_S = 120.0
TAB_C = 200.0  # the tab's self-regulating (PTC) heater holds it here (S5)
TAB_TAU_S = 60.0
FOG_TRANSMISSION = 0.6  # the window without purge air, while slices steam (S6)
RAW_PER_K = 50  # the sensor's word: 0.02 K per count (datasheet 8.7.2)
RAW_MAX = 0x7FFF

# Fault magnitudes when a scenario gives none (`severity`).
DEFAULT_SEVERITY = {"lens_fouled": 0.3, "lens_misaligned": 0.5, "surface_glare": 0.1, "surface_drift": 0.5}
DRIFT_FULL_C = 40.0  # surface_drift at severity 1 reads this much low


def raw_word(temp_c):
    """The sensor's RAM word for a temperature (0.02 K per count, clipped)."""
    return max(0, min(RAW_MAX, int(round((temp_c + KELVIN) * RAW_PER_K))))


class Thermopile:
    """One slot's sensor: its filtered object reading and its body temperature."""

    def __init__(self, start_c, offset_c):
        self.offset_c = offset_c
        self.object_c = start_c
        self.body_c = start_c
        self.stuck = None  # the words it repeats while stuck

    def step(self, dt, target_t4, element_t4, window_t4, body_c, glare, transmission, offset_c):
        """Advance the filter with what the view holds (all radiances in K^4), reading
        offset_c high."""
        view = (1.0 - glare) * target_t4 + glare * element_t4
        arriving = transmission * view + (1.0 - transmission) * window_t4
        body_t4 = (body_c + KELVIN) ** 4
        sensed = (arriving - body_t4) / EMISSIVITY_SET + body_t4
        reading = (max(sensed, 1.0) ** 0.25) - KELVIN + offset_c
        self.object_c += (reading - self.object_c) * (1.0 - math.exp(-dt / RESPONSE_TAU_S))
        self.body_c = body_c


class Sensing:
    """Both slots' thermopiles, the reference tab and the purge fan, stepped with the
    plant by the rig."""

    def __init__(self, plant, slots, offset_c=0.0, emissivity=0.90):
        start = plant.chamber_c
        self.plant = plant
        self.emissivity = emissivity
        self.glare = GLARE  # benchmarks.fire_envelope's worst corner takes both to zero
        self.reflected = REFLECTED_ELEMENT
        self.sensors = [Thermopile(start, offset_c) for _ in range(slots)]
        self.tab_offset_c = offset_c  # the accuracy error at the tab (benchmarks.fire_envelope's
        # worst corner gives it the other sign from the slice's: a gain error)
        self.body_c = start
        self.tab_c = max(TAB_C, start)  # plugged in long enough for its heater (~3 min from cold)
        self.purge_running = True

    def step(self, dt, powered, carriage_down, faults):
        """Advance by dt seconds; `faults(kind, slot)` -> severity or None."""
        p = self.plant
        share = BODY_SHARE if self.purge_running else BODY_SHARE_UNPURGED
        body_goal = p.ambient_c + share * (p.chamber_c - p.ambient_c)
        self.body_c += (body_goal - self.body_c) * (1.0 - math.exp(-dt / BODY_TAU_S))
        heated = powered and faults("reference_heater_failed", None) is None
        tab_goal = max(TAB_C, p.chamber_c) if heated else p.chamber_c
        self.tab_c += (tab_goal - self.tab_c) * (1.0 - math.exp(-dt / TAB_TAU_S))
        element_t4 = (p.element_c + KELVIN) ** 4
        chamber_t4 = (p.chamber_c + KELVIN) ** 4
        window_t4 = (self.body_c + KELVIN) ** 4
        steaming = any(s.steaming() for s in p.loaded())
        for slot, sensor in enumerate(self.sensors):
            target = self._target_t4(slot, carriage_down, element_t4, chamber_t4, faults)
            offset = sensor.offset_c if carriage_down and self.plant.slots[slot] is not None else self.tab_offset_c
            glare = self.glare + (faults("surface_glare", slot) or 0.0)
            transmission = 1.0 - (faults("lens_fouled", slot) or 0.0)
            if not self.purge_running and steaming:
                transmission *= FOG_TRANSMISSION
            sensor.step(dt, target, element_t4, window_t4, self.body_c, min(glare, 1.0), max(transmission, 0.0),
                        offset)

    def _target_t4(self, slot, carriage_down, element_t4, chamber_t4, faults):
        """What the sensor aims at: its slice while the carriage is down and the slot holds
        one, else the tab; a misaligned lens sees part of the chamber wall instead."""
        piece = self.plant.slots[slot] if carriage_down else None
        if piece is None:
            target = TAB_EMISSIVITY * (self.tab_c + KELVIN) ** 4 + (1.0 - TAB_EMISSIVITY) * chamber_t4
        else:
            eps = self.emissivity
            reflected = self.reflected * element_t4 + (1.0 - self.reflected) * chamber_t4
            target = eps * (piece.surface_c + KELVIN) ** 4 + (1.0 - eps) * reflected
        off = faults("lens_misaligned", slot) or 0.0
        return (1.0 - off) * target + off * chamber_t4

    # --- what the board reads -----------------------------------------------------------
    def words(self, slot, faults, rng):
        """(object word, body word) the sensor answers, or None for no answer. A PEC
        error is the board's to find: here it is the same None the driver returns."""
        if faults("surface_open", slot) is not None or faults("surface_pec_error", slot) is not None:
            return None
        sensor = self.sensors[slot]
        if faults("surface_stuck", slot) is not None:
            if sensor.stuck is None:
                sensor.stuck = self._fresh_words(sensor, faults, slot, rng)
            return sensor.stuck
        sensor.stuck = None
        return self._fresh_words(sensor, faults, slot, rng)

    def _fresh_words(self, sensor, faults, slot, rng):
        drift = (faults("surface_drift", slot) or 0.0) * DRIFT_FULL_C
        obj = sensor.object_c - drift + rng.gauss(0.0, NOISE_C)
        return raw_word(obj), raw_word(sensor.body_c + rng.gauss(0.0, NOISE_C / 2.0))
