"""The hostile-input corpus in tests/hostile/ (issue 14): every file is refused by the
real CLI with exit 2 and exactly one line on stderr, and no output is written, not even
half of one."""

import tomllib
from pathlib import Path

import pytest

from host_sim.cli import main

CORPUS = Path(__file__).with_name("hostile")
SCENARIOS = CORPUS / "scenarios"
EXPECT = tomllib.loads((SCENARIOS / "EXPECT.toml").read_text())


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in SCENARIOS.iterdir() if p.name != "EXPECT.toml"}
    assert files == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_a_hostile_scenario_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, name):
    outs = [tmp_path / "r.json", tmp_path / "t.csv", tmp_path / "p.png"]
    code = main(["sim", str(SCENARIOS / name), "--json", str(outs[0]), "--trace", str(outs[1]),
                 "--plot", str(outs[2])])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert EXPECT[name] in err, err
    assert list(tmp_path.iterdir()) == []
