"""Hardware in the loop: the firmware on the MicroPython VM as a virtual board."""
