"""Time models the simulator can plug into the firmware: ONNX files (the shipped model by
default), the non-ML stand-in, and the built-in adversaries (`adversarial:NAME`). Each
has `predict(features) -> s`.

ONNX files go through the Pi Zero's own back-end (firmware/model_onnx.py), which checks
them before use (docs/INTERFACES.md): the file exists, is at most 256 KB, matches its manifest's
SHA-256 when a manifest sits beside it (NAME.manifest.json), uses only the ops the board
runs, loads in onnxruntime, and has input `features` float32 [N, 8] or [N, 10] and output
`toast_s` float32 [N, 1]. Here a few probe predictions must also meet the board's model
deadline in wall time. Anything else raises ModelRefused with one line naming the file and
the reason.
"""

import math
import random
import threading
import time
from pathlib import Path

from firmware.model_check import ModelRefused, shown
from firmware.model_onnx import OnnxModel
from safety import limits

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "model" / "toast_time.onnx"
STAND_IN = "stand-in"


class StandInModel:
    """Non-ML stand-in (`--model stand-in`): the fallback table, corrected by hand.

    Corrections fitted by eye to the plant: a warm chamber shortens the batch by 0.27 %
    per degree above ambient, frozen bread needs +28 s, and time scales with
    (V_rated / V)^2 (rated 230 V above 160 V mains, else 120 V).
    """

    def predict(self, x):
        shade, _thick, bread_c, _moist, _sugar, chamber_c, ambient_c, supply_v = x
        base = limits.FALLBACK_MS[int(shade) - 1] / 1000.0
        warm = max(0.35, 1.0 - 0.0027 * max(0.0, chamber_c - ambient_c))
        frozen = 28.0 if bread_c < 0.0 else 0.0
        rated = 230.0 if supply_v > 160.0 else 120.0
        return (base * warm + frozen) * (rated / supply_v) ** 2


# --- adversaries: each is hostile in one way; the guard must keep every one safe -------
class ConstantModel:
    def __init__(self, value):
        self.value = value

    def predict(self, x):
        return self.value


class RandomModel:
    """Any float at all: specials, negatives, huge, plausible, seeded."""

    SPECIALS = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1.0, 4.9, 5.0, 240.0, 240.001)

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def predict(self, x):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(self.SPECIALS)
        if r < 0.6:
            return self.rng.uniform(-1e4, 1e4)
        return self.rng.uniform(0.0, 300.0)


class RaisingModel:
    def predict(self, x):
        raise RuntimeError("adversarial model raises")


class SlowModel:
    """Answers plausibly, but only after `delay_ms` (past the guard's deadline)."""

    def __init__(self, sleep_ms, delay_ms=1200):
        self.sleep_ms = sleep_ms
        self.delay_ms = delay_ms

    def predict(self, x):
        self.sleep_ms(self.delay_ms)
        return StandInModel().predict(x)


class MaxOnHotModel:
    """Asks for the longest time the guard might accept exactly when the chamber is hot."""

    HOT_C = 60.0

    def predict(self, x):
        if x[5] >= self.HOT_C:
            return limits.TIME_CAP_MS / 1000.0
        return StandInModel().predict(x)


ADVERSARIES = ("nan", "inf", "negative", "huge", "zero", "random", "raises", "slow", "max-on-hot")


def adversary(name, seed=0, sleep_ms=None):
    """The built-in hostile model called NAME."""
    constants = {"nan": math.nan, "inf": math.inf, "negative": -120.0, "huge": 1e30, "zero": 0.0}
    if name in constants:
        return ConstantModel(constants[name])
    if name == "random":
        return RandomModel(seed)
    if name == "raises":
        return RaisingModel()
    if name == "slow":
        return SlowModel(sleep_ms)
    if name == "max-on-hot":
        return MaxOnHotModel()
    raise ModelRefused("adversarial:%s: unknown adversary (known: %s)" % (name, ", ".join(ADVERSARIES)))


def load(spec, seed=0, sleep_ms=None, base_dir=None):
    """A model from a --model / [model] path spec: None (the shipped model), a path,
    `stand-in`, or adversarial:NAME. The shipped model must match its manifest."""
    if spec is None:
        return timed(OnnxModel(SHIPPED_MODEL, require_manifest=True))
    if spec == STAND_IN:
        return StandInModel()
    if spec.startswith("adversarial:"):
        return adversary(spec[len("adversarial:"):], seed, sleep_ms)
    return timed(OnnxModel(resolve(spec, base_dir)))


# --- wall time ----------------------------------------------------------------------------
# The simulated clock never sees wall time (replays stay exact), so a model that takes
# seconds per prediction would look instant in the simulation; the board discards answers
# after limits.MODEL_DEADLINE_MS. Probed once, at load: the fastest of PROBES predictions
# must meet the deadline (one slow probe is a busy host; a slow model is slow every time).
# The host is faster than a Pi Zero, so a model refused here would miss on the board too.
PROBES = 3
PROBE_FEATURES = [4.0, 13.0, 22.0, 0.38, 0.05, 22.0, 22.0, 230.0, 22.0, 0.0]  # a medium white batch at its press


def timed(model):
    """model, unless none of PROBES predictions returns within the deadline in wall time."""
    x = PROBE_FEATURES[:model.n_features]
    for _ in range(PROBES):
        if _probe_ms(model, x) <= limits.MODEL_DEADLINE_MS:
            return model
    raise ModelRefused("%s: a prediction takes over %d ms of wall time here (%d probes); the board discards "
                       "later answers" % (shown(model.path), limits.MODEL_DEADLINE_MS, PROBES))


def _probe_ms(model, x):
    """Wall milliseconds of one prediction; onnxruntime stops it (at its next node) soon
    after the deadline, so a model that would take an hour costs about the deadline here."""
    import numpy as np
    import onnxruntime as ort

    options = ort.RunOptions()
    stop = threading.Timer(limits.MODEL_DEADLINE_MS / 1000.0, setattr, (options, "terminate", True))
    started = time.perf_counter()
    stop.start()
    try:
        model.session.run(["toast_s"], {"features": np.asarray([x], dtype=np.float32)}, options)
    except Exception as e:
        if not options.terminate:
            raise ModelRefused("%s: onnxruntime fails on a probe prediction: %s"
                               % (shown(model.path), _line(e))) from None
    finally:
        stop.cancel()
    return (time.perf_counter() - started) * 1000.0


def _line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def resolve(spec, base_dir):
    """A model path spec: as given if absolute or present, else beside the scenario
    (base_dir), else in the source tree."""
    path = Path(spec)
    if path.is_absolute() or path.exists():
        return path
    for base in (base_dir, SHIPPED_MODEL.parent.parent):
        if base is not None and (Path(base) / path).exists():
            return Path(base) / path
    return path
