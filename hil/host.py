"""The host's end of the serial protocol (firmware/protocol.py) over pyserial, and HIL
runs of contract scenarios against a board in lock-step with the host_sim plant.

A board in HIL mode (jumper set) takes one sensor frame (S) per control tick and answers
with its outputs and guard state (A); the plant, the simulated user and the invariant
checks stay on the host, exactly as in `toastguard sim`.

The host parses the board's lines as strictly as the board parses the host's: noise (a
line that fails to decode, one longer than a line may be, text outside the protocol) is
dropped and counted, as on the board; a line that decodes but breaks its kind's schema
(SCHEMAS: keys, types, ranges) is a LinkError, one line naming the message, the key and
why. Text from the board stays data: callers print it, never interpret it.
"""

import collections
import re
import secrets
import time

import serial

from firmware import features, feedback, presets, protocol
from firmware.hostport import LOG_PULL_MAX, NO_FRAME
from firmware.hw.hil import NO_ANSWER, fill_readings
from hil.virtual_board import ObservedGuard, deliver_message, read_surface
from host_sim.runner import Simulation
from safety import checks, limits, thermistor
from safety.guard import EVENT_NAMES, MODE_NAMES
from safety.surface import Readings

BAUD = 115200  # USB CDC ignores it; a UART bridge needs it
REPLY_TIMEOUT_S = 10.0
UNFRAMED_KEPT = 50  # the last lines outside the protocol (a traceback, a REPL banner)
SHOWN_CHARS = 40  # of a bad value or unframed line in an error message
FRAME_T_PERIOD = 1 << 30  # frame and telemetry times wrap here, as the board's ticks_ms


class LinkError(RuntimeError):
    """The board did not answer, or answered something else: one line for the user."""


# --- what the board may send: a schema per kind -------------------------------------------
INTEGER = re.compile(r"-?[0-9]{1,10}")
NUMBER = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,20})?(e[+-]?[0-9]{1,3})?")  # MicroPython's %.2f and %r
INFINITE = ("inf", "-inf")  # what %.2f makes of a model's infinite answer


def shown(text):
    """A value or line from the board, quoted and cut short, for an error message."""
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


def integer(lo, hi):
    def parse(text):
        if not INTEGER.fullmatch(text):
            raise ValueError("is not an integer")
        n = int(text)
        if n < lo or n > hi:
            raise ValueError("is out of range %d..%d" % (lo, hi))
        return n
    return parse


def or_dash(parse):
    """None for "-" (no reading, no answer), else parse."""
    return lambda text: None if text == "-" else parse(text)


def number(text):
    if not NUMBER.fullmatch(text):
        raise ValueError("is not a number")
    return float(text)


def answer(text):
    """A model's answer in s; None for an infinite one (the guard's fallback ran)."""
    return None if text in INFINITE else number(text)


def feature_vector(text):
    values = [number(v) for v in text.split(",")]
    if len(values) not in features.WIDTHS:
        raise ValueError("has %d features, not %s" % (len(values), " or ".join(map(str, features.WIDTHS))))
    return values


def choice(*names):
    def parse(text):
        if text not in names:
            raise ValueError("is not one of %s" % ", ".join(names))
        return text
    return parse


