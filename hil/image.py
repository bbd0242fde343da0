"""The board image: which files go on the board, built as .mpy, with a hash manifest.

The Pico's filesystem holds main.py (source: MicroPython runs /main.py at boot), the
firmware and safety packages compiled by mpy-cross for the RP2040 (armv6m), the compiled
model and two manifests: `firmware/toast_model.manifest.json` (the model's SHA-256, what
the model loader checks) and `firmware/image.json` (SHA-256 of every file as deployed,
what the boot self-test and `toastguard flash` check).
"""

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MPY_ARCH = "armv6m"  # RP2040: Cortex-M0+
IMAGE_MANIFEST = "firmware/image.json"
MODEL_MANIFEST = "firmware/toast_model.manifest.json"
MODEL_SOURCE = "firmware/toast_model.py"
SHARED_SOURCES = (
    "firmware/__init__.py", "firmware/control.py", "firmware/features.py",
    "firmware/model_check.py", "firmware/presets.py", "firmware/selftest.py",
    "firmware/hw/__init__.py", "firmware/hw/ads1115.py", "firmware/hw/base.py",
    "firmware/hw/mlx90614.py", "firmware/hw/surface_sensors.py",
    "safety/__init__.py", "safety/advice.py", "safety/checks.py", "safety/guard.py",
    "safety/limits.py", "safety/surface.py", "safety/thermistor.py",
)
PICO_SOURCES = SHARED_SOURCES + (
    "firmware/batchlog.py", "firmware/feedback.py", "firmware/hostport.py", "firmware/link.py",
    "firmware/model_pico.py", "firmware/protocol.py", "firmware/toast_model.py",
    "firmware/hw/hil.py", "firmware/hw/pico.py", "firmware/hw/pico_pins.py",
    "firmware/hw/usb_serial.py",
)
PICO_MAIN = "firmware/main.py"
# The Pi Zero runs CPython: the shared sources, its own, and the .onnx model.
ZERO_SOURCES = SHARED_SOURCES + (
    "firmware/main_zero.py", "firmware/model_onnx.py", "firmware/hw/zero.py",
    "model/toast_time.onnx", "model/toast_time.manifest.json",
)


class BuildError(RuntimeError):
    """mpy-cross refused a file, or it is missing."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def mpy_cross(board_path, source):
    """The .mpy bytes of one source file (its board path and its bytes), compiled for the
    RP2040 in a directory of its own: builds never write beside the sources, so two
    at once cannot race."""
    with tempfile.TemporaryDirectory(prefix="toastguard-mpy-") as build:
        src = Path(build) / board_path
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(source)
        out = src.with_suffix(".mpy")
        cmd = [sys.executable, "-m", "mpy_cross", "-march=" + MPY_ARCH, "-s", board_path, "-o", str(out), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError("%s: mpy-cross: %s" % (board_path, proc.stderr.strip() or proc.returncode))
        return out.read_bytes()


def pico_image(mpy=True, model_source=None):
    """{board path: bytes} of everything the Pico needs, manifests included; with
    model_source (a module from `toastguard export`), that model in place of the shipped one."""
    files = {"main.py": (ROOT / PICO_MAIN).read_bytes()}
    for src in PICO_SOURCES:
        source = (ROOT / src).read_bytes()
        if src == MODEL_SOURCE and model_source is not None:
            source = model_source.encode("utf-8")
        files[src[:-3] + ".mpy" if mpy else src] = mpy_cross(src, source) if mpy else source
    model = "firmware/toast_model." + ("mpy" if mpy else "py")
    manifest = json.loads((ROOT / MODEL_MANIFEST).read_text()) if model_source is None else {}
    manifest.update({"file": model.rsplit("/", 1)[1], "sha256": sha256(files[model])})
    files[MODEL_MANIFEST] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    files[IMAGE_MANIFEST] = image_manifest(files)
    return files


def image_manifest(files):
    """firmware/image.json: the SHA-256 of every other file of the image."""
    hashes = {path: sha256(data) for path, data in sorted(files.items()) if path != IMAGE_MANIFEST}
    return (json.dumps({"files": hashes}, indent=1, sort_keys=True) + "\n").encode()


def zero_image():
    """{path: bytes} of what the Pi Zero runs (CPython sources, the .onnx model)."""
    return {src: (ROOT / src).read_bytes() for src in ZERO_SOURCES}
