"""Hardware-in-the-loop back-end: the host's sensor frames are the inputs, the answers
carry the outputs, and the real heater and carriage-magnet pins stay low.

Selected at boot by the HIL jumper (pico_pins.PIN_HIL to ground), which also opens the
SSR drive line in hardware. Every frame field is checked against fixed bounds before the
guard sees it; a bad frame is refused (counted), never half-applied.
"""

from firmware import presets, protocol
from firmware.hw.base import TICKS_MASK, Board
from firmware.hw.mlx90614 import word_to_dc
from firmware.hw.pico_pins import RATED_V

NO_ANSWER = -1  # a surface field's value for a sensor that did not answer
WORD_MAX = 0x7FFF  # an MLX90614 RAM word without its error flag
FRAME_BOUNDS = (("t", 0, TICKS_MASK), ("adc", 0, 4095), ("lever", 0, 1), ("mains", 0, 1500),
                ("shade", 1, 7), ("bread", 0, len(presets.PRESETS) - 1), ("frozen", 0, 1),
                ("amb", -400, 600), ("s1", NO_ANSWER, WORD_MAX), ("s2", NO_ANSWER, WORD_MAX),
                ("b1", NO_ANSWER, WORD_MAX), ("b2", NO_ANSWER, WORD_MAX), ("ref", NO_ANSWER, 4095),
                ("fan", 0, 1))
SURFACE_FIELDS = (("s1", "b1"), ("s2", "b2"))  # each slot's object and die words


def parse_frame(payload):
    """{field: int} of an S frame, or protocol.Reject("payload")."""
    out = {}
    for key, lo, hi in FRAME_BOUNDS:
        out[key] = protocol.int_field(payload, key, lo, hi)
    return out


def word_dc(word):
    """Deci-degrees C of a frame's surface word, or None for NO_ANSWER."""
    if word == NO_ANSWER:
        return None
    return word_to_dc(word)


def fill_readings(frame, readings):
    """A parsed frame's surface fields into a safety.surface.Readings, in place."""
    for slot in range(len(SURFACE_FIELDS)):
        obj_key, die_key = SURFACE_FIELDS[slot]
        readings.obj_dc[slot] = word_dc(frame[obj_key])
        readings.body_dc[slot] = word_dc(frame[die_key])
    readings.ref_adc = None if frame["ref"] == NO_ANSWER else frame["ref"]
    readings.purge_ok = frame["fan"] == 1


class HilBoard(Board):
    def __init__(self, board, link):
        self.board = board
        self.link = link
        self.frame = {}  # the current sensor frame (parse_frame), set before every tick
        Board.__init__(self)

    def ticks_ms(self):
        return self.frame["t"]

    def read_adc(self):
        return self.frame["adc"]

    def read_surface(self, readings):
        fill_readings(self.frame, readings)

    def lever_down(self):
        return self.frame["lever"] == 1

    def supply_pm(self):
        return self.frame["mains"]

    def supply_v(self):
        return self.frame["mains"] * RATED_V / 1000.0

    def ambient_c(self):
        return self.frame["amb"] / 10.0

    def selection(self):
        _, thickness, moisture, sugar = presets.PRESETS[self.frame["bread"]]
        return self.frame["shade"], thickness, moisture, sugar, self.frame["frozen"] == 1

    def _write_heater(self, on):
        self.board.set_heater(0)  # the host's plant gets the command; the element never

    def _write_latch(self, on):
        self.board.set_latch(0)

    def _write_led(self, on):
        self.board.set_fault_led(on)

    def feed_watchdog(self):
        self.board.feed_watchdog()

    def log(self, msg):
        self.board.log(msg)

    def log_events(self, events, fault):
        self.board.log_events(events, fault)

    def log_advice(self, answer, elapsed_ms):
        self.board.log_advice(answer, elapsed_ms)

    def take_feedback_presses(self):
        return self.board.take_feedback_presses()

    def answer(self):
        """The A message payload after a tick: what the outputs would be."""
        return {"t": self.frame["t"], "h": self.heater_on, "l": self.latch_on, "led": self.fault_led}