T_MS = integer(0, FRAME_T_PERIOD - 1)
FLAG = integer(0, 1)
DC = or_dash(integer(thermistor.adc_to_dc(thermistor.ADC_MAX), thermistor.adc_to_dc(thermistor.ADC_MIN)))
MODE = integer(0, len(MODE_NAMES) - 1)
FAULT = integer(0, len(checks.NAMES) - 1)
EVENTS = integer(0, (1 << len(EVENT_NAMES)) - 1)
COUNT = integer(0, 10 ** 10 - 1)  # a counter: any ten digits
BATCH = integer(0, protocol.SEQ_MAX)
# A batch's heater time ends at the time cap, give or take its last step, and no step
# is longer than the watchdog lets the loop stall.
HEATER_MS = integer(0, limits.TIME_CAP_MS + limits.WATCHDOG_MS)
GUARD_STATE = {"h": FLAG, "l": FLAG, "m": MODE, "f": FAULT, "ev": EVENTS, "dc": DC, "rej": COUNT}
SCHEMAS = {  # kind: {key: parser}; hil/PROTOCOL.md "Board -> host"
    "H": {"v": integer(protocol.VERSION, protocol.VERSION), "hil": FLAG, "batches": integer(0, protocol.SEQ_MAX),
          "ses": integer(1, protocol.SESSION_MAX), "nonce": integer(0, protocol.SESSION_MAX),
          "t": integer(NO_FRAME, FRAME_T_PERIOD - 1)},
    "T": dict(GUARD_STATE, t=T_MS, os=integer(-feedback.MAX_OFFSET_Q, feedback.MAX_OFFSET_Q)),
    "A": dict(GUARD_STATE, t=T_MS, led=FLAG),
    "B": {"n": BATCH, "sh": integer(limits.SHADE_MIN, limits.SHADE_MAX), "x": or_dash(feature_vector),
          "p": or_dash(answer), "on": HEATER_MS, "src": choice("model", "fallback"), "ev": EVENTS,
          "fb": integer(feedback.TOO_LIGHT, feedback.TOO_DARK)},
    "Z": {"sent": integer(0, LOG_PULL_MAX), "count": integer(0, protocol.SEQ_MAX)},
}
OPTIONAL = {"B": ("fb",)}  # a batch's feedback, once given
ADVICE = re.compile(r"advice (None|nan|-?inf|%s) ([0-9]{1,10})" % NUMBER.pattern)


def parse_payload(kind, payload):
    """A board message's payload with typed values (M: its text), or ValueError(why)."""
    if kind == protocol.FREE_TEXT:
        return payload
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ValueError("%s is the host's kind, not the board's" % kind)
    for key in payload:
        if key not in schema:
            raise ValueError("unknown key %s" % shown(key))
    out = {}
    for key, parse in schema.items():
        if key not in payload:
            if key in OPTIONAL.get(kind, ()):
                continue
            raise ValueError("no %s" % key)
        try:
            out[key] = parse(payload[key])
        except ValueError as e:
            raise ValueError("%s=%s %s" % (key, shown(payload[key]), e)) from None
    return out


def check_advice(text):
    """An M message that gives the model's advice must be exactly `advice <s> <ms>`."""
    if text.startswith("advice ") and not ADVICE.fullmatch(text):
        raise ValueError("malformed advice %s" % shown(text))


