"""Board code rules: compiles with mpy-cross for the Pico, no asserts, safety independent."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The Pi Zero runs CPython: these files are not on the Pico (no MicroPython rules).
ZERO_ONLY = ("firmware/hw/zero.py", "firmware/main_zero.py", "firmware/model_onnx.py")
BOARD_FILES = sorted(p for d in ("firmware", "safety") for p in (ROOT / d).rglob("*.py"))
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
