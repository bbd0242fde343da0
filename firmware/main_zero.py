"""Pi Zero entry point (CPython, run by systemd with Restart=always): the same guarded
loop as the Pico's main.py, with the ONNX file itself run by onnxruntime as the model.

A refused model means the fallback table and a lit fault LED. Bread-surface sensors that
do not answer, or answer implausibly, at start are logged: the guard runs every batch
degraded, with the fault LED, until both thermopiles pass its reference check. Any
exception turns the heater and latch off and exits non-zero; systemd restarts the loop,
which boots with both outputs low and waits for a fresh lever press.
"""

import sys

from firmware import selftest
from firmware.control import Controller
from firmware.hw.base import TICKS_MASK
from firmware.model_check import ModelRefused
from safety import checks, limits, surface

MODEL_PATH = "/opt/toastguard/model/toast_time.onnx"
WATCHDOG_PATH = "/dev/watchdog"


def load_model(path):
    """(model, None) or (None, why it was refused)."""
    from firmware.model_onnx import OnnxModel
    try:
        return OnnxModel(path, require_manifest=True), None
    except ModelRefused as e:
        return None, str(e)


def run(board, model_path=MODEL_PATH, ticks=None):
    """Run the loop on `board`; `ticks` bounds it (None: forever)."""
    model, error = load_model(model_path)
    selftest.log_surface(board, surface.plausible, checks.reading_dc)
    ctl = Controller(board, model, error)
    deadline = board.ticks_ms()
    n = 0
    while ticks is None or n < ticks:
        ctl.tick()
        deadline = (deadline + limits.TICK_MS) & TICKS_MASK
        board.sleep_until(deadline)
        n += 1
    return ctl


def main():
    from firmware.hw.zero import ZeroBoard
    board = None
    try:
        with open(WATCHDOG_PATH, "wb", buffering=0) as watchdog:
            board = ZeroBoard(watchdog=watchdog)
            run(board)
    finally:
        if board is not None:
            board.all_off()
    return 1


if __name__ == "__main__":
    sys.exit(main())
