"""Run a scenario: the real firmware control loop and guard against the plant.

The simulated user puts each batch's bread in and presses the lever when its time comes,
and takes the toast out when the carriage pops. Everything the board does goes through
firmware.control.Controller on a firmware.hw.sim.SimBoard.
"""

import math

from firmware.control import Controller
from firmware.features import WIDTHS
from firmware.hw.sim import SimBoard
from host_sim import hazard, models
from host_sim.bread import Bread, sugar_factor
from host_sim.rig import Rig
from host_sim.slice import Slice
from safety import checks, invariants, limits
from safety.guard import event_names

TAIL_MS = 30000  # keep simulating this long after the last batch (cool-down, fuse)
BATCH_TIMEOUT_MS = 900000  # a batch the guard never ends is cut off by the simulator
BURNT_DELTA_E = 46.0
QUIET_EVENTS = ("start", "done", "cancel")  # ordinary batch life, not guard interventions
TRACE_COLUMNS = ("t_s", "heater_cmd", "heater_actual", "chamber_c", "sensor_c", "surface_c",
                 "delta_e", "fuse_c", "fault")


class NanWhenFaulted:
    """The model_nan fault: the model's answer becomes NaN while the fault is active."""

    def __init__(self, model, rig):
        self.model = model
        self.rig = rig
        self.n_features = getattr(model, "n_features", WIDTHS[0])  # the signature it answers

    def predict(self, x):
        answer = self.model.predict(x)
        return math.nan if self.rig.fault_active("model_nan") else answer


