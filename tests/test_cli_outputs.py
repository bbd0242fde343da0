"""Issue 14, the command line's own inputs: output paths checked before the work and written
atomically, argparse errors in one line, bounded --jobs, user text never markup, Ctrl-C
in one line with exit 130."""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from host_sim import outputs
from host_sim.cli import EXIT_INTERRUPTED, MAX_JOBS, main
from tests.test_cli import GOOD, one_line, run


def leftovers(directory):
    """Temporary files an atomic write would leave behind if it broke."""
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("option", ["--json", "--trace", "--plot"])
@pytest.mark.parametrize("bad, needle", [
    ("{dir}", "is a directory"),
    ("/dev/full", "not a regular file"),
    ("", "an empty path"),
    ("{dir}/missing/out.png", "does not exist"),
])
def test_sim_refuses_a_bad_output_before_the_work(tmp_path, capsys, monkeypatch, option, bad, needle):
    from host_sim import runner
    monkeypatch.setattr(runner, "simulate", lambda *a, **k: pytest.fail("the work ran before the output check"))
    code, out, err = run(capsys, "sim", option, bad.format(dir=tmp_path))
    assert code == 2 and needle in one_line(err) and option in err and out == ""


def test_a_plot_needs_a_png_name(tmp_path, capsys):
    code, _, err = run(capsys, "sim", "--plot", str(tmp_path / "plot.svg"))
    assert code == 2 and "ending in .png" in one_line(err)


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("the last good result\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(outputs.OutputError, match="No space left"):
        outputs.write_text(target, "a new result\n")
    assert target.read_text() == "the last good result\n" and leftovers(tmp_path) == []


def test_an_atomic_write_keeps_the_file_mode(tmp_path):
    target = tmp_path / "shared.json"
    target.write_text("old\n")
    target.chmod(0o644)
    outputs.write_text(target, "new\n")
    assert target.read_text() == "new\n" and target.stat().st_mode & 0o777 == 0o644


def test_an_output_directory_that_is_a_file_is_refused(tmp_path, capsys):
    afile = tmp_path / "report"
    afile.write_text("")
    code, _, err = run(capsys, "fuzz", "--examples", "1", "--report", str(afile))
    assert code == 2 and "not a directory" in one_line(err)
    code, _, err = run(capsys, "report", "--out", str(afile))
    assert code == 2 and "not a directory" in one_line(err)


@pytest.mark.parametrize("argv, needle", [
    (["sim", "--no-such-option"], "unrecognized arguments"),
    (["no-such-verb"], "invalid choice"),
    (["fuzz", "--examples", "many"], "invalid int value"),
    (["fuzz", "--jobs", "0"], "outside 1..%d" % MAX_JOBS),
    (["fuzz", "--jobs", str(MAX_JOBS + 1)], "outside 1..%d" % MAX_JOBS),
    (["prove", "--jobs", "x"], "not a whole number"),
    (["fuzz", "--examples", "0"], "--examples must be"),
    (["train", "--samples", "10"], "--samples must be"),
])
def test_a_bad_command_line_is_one_line_and_exit_2(capsys, argv, needle):
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    _, err = capsys.readouterr()
    assert code == 2 and needle in one_line(err) and err.startswith("toastguard: ")


def test_the_scenario_name_is_text_not_markup(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(GOOD.replace('name = "t"', 'name = "[/] [bold red]x[/] $\\\\frac{a}{$"'))
    plot = tmp_path / "p.png"
    code, out, err = run(capsys, "sim", str(scenario), "--plot", str(plot))
    assert code == 0 and err == "" and plot.stat().st_size > 0
    assert "[/] [bold red]x[/] $\\frac{a}{$" in out


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    """A real SIGINT to a real `toastguard sim` process."""
    scenario = tmp_path / "long.toml"
    scenario.write_text(GOOD + '[[batch]]\nbread = "white"\nshade = 3\nstart_after_s = 3600.0\n' * 19)
    proc = subprocess.Popen([sys.executable, "-m", "host_sim.cli", "sim", str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)  # past the imports, into the run (a day of toaster time)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED and one_line(err) == "toastguard: interrupted", err


@pytest.mark.timeout(180)
def test_ctrl_c_in_a_fuzz_campaign_keeps_its_report(tmp_path):
    """Ctrl-C at a terminal signals the whole process group: the CLI and its workers."""
    import json
    report = tmp_path / "campaign"
    proc = subprocess.Popen([sys.executable, "-m", "host_sim.cli", "fuzz", "--examples", "100000", "--jobs", "2",
                             "--seed", "1", "--report", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(10.0)  # workers started, cases done
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    summary = json.loads((report / "fuzz.json").read_text())
    assert proc.returncode == EXIT_INTERRUPTED and "Traceback" not in err
    assert "interrupted after %d of 100000 cases" % summary["cases"] in err.strip().splitlines()[-1]
    assert summary["interrupted"] is True and (report / "fuzz-report.md").exists()
