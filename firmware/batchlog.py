"""The batch log: the last SLOTS batch records in one preallocated flash file.

Slot 0 holds the header (batches logged so far, the learnt shade offset); batch n lives
in slot 1 + n % SLOTS. Writes are bounded: a batch costs two slot writes when it ends
(its record, the header) and one more when its feedback arrives; the file never grows.
Records are protocol payloads (key=value text, protocol.fields parses them back).
"""

from firmware import protocol

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

SLOTS = const(64)
SLOT_BYTES = const(200)


class BatchLog:
    def __init__(self, path):
        self.path = path
        self.count, self.offset_q = 0, 0
        try:
            header = protocol.fields(self._read(0))
            self.count = protocol.int_field(header, "count", 0, protocol.SEQ_MAX)
            self.offset_q = protocol.int_field(header, "offset_q", -4, 4)
        except (OSError, UnicodeError, protocol.Reject):
            self._format()

    def append(self, record):
        """Log a finished batch (a dict without "n"); returns its batch number n."""
        n = self.count
        record["n"] = n
        self._write(1 + n % SLOTS, record)
        self.count = n + 1
        self._write_header()
        return n

    def update(self, n, record):
        """Rewrite batch n's record (still in the ring) with its feedback."""
        if self.count - SLOTS <= n < self.count:
            record["n"] = n
            self._write(1 + n % SLOTS, record)

    def set_offset(self, offset_q):
        self.offset_q = offset_q
        self._write_header()

    def record(self, n):
        """Batch n's record as a dict, or None if it left the ring or never was."""
        if not (self.count - SLOTS <= n < self.count and n >= 0):
            return None
        try:
            return protocol.fields(self._read(1 + n % SLOTS))
        except (OSError, UnicodeError, protocol.Reject):
            return None

    def _format(self):
        with open(self.path, "wb") as f:
            for _ in range(SLOTS + 1):
                f.write(b" " * (SLOT_BYTES - 1) + b"\n")
        self.count, self.offset_q = 0, 0
        self._write_header()

    def _write_header(self):
        self._write(0, {"count": self.count, "offset_q": self.offset_q})

    def _write(self, slot, payload):
        text = protocol.format_fields(payload).encode()
        if len(text) > SLOT_BYTES - 1:
            text = text[:SLOT_BYTES - 1]
        with open(self.path, "r+b") as f:
            f.seek(slot * SLOT_BYTES)
            f.write(text + b" " * (SLOT_BYTES - 1 - len(text)) + b"\n")

    def _read(self, slot):
        with open(self.path, "rb") as f:
            f.seek(slot * SLOT_BYTES)
            return f.read(SLOT_BYTES).decode().strip()
