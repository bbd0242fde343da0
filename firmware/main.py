"""Board entry point (copied to / as main.py): run the guarded control loop forever.

Any exception leaves the heater and latch off (Controller.tick) and resets the board,
which boots with both pins low and waits for a fresh lever press.
"""

import machine
import time

from firmware.control import Controller
from firmware.hw.pico import PIN_HEATER, PicoBoard
from safety import limits


def run():
    board = PicoBoard()
    board.log("reset cause %d" % machine.reset_cause())
    ctl = Controller(board, model=None)
    deadline = time.ticks_ms()
    while True:
        ctl.tick()
        deadline = time.ticks_add(deadline, limits.TICK_MS)
        board.sleep_until(deadline)


try:
    run()
finally:
    machine.Pin(PIN_HEATER, machine.Pin.OUT, value=0)
    machine.reset()
