"""`toastguard fuzz`: campaigns run, report, and hand back a shrunk counterexample that
`toastguard sim` replays exactly."""

import json
import os
import re
import signal
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import seed as hypothesis_seed

from host_sim import fuzz, fuzz_report, scenario
from host_sim.cli import main
from safety import guard


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example database goes to .hypothesis/ here


@pytest.mark.timeout(300)
def test_a_campaign_reports_safety_and_the_model_apart(tmp_path, capsys):
    assert main(["fuzz", "--examples", "12", "--jobs", "2", "--seed", "7", "--report", "rep"]) == 0
    data = json.loads((tmp_path / "rep" / "fuzz.json").read_text())
    assert data["cases"] == 12 and data["safety"]["violations"] == 0
    assert data["guard_reaction"]["worst_extra_ticks"] == 0
    assert data["model_quality"]["batches"] == data["cycles"] > 0
    assert sum(m["batches"] for m in data["model_quality"]["by_model"].values()) == data["cycles"]
    for name in ("fuzz-report.md", "delta_e_error.png", "guard_layers.png", "worst-model-1.toml"):
        assert (tmp_path / "rep" / name).is_file(), name
    assert scenario.load(tmp_path / "rep" / "worst-model-1.toml").batches
    assert "no safety violation" in capsys.readouterr().out


@pytest.mark.timeout(300)
def test_a_broken_guard_gives_a_shrunk_case_that_sim_replays(tmp_path, monkeypatch, capsys):
    sense = guard.Guard._sense

    def blind(self, dt_ms, surface):  # the surface cut removed
        sense(self, dt_ms, surface)
        self.cut = False

    monkeypatch.setattr(guard.Guard, "_sense", blind)
    monkeypatch.setattr(fuzz, "SHRINK_BUDGET_S", 5.0)
    code = main(["fuzz", "--examples", "60", "--jobs", "1", "--seed", "1", "--model", "adversarial:huge"])
    out = capsys.readouterr().out
    assert code == 3 and "SAFETY VIOLATION" in out and "I7" in out
    case = tmp_path / "fuzz-counterexample.toml"
    shrunk = scenario.load(case)
    assert shrunk.model == "adversarial:huge"
    assert any((tmp_path / ".hypothesis" / "fuzz" / "adversarial-huge").rglob("*"))  # kept for the next run
    assert main(["sim", str(case), "--json", "replay.json"]) == 3
    replay = json.loads((tmp_path / "replay.json").read_text())
    assert any(v["invariant"] == "I7" for v in replay["invariant_violations"])
    monkeypatch.undo()
    assert main(["sim", str(case)]) == 0  # the real guard holds on the same case


def test_the_same_seed_draws_the_same_cases():
    def draw(seed):
        drawn = []

        @settings(max_examples=5, database=None, deadline=None)
        @hypothesis_seed(seed)
        @given(sc=fuzz.cases())
        def collect(sc):
            drawn.append(sc.to_toml())
        collect()
        return drawn
    assert draw(3) == draw(3) and draw(3) != draw(4)


def test_cases_never_combine_the_double_fault_and_always_load_back():
    @settings(max_examples=60, database=None, deadline=None)
    @given(sc=fuzz.cases())
    def check(sc):
        assert not scenario.beyond_software(f.kind for f in sc.faults)
        assert scenario.parse(__import__("tomllib").loads(sc.to_toml())).to_toml() == sc.to_toml()
    check()


@pytest.mark.parametrize("argv, says", [
    (["--model", "missing.onnx"], "missing.onnx"),
    (["--examples", "0"], "--examples"),
    (["--out", "no/such/dir/case.toml"], "no/such/dir"),
])
def test_bad_input_is_one_line(argv, says, capsys):
    assert main(["fuzz"] + argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


def test_ctrl_c_stops_the_campaign_and_keeps_what_it_did(tmp_path, monkeypatch):
    monkeypatch.setattr(fuzz, "PROGRESS_EVERY", 3)
    before = signal.getsignal(signal.SIGINT)

    def on_progress(cases, violations):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as the terminal sends it

    with pytest.raises(fuzz.Interrupted) as caught:
        fuzz.campaign(1000, "adversarial:zero", jobs=1, seed=1, on_progress=on_progress, database=False)
    stop = caught.value
    assert stop.stats.cases == 3 and stop.stats.cycles >= 3 and stop.failures == []  # no case begun after
    assert signal.getsignal(signal.SIGINT) is before
    data = fuzz_report.summary(stop.stats, stop.failures, stop.seconds, 1000, 1, 1, "adversarial:zero",
                               interrupted=True)
    report = fuzz_report.write(tmp_path / "rep", data, stop.stats)
    kept = json.loads((tmp_path / "rep" / "fuzz.json").read_text())
    assert kept["interrupted"] is True and kept["cases"] == 3 and kept["examples"] == 1000
    assert "**Interrupted** (Ctrl-C) after 3 of 1000 cases" in report.read_text()


def test_a_campaign_runs_outside_the_main_thread():
    done = []  # signals reach only the main thread: there a campaign leaves them alone
    thread = threading.Thread(target=lambda: done.append(fuzz.campaign(2, jobs=1, seed=7, database=False)))
    thread.start()
    thread.join(60)
    assert done[0][0].cases == 2


CAMPAIGN = """
from host_sim import fuzz
try:
    fuzz.campaign(100000, "adversarial:zero", jobs=2, seed=1, database=False,
                  on_progress=lambda cases, violations: print(cases, flush=True))
except fuzz.Interrupted as stop:
    print("interrupted after %d cases" % stop.stats.cases)
"""


def test_ctrl_c_in_a_terminal_stops_the_workers_quietly(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: the workers
    ignore it and the parent stops them after their current case; no traceback."""
    proc = subprocess.Popen([sys.executable, "-c", CAMPAIGN], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        progress = proc.stdout.readline()  # the workers are running cases
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert progress.strip().isdigit(), progress + err
    assert proc.returncode == 0 and err == "", err
    assert int(re.search(r"interrupted after (\d+) cases", out).group(1)) >= fuzz.PROGRESS_EVERY