def printable(line):
    """A board's line outside the protocol as one line of plain text."""
    text = line.decode("ascii", "replace").rstrip("\r\n")
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class HostLink:
    def __init__(self, port):
        try:
            self.ser = serial.Serial(port, BAUD, timeout=0.05)
        except (serial.SerialException, OSError) as e:
            raise LinkError("%s: cannot open: %s" % (port, e)) from None
        self.port = port
        self.seq = 0
        self.session = None  # the board's number for this session (its hello), once open
        self._buf = b""
        self._skipping = False  # inside an oversized line: drop up to its newline
        self.unframed = collections.deque(maxlen=UNFRAMED_KEPT)
        self.rejected = {}  # board lines dropped, by reason (protocol.REASONS, "stale")
        self.on_message = None  # called with every M text while waiting for something else

    def close(self):
        self.ser.close()

    def send(self, kind, payload):
        self.seq += 1
        self._write(protocol.encode(kind, self.seq, dict(payload, **{protocol.SESSION_KEY: self.session})))

    def start(self):
        """Open a session: a Ping with a fresh nonce; the hello that echoes it gives the
        session number every later line carries. Hellos with another nonce (the board's
        boot hello, an answer to someone else's Ping) are stale: counted, skipped."""
        nonce = secrets.randbelow(protocol.SESSION_MAX) + 1
        self.seq = 0
        self.session = None
        self._write(protocol.encode(protocol.OPEN, 0, {"nonce": nonce}))
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            hello = self.next_of("H", REPLY_TIMEOUT_S, deadline)[1]
            if hello["nonce"] == nonce:
                self.session = hello["ses"]
                return hello
            self._count("stale")

    def receive(self, deadline):
        """The next message as (kind, typed payload), or None at the deadline; raises
        LinkError for a message that breaks its schema."""
        while True:
            line = self._take_line()
            if line is not None:
                msg = self._decode(line)
                if msg is not None:
                    return msg
            elif time.monotonic() >= deadline:
                return None
            else:
                self._read()

    def next_of(self, kinds, timeout, deadline=None):
        """(kind, payload) of the next message whose kind is in `kinds` (a string of
        kind letters) within `timeout` s (or by `deadline`); M texts go to on_message
        meanwhile. LinkError when time is up, or at a hello of another session: this
        one is over."""
        deadline = time.monotonic() + timeout if deadline is None else deadline
        while True:
            msg = self.receive(deadline)
            if msg is not None and msg[0] in kinds:
                return msg
            if msg is not None:
                self._aside(*msg)
            if msg is None or time.monotonic() >= deadline:
                dropped = self.dropped()
                raise LinkError("%s: no %s message from the board within %.0f s%s" % (
                    self.port, "/".join(kinds), timeout, "; dropped: " + dropped if dropped else ""))

    def wait_for(self, kind, timeout=REPLY_TIMEOUT_S):
        return self.next_of(kind, timeout)[1]

    def _aside(self, kind, payload):
        """A message nobody waits for: M texts to on_message; a hello of another session
        ends this one."""
        if kind == "H" and self.session is not None and payload["ses"] != self.session:
            raise LinkError("%s: the board left this session (it restarted, or another host opened one)"
                            % self.port)
        if kind == protocol.FREE_TEXT and self.on_message is not None:
            self.on_message(payload)

    def dropped(self):
        """What was dropped so far, for a message: '' or '2 crc, 1 oversized, ...'."""
        parts = ["%d %s" % (n, reason) for reason, n in sorted(self.rejected.items())]
        if self.unframed:
            parts.append("lines outside the protocol, the last %s" % shown(self.unframed[-1]))
        return ", ".join(parts)

    def _write(self, data):
        try:
            self.ser.write(data)
        except (serial.SerialException, OSError) as e:
            raise LinkError("%s: cannot write: %s" % (self.port, e)) from None

    def _read(self):
        try:
            self._buf += self.ser.read(max(1, self.ser.in_waiting))
        except (serial.SerialException, OSError) as e:
            raise LinkError("%s: cannot read: %s" % (self.port, e)) from None

    def _take_line(self):
        """The next whole line of at most MAX_LINE bytes, or None; longer ones are dropped
        to their newline, so the buffer never holds more than a line and a read."""
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > protocol.MAX_LINE:
                    if not self._skipping:
                        self._count("oversized")
                    self._skipping = True
                    self._buf = b""
                return None
            line, self._buf = self._buf[:nl + 1], self._buf[nl + 1:]
            if self._skipping:
                self._skipping = False
            elif len(line) > protocol.MAX_LINE:
                self._count("oversized")
            else:
                return line

    def _decode(self, line):
        if not line.startswith(protocol.MAGIC[:2].encode()):  # "TG": another version's lines count as such
            self.unframed.append(printable(line))
            return None
        try:
            kind, _, payload = protocol.decode(line)
        except protocol.Reject as e:
            self._count(e.reason)
            return None
        try:
            return kind, parse_payload(kind, payload)
        except ValueError as e:
            raise LinkError("%s: bad %s message from the board: %s" % (self.port, kind, e)) from None

    def _count(self, reason):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1


