"""Time models the simulator can plug into the firmware: ONNX files, the non-ML stand-in,
and the built-in adversaries (`adversarial:NAME`). Each has `predict(features) -> s`.

ONNX files are checked before use (CONTRACT.md): the file exists, is at most 256 KB,
matches its manifest's SHA-256 when a manifest sits beside it (NAME.manifest.json), loads
in onnxruntime, and has input `features` float32 [N, 8] and output `toast_s` float32
[N, 1]. Anything else raises ModelRefused with one line naming the file and the reason.
"""

import hashlib
import json
import math
import random
from pathlib import Path

from safety import limits

MAX_MODEL_BYTES = 256 * 1024
N_FEATURES = 8


class ModelRefused(ValueError):
    """A model that will not be used; the message is the one line the user sees."""


class StandInModel:
    """Non-ML stand-in until a trained model ships: the fallback table, corrected.

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


class OnnxModel:
    """A checked ONNX model run by onnxruntime (the Pi Zero path and the simulator's)."""

    def __init__(self, path):
        path = Path(path)
        self.path = path
        _check_file(path)
        import onnxruntime as ort
        try:
            self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelRefused("%s: does not load in onnxruntime: %s" % (path, _first_line(e))) from None
        _check_signature(path, self.session)

    def predict(self, x):
        import numpy as np
        out = self.session.run(["toast_s"], {"features": np.asarray([x], dtype=np.float32)})
        return float(out[0].reshape(-1)[0])


def manifest_path(path):
    return Path(path).with_name(Path(path).stem + ".manifest.json")


def _check_file(path):
    if not path.is_file():
        raise ModelRefused("%s: no such model file" % path)
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelRefused("%s: %d bytes is larger than the %d-byte limit" % (path, size, MAX_MODEL_BYTES))
    manifest = manifest_path(path)
    if not manifest.exists():
        return
    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelRefused("%s: unreadable manifest %s: %s" % (path, manifest.name, _first_line(e))) from None
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise ModelRefused("%s: SHA-256 %s does not match manifest %s" % (path, actual[:12], manifest.name))


def _check_signature(path, session):
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].name != "features":
        raise ModelRefused("%s: needs exactly one input named 'features', has %s"
                           % (path, [i.name for i in inputs]))
    if inputs[0].type != "tensor(float)" or not _shape_ok(inputs[0].shape, N_FEATURES):
        raise ModelRefused("%s: input 'features' must be float32 [N, 8], is %s %s"
                           % (path, inputs[0].type, inputs[0].shape))
    names = [o.name for o in outputs]
    if "toast_s" not in names:
        raise ModelRefused("%s: needs an output named 'toast_s', has %s" % (path, names))
    out = outputs[names.index("toast_s")]
    if out.type != "tensor(float)" or not _shape_ok(out.shape, 1):
        raise ModelRefused("%s: output 'toast_s' must be float32 [N, 1], is %s %s"
                           % (path, out.type, out.shape))


def _shape_ok(shape, width):
    return len(shape) == 2 and shape[1] == width


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


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
    """A model from a --model / [model] path spec: None (stand-in), path, or adversarial:NAME."""
    if spec is None:
        return StandInModel()
    if spec.startswith("adversarial:"):
        return adversary(spec[len("adversarial:"):], seed, sleep_ms)
    path = Path(spec)
    if base_dir is not None and not path.is_absolute() and not path.exists():
        path = Path(base_dir) / path
    return OnnxModel(path)
