"""Hardware back-ends: pico (MicroPython `machine`), sim (bound to the host plant)."""
