"""The hazard log names only tests and invariants that exist."""

import re
from pathlib import Path

from safety.invariants import INVARIANTS

ROOT = Path(__file__).resolve().parent.parent
LOG = (ROOT / "safety" / "HAZARDS.md").read_text()
TEST_NAMES = set(re.findall(r"^def (test_\w+)", "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py")),
                            re.M))


def rows():
    return [line.split("|")[1:-1] for line in LOG.splitlines() if re.match(r"^\| H\d+ ", line)]


def test_every_named_test_exists():
    named = {t for r in rows() for t in re.findall(r"test_\w+", r[5])}
    assert named and named <= TEST_NAMES, named - TEST_NAMES


def test_every_invariant_is_covered_and_every_named_one_exists():
    cited = {i for r in rows() for i in re.findall(r"I\d", r[4])}
    assert cited == {name for name, _ in INVARIANTS}
