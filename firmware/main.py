"""Board entry point (copied to / as main.py): run the guarded control loop forever.

The model is the module `toastguard export` compiled from the shipped ONNX file; if it
is refused, every batch runs on the guard's fallback table and the fault LED stays lit.
Any exception leaves the heater and latch off (Controller.tick) and resets the board,
which boots with both pins low and waits for a fresh lever press.
"""

import machine
import os
import time

from firmware import model_pico
from firmware.control import Controller
from firmware.hw.pico import PIN_HEATER, PicoBoard
from firmware.model_check import ModelRefused
from safety import limits

MODEL_DIR = "/firmware"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def run():
    board = PicoBoard()
    board.log("reset cause %d" % machine.reset_cause())
    model, error = None, None
    try:
        model = model_pico.load(MODEL_DIR, exists)
    except ModelRefused as e:
        error = str(e)
    ctl = Controller(board, model, error)
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