class HilController:
    """One board session in lock-step with a Simulation's rig (a Controller stand-in).
    A LinkError while ticking is kept in `failures` too: the Simulation takes any
    exception for the board's own and boots it again (run_scenario re-raises it then)."""

    def __init__(self, rig, link, failures=None):
        self.rig = rig
        self.link = link
        self.failures = [] if failures is None else failures
        self.guard = ObservedGuard()
        self.surface = Readings()  # what the board read this tick: the frame's surface fields
        self.bread_names = [p[0] for p in presets.PRESETS]
        link.on_message = self.message
        hello = link.start()
        if hello["hil"] != 1:
            raise LinkError("%s: the board is not in HIL mode (set the HIL jumper)" % link.port)
        # The board refuses a frame clock that runs backwards: a board that already ran
        # frames (an earlier scenario) is continued one tick on.
        self.t0 = 0 if hello["t"] == NO_FRAME else hello["t"] + limits.TICK_MS - rig.now_ms

    def tick(self):
        try:
            self._step()
        except LinkError as e:
            self.failures.append(e)
            raise

    def _step(self):
        rig = self.rig
        shade, _, _, _, frozen = rig.selected
        t = (self.t0 + rig.now_ms) % FRAME_T_PERIOD
        frame = surface_fields(*read_surface(rig))
        frame.update({"t": t, "adc": rig.read_adc(),
                      "lever": 1 if rig.carriage_down else 0, "mains": rig.supply_pm(),
                      "shade": shade, "bread": self.bread_names.index(rig.selected_bread),
                      "frozen": 1 if frozen else 0, "amb": int(round(rig.ambient_sensor_c() * 10))})
        self.link.send("S", frame)
        fill_readings(frame, self.surface)
        a = self.link.wait_for("A")
        if a["t"] != t:
            raise LinkError("%s: the board's answer to the frame at t=%d ms is for t=%d ms" % (
                self.link.port, t, a["t"]))
        rig.relay_cmd, rig.latch_cmd, rig.fault_led = a["h"], a["l"], a["led"]
        rig.feed_watchdog()
        self.guard.update([a["m"], a["h"], a["l"], a["ev"], a["f"], a["dc"]])
        if self.guard.events:
            rig.on_guard_events(self.guard.events, self.guard.fault)

    def message(self, text):
        """A board's log line or advice into the simulation, once checked."""
        try:
            check_advice(text)
        except ValueError as e:
            raise LinkError("%s: bad M message from the board: %s" % (self.link.port, e)) from None
        deliver_message(self.rig, text)


def surface_fields(words, tab_counts, purge_ok):
    """The S frame's surface fields (hil/PROTOCOL.md): each slot's object (s1, s2) and
    die (b1, b2) words, the tab's counts (ref), NO_ANSWER for a sensor that did not
    answer, and the purge fan (fan)."""
    fields = {"ref": NO_ANSWER if tab_counts is None else tab_counts, "fan": 1 if purge_ok else 0}
    for slot, slot_words in enumerate(words):
        fields["s%d" % (slot + 1)] = NO_ANSWER if slot_words is None else slot_words[0]
        fields["b%d" % (slot + 1)] = NO_ANSWER if slot_words is None else slot_words[1]
    return fields


RESET_FAULTS = ("power_loss", "loop_stall")  # need a board that can be restarted


def run_scenario(scenario, link=None, virtual=False):
    """(result, simulation) of a scenario against a HIL board: on `link` (a real port,
    one boot), or on a fresh virtual board (hil.serial_board) at every boot."""
    from hil.serial_board import SerialBoard
    failures = []  # a link that failed ends the run: no board is booted after it

    def real_board(rig, cause):
        if failures:
            raise failures[0]
        if cause != "power_on":
            raise LinkError("%s: the scenario resets the board (%s); only --virtual can" % (link.port, cause))
        return HilController(rig, link, failures)

    def virtual_board(rig, cause):
        if failures:
            raise failures[0]
        board = SerialBoard(hil=True)
        port = board.__enter__()
        try:
            ctl = HilController(rig, HostLink(port), failures)
        except BaseException:
            board.__exit__(None, None, None)
            raise
        ctl.close = lambda: (ctl.link.close(), board.__exit__(None, None, None))
        return ctl

    sim = Simulation(scenario, model_spec="stand-in", board=virtual_board if virtual else real_board)
    return sim.run(), sim
