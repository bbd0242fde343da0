"""Board code rules: compiles with mpy-cross for the Pico, no asserts, safety independent."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The Pi Zero runs CPython: these files are not on the Pico (no MicroPython rules).
ZERO_ONLY = ("firmware/hw/zero.py", "firmware/main_zero.py", "firmware/model_onnx.py",
             "safety/proofs.py", "safety/report.py")  # the last two: host tools (z3, pytest), never on a board
# The virtual board's machine/time shims run on the MicroPython VM too (not on the Pico).
VM_SHIMS = sorted((ROOT / "hil" / "vm").glob("*.py"))
BOARD_FILES = sorted(p for d in ("firmware", "safety") for p in (ROOT / d).rglob("*.py")) + VM_SHIMS
PICO_FILES = [p for p in BOARD_FILES if str(p.relative_to(ROOT)) not in ZERO_ONLY]
FORBIDDEN_IN_SAFETY = ("model", "firmware", "host_sim", "hil")
# MicroPython has none of these at runtime.
FORBIDDEN_MODULES = ("dataclasses", "typing", "numpy", "enum", "abc")


@pytest.mark.parametrize("path", PICO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles_for_the_pico(path, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mpy_cross", "-march=armv6m", "-o",
                           str(tmp_path / "out.mpy"), str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_board_code_rules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Assert), "%s:%d: assert is stripped by MicroPython" % (path, node.lineno)
        assert not isinstance(node, ast.Match), "%s:%d: match is not MicroPython" % (path, node.lineno)
        for name in _imports(node):
            top = name.split(".")[0]
            if path in PICO_FILES:
                assert top not in FORBIDDEN_MODULES, "%s imports %s" % (path, name)
            if path.parent.name == "safety":
                assert top not in FORBIDDEN_IN_SAFETY, "%s imports %s" % (path, name)


def _imports(node):
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return []


def test_thermistor_self_test():
    from firmware import selftest
    from safety.checks import reading_dc
    from tests.helpers import adc
    steady = iter([adc(22.0)] * selftest.THERMISTOR_SAMPLES)
    assert selftest.thermistor(lambda: next(steady), reading_dc) is None
    shaky = iter([adc(22.0), adc(25.0)] * selftest.THERMISTOR_SAMPLES)
    assert selftest.thermistor(lambda: next(shaky), reading_dc).startswith("thermistor unsteady: readings spread 2.")
    assert selftest.thermistor(lambda: 0, reading_dc) == "thermistor open or shorted"


def test_image_check_names_strays_and_spares_only_a_bad_model(tmp_path, monkeypatch):
    from firmware import selftest
    monkeypatch.chdir(tmp_path)
    (tmp_path / "safety").mkdir()
    (tmp_path / "firmware").mkdir()
    (tmp_path / "safety" / "guard.mpy").write_bytes(b"guard")
    (tmp_path / "firmware" / "toast_model.mpy").write_bytes(b"model")
    (tmp_path / "image.json").write_text(__import__("json").dumps({"files": {
        "safety/guard.mpy": selftest.sha256_hex("safety/guard.mpy"),
        "firmware/toast_model.mpy": "0" * 64}}))
    import os
    assert selftest.check_image("image.json", os.listdir) == [
        "firmware/toast_model.mpy: SHA-256 differs from the image manifest"]
    assert selftest.fatal(selftest.check_image("image.json", os.listdir)) == []
    (tmp_path / "firmware" / "toast_model.py").write_text("HEATER = 1")
    (tmp_path / "safety" / "guard.mpy").write_bytes(b"tampered")
    problems = selftest.check_image("image.json", os.listdir)
    assert selftest.fatal(problems) == ["firmware/toast_model.py: not in the image manifest",
                                        "safety/guard.mpy: SHA-256 differs from the image manifest"]
    assert selftest.check_image("nope.json", os.listdir) == ["nope.json: missing or unreadable"]


STUBS = ROOT / ".venv" / "rp2-stubs"


@pytest.mark.skipif(not STUBS.is_dir(), reason="rp2 stubs not installed (make install)")
@pytest.mark.timeout(120)
def test_pico_code_type_checks_against_the_rp2_stubs():
    from hil import image
    files = [image.PICO_MAIN] + list(image.PICO_SOURCES)
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "tests/mypy-board.ini",
                           "--no-incremental", "--cache-dir", "/dev/null"] + files,
                          capture_output=True, text=True, cwd=ROOT, timeout=110)
    assert proc.returncode == 0, proc.stdout + proc.stderr
