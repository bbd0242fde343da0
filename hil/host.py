"""The host's end of the serial protocol (firmware/protocol.py) over pyserial, and HIL
runs of contract scenarios against a board in lock-step with the host_sim plant.

A board in HIL mode (jumper set) takes one sensor frame (S) per control tick and answers
with its outputs and guard state (A); the plant, the simulated user and the invariant
checks stay on the host, exactly as in `toastguard sim`.
"""

import time

import serial

from firmware import presets, protocol
from firmware.hw.hil import NO_ANSWER, fill_readings
from hil.virtual_board import ObservedGuard, deliver_message, read_surface
from host_sim.runner import Simulation
from safety.surface import Readings

BAUD = 115200  # USB CDC ignores it; a UART bridge needs it
REPLY_TIMEOUT_S = 10.0


class LinkError(RuntimeError):
    """The board did not answer, or answered something else: one line for the user."""


class HostLink:
    def __init__(self, port):
        try:
            self.ser = serial.Serial(port, BAUD, timeout=0.05)
        except (serial.SerialException, OSError) as e:
            raise LinkError("%s: cannot open: %s" % (port, e)) from None
        self.port = port
        self.seq = 0
        self._buf = b""
        self.unframed = []  # lines outside the protocol (a traceback, a REPL banner)
        self.rejected = 0  # protocol lines that failed to decode
        self.on_message = None  # called with every M text while waiting for something else

    def close(self):
        self.ser.close()

    def send(self, kind, payload):
        self.seq += 1
        self.ser.write(protocol.encode(kind, self.seq, payload))

    def start(self):
        """A new session (Ping with seq 0 resets the board's replay check); its Hello."""
        self.seq = 0
        self.ser.write(protocol.encode("P", 0, {}))
        return self.wait_for("H")

    def receive(self, deadline):
        """The next decodable message (kind, payload), or None at the deadline."""
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line, self._buf = self._buf[:nl + 1], self._buf[nl + 1:]
                msg = self._decode(line)
                if msg is not None:
                    return msg
                continue
            if time.monotonic() >= deadline:
                return None
            self._buf += self.ser.read(max(1, self.ser.in_waiting))

    def wait_for(self, kind, timeout=REPLY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.receive(deadline)
            if msg is None:
                raise LinkError("%s: no %s message from the board within %.0f s" % (self.port, kind, timeout))
            if msg[0] == kind:
                return msg[1]
            if msg[0] == "M" and self.on_message is not None:
                self.on_message(msg[1])

    def _decode(self, line):
        if not line.startswith(protocol.MAGIC.encode()):
            self.unframed.append(line.decode("utf-8", "replace").rstrip())
            return None
        try:
            kind, _, payload = protocol.decode(line)
        except protocol.Reject:
            self.rejected += 1
            return None
        return kind, payload


class HilController:
    """One board session in lock-step with a Simulation's rig (a Controller stand-in)."""

    def __init__(self, rig, link):
        self.rig = rig
        self.link = link
        self.guard = ObservedGuard()
        self.surface = Readings()  # what the board read this tick: the frame's surface fields
        self.bread_names = [p[0] for p in presets.PRESETS]
        link.on_message = lambda text: deliver_message(rig, text)
        hello = link.start()
        if hello.get("hil") != "1":
            raise LinkError("%s: the board is not in HIL mode (set the HIL jumper)" % link.port)

    def tick(self):
        rig = self.rig
        shade, _, _, _, frozen = rig.selected
        frame = surface_fields(*read_surface(rig))
        frame.update({"t": rig.now_ms % (1 << 30), "adc": rig.read_adc(),
                      "lever": 1 if rig.carriage_down else 0, "mains": rig.supply_pm(),
                      "shade": shade, "bread": self.bread_names.index(rig.selected_bread),
                      "frozen": 1 if frozen else 0, "amb": int(round(rig.ambient_sensor_c() * 10))})
        self.link.send("S", frame)
        fill_readings(frame, self.surface)
        a = self.link.wait_for("A")
        rig.relay_cmd, rig.latch_cmd, rig.fault_led = int(a["h"]), int(a["l"]), int(a["led"])
        rig.feed_watchdog()
        dc = None if a["dc"] == "-" else int(a["dc"])
        self.guard.update([int(a["m"]), int(a["h"]), int(a["l"]), int(a["ev"]), int(a["f"]), dc])
        if self.guard.events:
            rig.on_guard_events(self.guard.events, self.guard.fault)


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

    def real_board(rig, cause):
        if cause != "power_on":
            raise LinkError("%s: the scenario resets the board (%s); only --virtual can" % (link.port, cause))
        return HilController(rig, link)

    def virtual_board(rig, cause):
        board = SerialBoard(hil=True)
        port = board.__enter__()
        try:
            ctl = HilController(rig, HostLink(port))
        except BaseException:
            board.__exit__(None, None, None)
            raise
        ctl.close = lambda: (ctl.link.close(), board.__exit__(None, None, None))
        return ctl

    sim = Simulation(scenario, model_spec="stand-in", board=virtual_board if virtual else real_board)
    return sim.run(), sim
