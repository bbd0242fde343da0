"""The serial protocol between board and host (hil/PROTOCOL.md), for both ends.

A message is one line of at most MAX_LINE bytes:

    TG2 <kind> <seq> <payload>*<crc32 as 8 hex digits>\\n

`TG2` names protocol version 2; kind is one capital letter; seq counts the sender's
messages; the CRC-32 covers everything before the `*`. Payloads of key=value kinds are
space-separated tokens; M (a log message) carries free text. Decoding never raises
anything but Reject, whose `reason` is one of REASONS, so a bad line is counted, never
fatal. Runs on MicroPython (binascii.crc32) and CPython.
"""

import binascii

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

MAGIC = "TG2"
VERSION = const(2)  # the magic's number, announced in the board's hello
MAX_LINE = const(256)  # bytes, newline included: one USB full-speed packet x4, one screen line
SEQ_MAX = const(0x3FFFFFFF)  # the largest sequence number: a small integer on the board
SESSION_MAX = const(0x3FFFFFFF)  # session numbers and nonces: 1..2^30-1, small integers on the board
OPEN = "P"  # the host kind that opens a session
SESSION_KEY = "ses"  # every other host line carries the session's number under this key
FREE_TEXT = "M"
KINDS = "HTMBZAFLPS"  # board: Hello Telemetry Message Batch-record Z-end Answer;
# host: Feedback Log-pull Ping Sensor-frame (HIL only)
REASONS = ("oversized", "encoding", "framing", "crc", "version", "kind", "seq", "payload",
           "replay", "flood", "not_allowed", "session", "time")


class Reject(Exception):
    """Reject(reason): a line that is not an acceptable message, and why."""

    @property
    def reason(self):
        return self.args[0]


def crc(body):
    return "%08x" % binascii.crc32(body)  # unsigned on CPython 3 and MicroPython alike


def encode(kind, seq, payload):
    """The line (bytes) for a message; payload is a dict (k=v kinds) or text (M)."""
    if kind == FREE_TEXT:
        text = "".join(c if " " <= c <= "~" and c != "*" else "?" for c in payload)
    else:
        text = format_fields(payload)
    body = ("%s %s %d %s" % (MAGIC, kind, seq, text)).encode()
    budget = MAX_LINE - 10  # "*" + 8 hex + newline
    if len(body) > budget:
        body = body[:budget]
    return body + b"*" + crc(body).encode() + b"\n"


def format_fields(payload):
    """The key=value text of a payload dict, keys sorted (fields() parses it back)."""
    return " ".join("%s=%s" % (k, payload[k]) for k in sorted(payload))


def decode(line):
    """(kind, seq, payload) of one received line (bytes, newline optional)."""
    if len(line) > MAX_LINE:
        raise Reject("oversized")
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    star = line.rfind(b"*")
    if star < 0 or len(line) - star != 9:
        raise Reject("framing")
    body, check = line[:star], line[star + 1:]
    try:
        text = body.decode()
        check_text = check.decode()
    except UnicodeError:
        raise Reject("encoding")
    for c in text:
        if c < " " or c > "~":
            raise Reject("encoding")
    if crc(body) != check_text:
        raise Reject("crc")
    parts = text.split(" ", 3)
    if len(parts) < 3 or parts[0] != MAGIC:
        raise Reject("version")
    kind = parts[1]
    if len(kind) != 1 or kind not in KINDS:
        raise Reject("kind")
    seq = _seq(parts[2])
    rest = parts[3] if len(parts) == 4 else ""
    return kind, seq, rest if kind == FREE_TEXT else fields(rest)


def _seq(token):
    if not token.isdigit() or len(token) > 10:
        raise Reject("seq")
    seq = int(token)
    if seq > SEQ_MAX:
        raise Reject("seq")
    return seq


def fields(text):
    """{key: value} of space-separated key=value tokens (values are strings)."""
    out = {}
    for token in text.split(" "):
        if not token:
            continue
        eq = token.find("=")
        if eq < 1 or eq == len(token) - 1 or token.count("=") != 1:
            raise Reject("payload")
        out[token[:eq]] = token[eq + 1:]
    return out


def int_field(payload, key, lo, hi):
    """payload[key] as an int in lo..hi, or Reject("payload")."""
    value = payload.get(key)
    if value is None:
        raise Reject("payload")
    neg = value.startswith("-")
    digits = value[1:] if neg else value
    if not digits.isdigit() or len(digits) > 10:
        raise Reject("payload")
    n = -int(digits) if neg else int(digits)
    if n < lo or n > hi:
        raise Reject("payload")
    return n


class Inbox:
    """Accepts the host's lines of the current session, in order, and counts every
    rejection by reason.

    A Ping (P) opens a session: draw() picks its number, the board's hello announces it
    with the Ping's nonce, and every other host line must carry it (`ses`), so no line of
    an earlier session is taken again, whoever opens the next one (`session`). Within a
    session a seq not above the last accepted one is a replay (`replay`). The board's
    own kinds, free text among them, are never taken from the host (`not_allowed`).
    """

    def __init__(self, draw):
        self.draw = draw  # () -> a random integer in 0..SESSION_MAX
        self.session = 0  # none yet: the boot session follows
        self.accepted = 0
        self.rejected = {}
        self.new_session(-1, 0)

    def take(self, line):
        """(kind, payload) of an acceptable line, or None (counted)."""
        try:
            kind, seq, payload = decode(line)
            if kind == OPEN:
                self.new_session(seq, int_field(payload, "nonce", 1, SESSION_MAX))
            elif kind == FREE_TEXT:
                raise Reject("not_allowed")
            else:
                self._in_session(seq, payload)
        except Reject as e:
            self.count(e.reason)
            return None
        self.accepted += 1
        return kind, payload

    def new_session(self, seq, nonce):
        """A new session, opened by a Ping with this seq and nonce (0: the boot session),
        numbered unlike the one before (a repeat draw is moved on)."""
        session = self.draw()
        if session == 0 or session == self.session:
            session = self.session % SESSION_MAX + 1
        self.session = session
        self.session_text = "%d" % session  # what the host's `ses` must read: no allocation per line
        self.nonce = nonce
        self.last_seq = seq

    def _in_session(self, seq, payload):
        if payload.pop(SESSION_KEY, None) != self.session_text:
            raise Reject("session")
        if seq <= self.last_seq:
            raise Reject("replay")
        self.last_seq = seq

    def count(self, reason):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def total_rejected(self):
        return sum(self.rejected.values())
