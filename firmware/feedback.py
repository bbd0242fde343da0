"""The user's verdict on the last batch, and the shade offset it teaches the model.

One button: presses counted until the next batch starts, 1 = too light, 2 = ok,
3 or more = too dark (the LED blinks the count back). The host may send the same verdict
(message F). Each verdict moves the offset a quarter shade, bounded to +-1 shade: the
model is asked for shade + offset, the guard still sees the dial's shade and caps the
batch as always.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

TOO_LIGHT = const(-1)
OK = const(0)
TOO_DARK = const(1)
NAMES = {TOO_LIGHT: "too light", OK: "ok", TOO_DARK: "too dark"}
STEP_Q = const(1)  # quarter shades per verdict
MAX_OFFSET_Q = const(4)  # +-1 shade


def verdict_of_presses(n):
    if n <= 0:
        return None
    return (TOO_LIGHT, OK, TOO_DARK)[min(n, 3) - 1]


class Feedback:
    def __init__(self, offset_q=0):
        self.offset_q = _clamp(offset_q)
        self.presses = 0

    def press(self):
        self.presses += 1

    def take_presses(self):
        """The verdict the presses since the last call make (None if none)."""
        v = verdict_of_presses(self.presses)
        self.presses = 0
        return v

    def learn(self, verdict):
        """Too light: ask for darker next time; too dark: lighter; bounded."""
        self.offset_q = _clamp(self.offset_q - verdict * STEP_Q)

    def shade_for_model(self, shade):
        """The dial's shade plus the learnt offset, kept on the 1-7 scale."""
        s = shade + self.offset_q / 4.0
        return 1.0 if s < 1.0 else 7.0 if s > 7.0 else s


def _clamp(q):
    return -MAX_OFFSET_Q if q < -MAX_OFFSET_Q else MAX_OFFSET_Q if q > MAX_OFFSET_Q else q
