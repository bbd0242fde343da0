"""`time` for a virtual board: ticks come from the host, sleeping hands control to it.

Installed as sys.modules["time"] before the firmware is imported (MicroPython's own
`time` is a built-in that a file cannot shadow). Between two sleeps the clock stands
still: one control tick is one host step.
"""

import machine

TICKS_PERIOD = 1 << 30


def ticks_ms():
    return machine.inputs()["ms"]


def ticks_add(ticks, delta):
    return (ticks + delta) % TICKS_PERIOD


def ticks_diff(end, start):
    half = TICKS_PERIOD // 2
    return ((end - start + half) & (TICKS_PERIOD - 1)) - half


def sleep_ms(ms):
    machine.wait(ms)


def sleep(seconds):
    machine.wait(int(seconds * 1000))
