"""The virtual hardware around the board: thermistor divider and ADC, mains, relay,
carriage with its hold magnet and switch, thermal fuse, watchdog, board power, the
bread-surface sensing (host_sim/sensing.py), faults.

The element is powered only when mains is present, the thermal fuse and the bimetal
cut-out are closed, the carriage is down (its switch is in series with the element, as in
every pop-up toaster), the SSR is on (commanded, or welded) and the isolating relay is
closed (it is driven with the carriage magnet, so it opens whenever the guard releases
the carriage; or welded). A jammed carriage (a bagel wedged in the slot, a lever held
down) stays down whatever the magnet does.
"""

import math
import random

from host_sim import hazard
from host_sim.plant import SLOTS, Plant
from host_sim.sensing import DEFAULT_SEVERITY, Sensing
from safety import limits
from safety import thermistor as ntc

PLANT_STEP_MS = 50  # plant integration step; the stiffest node (element) has tau ~6 s
ADC_NOISE_COUNTS = 0.4  # RP2040 ADC noise after 16x oversampling (datasheet: ~1.5 LSB)
ADC_NOISE_FAULT_COUNTS = 60.0  # adc_noise fault: a broken shield / ground loop
PRESS_MS = 300  # how long a user holds the lever down when pressing it
CUTOUT_OPENS_MS = 1000.0 * hazard.CUTOUT_DOSE_S * (1.0 + hazard.CUTOUT_TOLERANCE)  # the band's top
CRUMB_FIRE_W = 1000.0  # crumb_fire fault: crumbs caught on the glowing element burn and
# heat the chamber (~6 g at ~17 kJ/g over a batch); they burn only while the element
# glows, so the fault heats with the element. Chosen large enough that hot restarts
# under the dose cap drive the chamber to the guard's cut-off (benchmarks/reaction.py).


def adc_counts(temp_c):
    """Ideal divider output of the NTC (safety/thermistor.py's circuit) at temp_c."""
    t_k = temp_c + 273.15
    r = ntc.R25_OHM * math.exp(ntc.BETA_K * (1.0 / t_k - 1.0 / 298.15))
    return ntc.ADC_FULL_SCALE * r / (r + ntc.PULLUP_OHM)