class Simulation:
    def __init__(self, scenario, model_spec=None, base_dir=None, model=None, board=None, trace=True):
        """`board(rig, cause)` makes the controller at each boot (cause: "power_on",
        "watchdog" or "exception"); default: the firmware's Controller in this process
        on a SimBoard. hil.virtual_board supplies one that runs the firmware on a VM.
        trace=False skips the per-tick trace rows (campaigns); nothing else changes."""
        self.scenario = scenario
        self.rig = Rig(scenario, scenario.seed)
        self.board = board or self._sim_board
        if model is None:
            spec = model_spec if model_spec is not None else scenario.model
            model = models.load(spec, seed=scenario.seed, sleep_ms=self.rig.spend_ms, base_dir=base_dir)
        self.model = NanWhenFaulted(model, self.rig)
        self.rig.on_guard_events = self._on_guard_events
        self.rig.on_advice = self._on_advice
        self.ctl = None
        self.stall_cleared = False
        self.trace = []
        self.keep_trace = trace
        self.segments = [[]]  # guard rows per boot, for the invariants
        self.events = []
        self.batches = []
        self.current = None
        self.uncontrolled_ms = 0
        self.max_uncontrolled_ms = 0
        self.hardware_open = {"bimetal_cutout": False, "thermal_fuse": False}
        self.cutout_opened = False
        self.watchdog_resets = 0
        self.exceptions = 0

    # --- the loop ---------------------------------------------------------------------
    def run(self):
        try:
            self._loop()
        finally:
            self._close_board()
        return self.result()

    def _loop(self):
        rig = self.rig
        queue = self.queue = list(self.scenario.batches)  # batches still to come
        next_start = queue[0].start_after_s * 1000 if queue else 0
        end_ms = None
        while end_ms is None or rig.now_ms < end_ms:
            self.board_tick()
            if self.current is None and queue and rig.now_ms >= next_start:
                self.start_batch(queue.pop(0))
            self.finish_tick()
            if self.current is not None and self.batch_over():
                self.finish_batch()
                if queue:
                    next_start = rig.now_ms + queue[0].start_after_s * 1000
            if self.current is None and not queue and end_ms is None:
                end_ms = rig.now_ms + TAIL_MS

    def finish_tick(self):
        """Record the tick and let the plant run until the next one."""
        if self.keep_trace:
            self._record()
        self.rig.spend_ms(limits.TICK_MS)
        self._track_uncontrolled()

    def board_tick(self):
        rig = self.rig
        if not rig.powered():
            if self.ctl is not None:
                self._event("power_loss", "board unpowered, outputs off")
                self._shutdown()
                rig.board_off()
            return
        if self.ctl is None:
            self._boot("power_on")
        if rig.fault_active("loop_stall") and not self.stall_cleared:
            if rig.watchdog_expired():
                self.watchdog_resets += 1
                self._event("watchdog", "loop stalled %d ms: board reset" % (rig.now_ms - rig.last_feed_ms))
                self.stall_cleared = True
                self._boot("watchdog")
                self._tick()
            return
        if not rig.fault_active("loop_stall"):
            self.stall_cleared = False
        self._tick()

    def _boot(self, cause):
        self._shutdown()
        self.rig.board_off()
        self.ctl = self.board(self.rig, cause)
        self.rig.feed_watchdog()
        self.segments.append([])

    def _sim_board(self, rig, cause):
        return Controller(SimBoard(rig), self.model)

    def _shutdown(self):
        """The board loses power."""
        self._close_board()
        self.ctl = None

    def _close_board(self):
        close = getattr(self.ctl, "close", None)  # a board with a process behind it
        if close is not None:
            close()

    def _tick(self):
        rig = self.rig
        t_ms, lever = rig.now_ms, rig.carriage_down
        try:
            self.ctl.tick()
        except Exception as e:  # what main.py does on the board: outputs off, reset
            self.exceptions += 1
            self._event("exception", "%s: %s" % (type(e).__name__, e))
            self._boot("exception")
            return
        g = self.ctl.guard
        r = self.ctl.surface
        self.segments[-1].append((t_ms, rig.last_adc, lever, rig.supply_pm(), rig.selected[0],
                                  g.mode, g.heater, g.fault) + tuple(r.obj_dc) + tuple(r.body_dc)
                                 + (r.ref_adc, r.purge_ok))

    # --- the user and the batches -----------------------------------------------------
    def start_batch(self, batch):
        rig = self.rig
        t = self.scenario.toaster
        slices = [None if slot is None else new_slice(slot, t.ambient_c) for slot in batch.slots()]
        rig.plant.load(slices)
        bread = slices[0].bread
        rig.selected = (batch.shade, bread.thickness_mm, bread.moisture, bread.sugar, bread.frozen)
        rig.selected_bread = batch.bread
        rig.press_lever()
        self.current = {"shade_target": batch.shade, "predicted_s": None, "heater_on_ms": 0,
                        "source": "fallback", "guard_events": [], "start_ms": rig.now_ms}

    def batch_over(self):
        rig = self.rig
        popped = not rig.carriage_down and rig.now_ms >= rig.hold_until_ms
        return popped or rig.now_ms - self.current["start_ms"] > BATCH_TIMEOUT_MS

    def finish_batch(self):
        """The batch's record: slot 1's toast in the contract's fields, every slot in
        `slots` (slot 2 may hold another bread, or nothing)."""
        b = self.current
        slots = [None if s is None else slice_record(s) for s in self.rig.plant.slots]
        first = slots[0]
        self.batches.append({
            "shade_target": b["shade_target"], "delta_e": first["delta_e"],
            "shade_achieved": first["shade_achieved"], "predicted_s": b["predicted_s"],
            "heater_on_s": round(b["heater_on_ms"] / 1000.0, 1), "source": b["source"],
            "burnt": first["burnt"], "guard_events": b["guard_events"], "slots": slots,
        })
        self.rig.plant.unload()
        self.current = None

    # --- callbacks from the board ---------------------------------------------------------
    def _on_guard_events(self, events, fault):
        names = event_names(events)
        for name in names:
            if name in QUIET_EVENTS:
                continue
            layer = checks.NAMES[fault] if name == "fault" else name
            self._event(layer, "guard: %s" % name)
            if self.current is not None and layer not in self.current["guard_events"]:
                self.current["guard_events"].append(layer)
        if self.current is not None and "start" in names and "fallback" not in names:
            self.current["source"] = "model"

    def _on_advice(self, answer, elapsed_ms):
        if self.current is not None:
            ok = answer is not None and math.isfinite(answer)
            self.current["predicted_s"] = round(answer, 2) if ok else None

    def _event(self, layer, detail):
        self.events.append({"t_s": round(self.rig.now_ms / 1000.0, 1), "layer": layer, "detail": detail})

    # --- observation ------------------------------------------------------------------------
    def _track_uncontrolled(self):
        """Heating against the guard is a hazard wherever a switch the guard drives could end
        it: the SSR, else the isolating relay. With the isolator welded and the carriage
        jammed too the hardware layers in FUSE.md are the barrier, judged by the fire
        thresholds."""
        rig = self.rig
        if rig.energised and self.current is not None:
            self.current["heater_on_ms"] += limits.TICK_MS
        self._track_hardware_layers()
        beyond_guard = rig.fault_active("carriage_jammed") and rig.fault_active("isolator_welded")
        if rig.energised and not rig.relay_cmd and not beyond_guard:
            self.uncontrolled_ms += limits.TICK_MS
            self.max_uncontrolled_ms = max(self.max_uncontrolled_ms, self.uncontrolled_ms)
        else:
            self.uncontrolled_ms = 0

    def _track_hardware_layers(self):
        """An event each time a hardware layer opens (the cut-out re-sets with the carriage)."""
        rig = self.rig
        for layer, opened in (("bimetal_cutout", rig.cutout_open), ("thermal_fuse", rig.fuse_open)):
            if opened and not self.hardware_open[layer]:
                self._event(layer, "%s opened: element cut in hardware" % layer.replace("_", " "))
            self.hardware_open[layer] = opened
        self.cutout_opened = self.cutout_opened or rig.cutout_open

    def _record(self):
        rig, p = self.rig, self.rig.plant
        reading = self.ctl.guard.reading_dc if self.ctl is not None else None
        loaded = p.loaded()
        self.trace.append((
            round(rig.now_ms / 1000.0, 2), int(rig.relay_cmd), int(rig.energised),
            round(p.chamber_c, 2), "" if reading is None else reading / 10.0,
            round(max(s.surface_c for s in loaded), 2) if loaded else "",
            round(loaded[0].delta_e, 3) if loaded else "",
            round(p.fuse_c, 2), "+".join(rig.active_faults()),
        ))

    def violations(self):
        out = []
        for rows in self.segments:
            out.extend(invariants.check(rows))
        return out

    def result(self):
        p = self.rig.plant
        violations = self.violations()
        reasons = []
        if p.ignited:
            reasons.append("bread ignited (surface %.0f C, giving off flammable gas)" % p.max_surface_c)
        if p.max_chamber_c >= hazard.FIRE_CHAMBER_C:
            reasons.append("chamber reached %.0f C" % p.max_chamber_c)
        if self.max_uncontrolled_ms > hazard.UNCONTROLLED_MAX_S * 1000:
            reasons.append("element powered %.1f s against the guard" % (self.max_uncontrolled_ms / 1000.0))
        if violations or self.exceptions:
            names = "".join(" " + n for n in sorted({v[0] for v in violations}))
            reasons.append("%d invariant violations%s, %d exceptions" % (len(violations), names, self.exceptions))
        return {
            "scenario": self.scenario.name,
            "hazard": bool(reasons),
            "fuse_blown": self.rig.fuse_open,
            "cutout_opened": self.cutout_opened,
            "max_chamber_c": round(p.max_chamber_c, 2),
            "max_surface_c": round(p.max_surface_c, 2),
            "max_fuse_c": round(p.max_fuse_c, 2),
            "limits": {"time_cap_s": limits.TIME_CAP_MS / 1000.0, "cutoff_c": limits.CUTOFF_DC / 10.0,
                       "dose_cap_s": limits.DOSE_CAP_MS / 1000.0,
                       "full_dose_cap_s": limits.FULL_DOSE_CAP_MS / 1000.0,
                       "surface_cut_c": limits.SURFACE_CUT_DC / 10.0},
            "batches": self.batches,
            "events": self.events,
            "hazard_reasons": reasons,
            "invariant_violations": [{"invariant": v[0], "tick": v[1], "detail": v[2]} for v in violations],
            "watchdog_resets": self.watchdog_resets,
            "sim_s": round(self.rig.now_ms / 1000.0, 1),
        }


def new_slice(slot, ambient_c):
    """The plant's Slice for what a scenario puts in a slot."""
    bread = Bread(slot.bread, slot.frozen, slot.thickness_mm, ambient_c)
    return Slice(bread, sugar_factor(bread.sugar))


def slice_record(s):
    """A slice's toast for the result JSON."""
    de = s.delta_e
    b = s.bread
    return {"bread": b.preset, "frozen": b.frozen, "thickness_mm": b.thickness_mm,
            "delta_e": round(de, 2), "shade_achieved": round(de / 6.0, 2), "burnt": de >= BURNT_DELTA_E,
            "max_surface_c": round(s.max_surface_c, 2), "mass_loss": round(s.mass_loss(), 3)}


def simulate(scenario, model_spec=None, base_dir=None):
    """(result dict, simulation) for a scenario; raises models.ModelRefused."""
    sim = Simulation(scenario, model_spec, base_dir)
    return sim.run(), sim
