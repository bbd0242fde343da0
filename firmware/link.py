"""The board's end of the serial protocol (firmware/protocol.py) over any byte stream.

`serial` has read_available() -> bytes (possibly empty, never blocking) and write(bytes).
Input is cut into lines here with fixed bounds: a line longer than MAX_LINE is dropped to
its newline (counted "oversized"), at most MAX_LINES_PER_POLL lines are taken per call
and the rest of that burst is dropped (counted "flood"), so no input can hold up the
control loop or grow memory. Session numbers (protocol.Inbox) come from `random`, which
MicroPython's rp2 port seeds at boot from the RP2040's ring oscillator, so they differ
across resets too.
"""

import random

from firmware import protocol

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

MAX_LINES_PER_POLL = const(8)  # a HIL frame and a few host requests per 100 ms tick


def draw_session():
    return random.getrandbits(30)


class Link:
    def __init__(self, serial, draw=draw_session):
        self.serial = serial
        self.seq = 0
        self.inbox = protocol.Inbox(draw)
        self._buf = b""
        self._skipping = False  # inside an oversized line: drop up to its newline

    def send(self, kind, payload):
        self.seq = self.seq + 1 if self.seq < protocol.SEQ_MAX else 1
        self.serial.write(protocol.encode(kind, self.seq, payload))

    def poll(self):
        """The acceptable messages received since the last poll, as (kind, payload)."""
        out = []
        lines = 0
        for line in self._lines():
            lines += 1
            if lines > MAX_LINES_PER_POLL:
                self.inbox.count("flood")
                continue
            msg = self.inbox.take(line)
            if msg is not None:
                out.append(msg)
        return out

    def reject(self, reason):
        self.inbox.count(reason)

    def _lines(self):
        data = self.serial.read_available()
        if data:
            self._buf += data
        lines = []  # type: list[bytes]
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > protocol.MAX_LINE:
                    self._drop_oversized()
                return lines
            line, self._buf = self._buf[:nl + 1], self._buf[nl + 1:]
            if self._skipping:
                self._skipping = False
            elif len(line) > protocol.MAX_LINE:
                self.inbox.count("oversized")
            else:
                lines.append(line)

    def _drop_oversized(self):
        if not self._skipping:
            self.inbox.count("oversized")
        self._skipping = True
        self._buf = b""