class Rig:
    def __init__(self, scenario, seed):
        t = scenario.toaster
        self.toaster = t
        self.faults = scenario.faults
        self._active, self._active_at_ms = {}, None
        self.plant = Plant(t.ambient_c, t.chamber_start_c, t.supply_v, t.rated_v, t.element_w)
        self.sensing = Sensing(self.plant, SLOTS, t.surface_offset_c, t.bread_emissivity)
        self.rng = random.Random(seed)
        self.now_ms = 0
        self.relay_cmd = 0
        self.latch_cmd = 0
        self.fault_led = 0
        self.carriage_down = False
        self.hold_until_ms = -1
        self.fuse_open = False
        self.cutout_open = False
        self.cutout_dose_ms = 0.0  # the bimetal timer's dose since the carriage went down
        self.cutout_welded = False  # its contacts welded: benchmarks/double_fault.py's triple fault
        self.cutout_weight = (t.supply_v / t.rated_v) ** 2  # its series winding heats with I^2
        self.last_feed_ms = 0
        self.stuck_adc = None
        self.last_adc = 0
        self.selected = (4, 13.0, 0.38, 0.05, False)
        self.selected_bread = "white"  # the panel's bread program (a preset name)
        self.log_lines = []
        self.energised = False
        self.on_guard_events = lambda events, fault: None
        self.on_advice = lambda answer, elapsed_ms: None

    # --- faults -----------------------------------------------------------------------
    def add_fault(self, fault):
        self.faults.append(fault)
        self._active_at_ms = None

    def fault_active(self, kind):
        return kind in self._active_faults()

    def active_faults(self):
        return sorted(self._active_faults())

    def severity(self, kind, slot):
        """The magnitude of an active fault of `kind` on `slot`'s sensor (0-based; None:
        any), or None when none is active."""
        for fault in self._active_faults().get(kind, ()):
            if fault.applies(slot):
                if fault.severity is not None:
                    return fault.severity
                return DEFAULT_SEVERITY.get(kind, 1.0)
        return None

    def _active_faults(self):
        """{kind: [active faults]}, worked out once per plant step (the loop asks for
        them a dozen times a step)."""
        if self._active_at_ms != self.now_ms:
            t_s = self.now_ms / 1000.0
            active = {}
            for f in self.faults:
                if f.active(t_s):
                    active.setdefault(f.kind, []).append(f)
            self._active = active
            self._active_at_ms = self.now_ms
        return self._active

    def powered(self):
        return "power_loss" not in self._active_faults()

    # --- what the board reads ---------------------------------------------------------
    def read_adc(self):
        self.last_adc = self._adc_faulted()
        return self.last_adc

    def _adc_faulted(self):
        if self.fault_active("thermistor_open"):
            return ntc.ADC_FULL_SCALE
        if self.fault_active("thermistor_short"):
            return 0
        if self.fault_active("thermistor_stuck"):
            if self.stuck_adc is None:
                self.stuck_adc = self._adc_now()
            return self.stuck_adc
        self.stuck_adc = None
        return self._adc_now()

    def _adc_now(self):
        sigma = ADC_NOISE_FAULT_COUNTS if self.fault_active("adc_noise") else ADC_NOISE_COUNTS
        counts = adc_counts(self.plant.thermistor_c) + self.rng.gauss(0.0, sigma)
        return min(ntc.ADC_FULL_SCALE, max(0, int(round(counts))))

    def surface_words(self, slot):
        """What slot's thermopile answers: (object word, body word), or None (no answer
        or a PEC mismatch, both of which the board's driver turns into no reading)."""
        return self.sensing.words(slot, self.severity, self.rng)

    def tab_adc(self):
        """The reference tab's thermistor through the board's external ADC, or None when
        that ADC does not answer."""
        if self.fault_active("reference_tab_open"):
            return ntc.ADC_FULL_SCALE
        counts = adc_counts(self.sensing.tab_c) + self.rng.gauss(0.0, ADC_NOISE_COUNTS)
        return min(ntc.ADC_FULL_SCALE, max(0, int(round(counts))))

    def purge_ok(self):
        """The purge fan's tachometer shows it turning."""
        return self.sensing.purge_running

    def supply_pm(self):
        return int(round(1000.0 * self.toaster.supply_v / self.toaster.rated_v))

    def supply_v(self):
        return self.toaster.supply_v

    def ambient_sensor_c(self):
        return self.toaster.ambient_c

    def selection(self):
        return self.selected

    def feed_watchdog(self):
        self.last_feed_ms = self.now_ms

    def log(self, msg):
        self.log_lines.append((self.now_ms, msg))

    # --- what the user does -------------------------------------------------------------
    def press_lever(self):
        self.carriage_down = True
        self.hold_until_ms = self.now_ms + PRESS_MS

    def board_off(self):
        """Pins go low (reset, watchdog or power loss): relay opens, magnet releases."""
        self.relay_cmd = 0
        self.latch_cmd = 0
        self.fault_led = 0

    # --- time -------------------------------------------------------------------------------
    def watchdog_expired(self):
        return self.now_ms - self.last_feed_ms > limits.WATCHDOG_MS

    def spend_ms(self, ms):
        """Let `ms` of time pass with the outputs as they are (plant, carriage, fuse)."""
        end = self.now_ms + int(ms)
        plant = self.plant
        while self.now_ms < end:
            step = min(PLANT_STEP_MS, end - self.now_ms)
            kinds = self._active_faults()
            powered = "power_loss" not in kinds
            self._carriage(powered, "carriage_jammed" in kinds)
            self.energised = (powered and not self.fuse_open and not self.cutout_open and self.carriage_down
                              and (self.relay_cmd or "relay_welded" in kinds)
                              and (self.latch_cmd or "isolator_welded" in kinds))
            plant.thermistor_detached = "thermistor_detached" in kinds
            plant.fire_w = CRUMB_FIRE_W if self.energised and "crumb_fire" in kinds else 0.0
            plant.step(step / 1000.0, self.energised)
            self.sensing.purge_running = powered and "purge_stopped" not in kinds
            self.sensing.step(step / 1000.0, powered, self.carriage_down, self.severity)
            if plant.fuse_c >= hazard.FUSE_TF_C:
                self.fuse_open = True
            self._bimetal_timer(step)
            self.now_ms += step

    def _bimetal_timer(self, step_ms):
        if not self.carriage_down:
            self.cutout_dose_ms = 0.0
            self.cutout_open = False
        elif self.energised:
            self.cutout_dose_ms += step_ms * self.cutout_weight
            self.cutout_open = self.cutout_dose_ms >= CUTOUT_OPENS_MS and not self.cutout_welded

    def _carriage(self, powered, jammed):
        if not powered:
            self.board_off()
        held = self.now_ms < self.hold_until_ms
        if self.carriage_down and not held and not self.latch_cmd and not jammed:
            self.carriage_down = False
