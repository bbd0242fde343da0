"""Boot a virtual board: the virtual clock as `time`, the virtual USB port, and a probe
on the control tick.

The probe reports what the guard decided each tick (mode, heater, latch, events, fault,
reading) and the surface readings it decided on (each slot's object and die, the tab's
counts, the purge fan) in the next frame, so the host can check the invariants and
compare interpreters tick for tick. The firmware's own files run unchanged.
"""

import sys

import vclock

sys.modules["time"] = vclock

import machine  # noqa: E402  (after the clock swap, as on every import below)
import usb_serial  # noqa: E402
from firmware import control  # noqa: E402
import firmware.hw  # noqa: E402, F401

sys.modules["firmware.hw.usb_serial"] = usb_serial

_tick = control.Controller.tick


def _probed_tick(self):
    try:
        _tick(self)
    finally:
        g, s = self.guard, self.surface
        machine.observe([g.mode, g.heater, g.latch, g.events, g.fault, g.reading_dc,
                         s.obj_dc, s.body_dc, s.ref_adc, s.purge_ok])


control.Controller.tick = _probed_tick
