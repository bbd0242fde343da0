"""The serial protocol between board and host (hil/PROTOCOL.md), for both ends.

A message is one line of at most MAX_LINE bytes:

    TG1 <kind> <seq> <payload>*<crc32 as 8 hex digits>\\n

`TG1` names protocol version 1; kind is one capital letter; seq counts the sender's
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

MAGIC = "TG1"
MAX_LINE = const(256)  # bytes, newline included: one USB full-speed packet x4, one screen line
MAX_SEQ = const(1 << 30)
FREE_TEXT = "M"
KINDS = "HTMBZAFLPS"  # board: Hello Telemetry Message Batch-record Z-end Answer;
# host: Feedback Log-pull Ping Sensor-frame (HIL only)
REASONS = ("oversized", "encoding", "framing", "crc", "version", "kind", "seq", "payload",
           "replay", "flood", "not_allowed")


class Reject(Exception):
    """Reject(reason): a line that is not an acceptable message, and why."""

    @property
    def reason(self):
        return self.args[0]


def crc(body):
    return "%08x" % (binascii.crc32(body) & 0xFFFFFFFF)


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
    if seq >= MAX_SEQ:
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
    """Accepts host lines in order: rejects replays (a seq not above the last accepted; a
    Ping with seq 0 starts a new session), counts every rejection by reason."""

    def __init__(self):
        self.last_seq = -1
        self.accepted = 0
        self.rejected = {}

    def take(self, line):
        """(kind, payload) of an acceptable line, or None (counted)."""
        try:
            kind, seq, payload = decode(line)
            if kind == "P" and seq == 0:
                self.last_seq = -1
            if seq <= self.last_seq:
                raise Reject("replay")
        except Reject as e:
            self.count(e.reason)
            return None
        self.last_seq = seq
        self.accepted += 1
        return kind, payload

    def count(self, reason):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def total_rejected(self):
        return sum(self.rejected.values())
