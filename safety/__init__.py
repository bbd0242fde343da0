"""toastguard's safety layer: independent of the model, the firmware and the simulator.

Runs unchanged on the board (MicroPython) and on the host (CPython).
"""
