"""Back-end bound to the host simulator's virtual hardware (a host_sim.rig.Rig).

Nothing here models physics: pins and sensors are the rig's, so the control loop and
the guard run exactly as on the board.
"""

from firmware.hw.base import TICKS_MASK, Board
from firmware.hw.mlx90614 import word_to_dc


class SimBoard(Board):
    def __init__(self, rig):
        self.rig = rig
        Board.__init__(self)

    def ticks_ms(self):
        return self.rig.now_ms & TICKS_MASK

    def read_adc(self):
        return self.rig.read_adc()

    def lever_down(self):
        return self.rig.carriage_down

    def supply_pm(self):
        return self.rig.supply_pm()

    def supply_v(self):
        return self.rig.supply_v()

    def ambient_c(self):
        return self.rig.ambient_sensor_c()

    def selection(self):
        return self.rig.selection()

    def read_surface(self, readings):
        rig = self.rig
        for slot in range(len(readings.obj_dc)):
            words = rig.surface_words(slot)
            readings.obj_dc[slot] = None if words is None else word_to_dc(words[0])
            readings.body_dc[slot] = None if words is None else word_to_dc(words[1])
        readings.ref_adc = rig.tab_adc()
        readings.purge_ok = rig.purge_ok()

    def _write_heater(self, on):
        self.rig.relay_cmd = on

    def _write_latch(self, on):
        self.rig.latch_cmd = on

    def _write_led(self, on):
        self.rig.fault_led = on

    def feed_watchdog(self):
        self.rig.feed_watchdog()

    def log(self, msg):
        self.rig.log(msg)

    def log_events(self, events, fault):
        self.rig.on_guard_events(events, fault)

    def log_advice(self, answer, elapsed_ms):
        self.rig.on_advice(answer, elapsed_ms)
