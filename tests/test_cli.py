"""`toastguard sim`: outputs, exit codes, and one clear line for every kind of bad input."""

import csv
import hashlib
import json
import subprocess
import sys

import pytest

from host_sim.cli import main
from host_sim.runner import TRACE_COLUMNS
from tests.onnx_models import linear

GOOD = """name = "t"
[[batch]]
bread = "white"
shade = 3
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    return lines[0]


def test_default_run_writes_json_trace_and_plot(tmp_path, capsys):
    j, t, p = tmp_path / "r.json", tmp_path / "t.csv", tmp_path / "p.png"
    code, out, _ = run(capsys, "sim", "--json", str(j), "--trace", str(t), "--plot", str(p))
    assert code == 0 and "no hazard" in out
    result = json.loads(j.read_text())
    for key in ("scenario", "hazard", "fuse_blown", "max_chamber_c", "max_surface_c", "max_fuse_c",
                "limits", "batches", "events"):
        assert key in result
    assert set(result["limits"]) == {"time_cap_s", "cutoff_c", "dose_cap_s", "full_dose_cap_s", "surface_cut_c"}
    for key in ("shade_target", "delta_e", "shade_achieved", "predicted_s", "heater_on_s", "source",
                "burnt", "guard_events"):
        assert key in result["batches"][0]
    with open(t) as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == TRACE_COLUMNS and len(rows) > 1000
    assert p.read_bytes()[:4] == b"\x89PNG"


def test_console_script_runs(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD)
    proc = subprocess.run([sys.executable, "-m", "host_sim.cli", "sim", str(scen)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("text, needle", [
    ("name = \n", "invalid TOML"),
    ("colour = 1\n" + GOOD, "key 'colour': unknown"),
    ("[[batch]]\n", "key 'name': missing"),
    ('name = "x"\n', "at least one [[batch]]"),
    (GOOD + "[toaster]\nsupply_v = \"230\"\n", "key 'toaster.supply_v': must be a number"),
    (GOOD + "[toaster]\nambient_c = 80.0\n", "key 'toaster.ambient_c': 80 is outside"),
    (GOOD + "[toaster]\nsupply_v = 280.0\n", "key 'toaster.supply_v'"),
    (GOOD + "[toaster]\nambient_c = 30.0\nchamber_start_c = 20.0\n", "chamber_start_c"),
    (GOOD + "[toaster]\nwattage = 1\n", "key 'toaster.wattage': unknown"),
    ('name = "x"\n[[batch]]\nshade = 9\n', "key 'batch[0].shade': 9 is outside 1-7"),
    ('name = "x"\n[[batch]]\nshade = 2.5\n', "key 'batch[0].shade': must be an integer"),
    ('name = "x"\n[[batch]]\nbread = "naan"\n', "key 'batch[0].bread'"),
    ('name = "x"\n[[batch]]\nfrozen = 1\n', "key 'batch[0].frozen': must be true or false"),
    ('name = "x"\n[[batch]]\nthickness_mm = 5\n', "key 'batch[0].thickness_mm'"),
    ('name = "x"\n[[batch]]\nlid = 1\n', "key 'batch[0].lid': unknown"),
    ('name = "x"\n[[batch]]\nslot2 = "toast"\n', "key 'batch[0].slot2': must be \"empty\" or a table"),
    ('name = "x"\n[[batch]]\nslot2 = { bread = "naan" }\n', "key 'batch[0].slot2.bread'"),
    ('name = "x"\n[[batch]]\nslot2 = { shade = 3 }\n', "key 'batch[0].slot2.shade': unknown"),
    ('name = "x"\n[[batch]]\nslot2 = { thickness_mm = 40 }\n', "key 'batch[0].slot2.thickness_mm': 40 is outside"),
    (GOOD + '[[fault]]\nkind = "gremlins"\nat_s = 1\n', "key 'fault[0].kind'"),
    (GOOD + '[[fault]]\nkind = "adc_noise"\n', "key 'fault[0].at_s': missing"),
    (GOOD + '[[fault]]\nkind = "adc_noise"\nat_s = -1\n', "key 'fault[0].at_s'"),
    (GOOD + '[[fault]]\nkind = "adc_noise"\nat_s = 1\nduration_s = nan\n', "key 'fault[0].duration_s'"),
    (GOOD + '[model]\nfile = "m.onnx"\n', "key 'model.file': unknown"),
    ('seed = -1\n' + GOOD, "key 'seed'"),
    ('name = "x"\nbatch = 3\n', "key 'batch': must be an array"),
    ('name = "x"\nbatch = [1]\n', "key 'batch[0]': must be a table"),
    ('name = "x"\ntoaster = 1\n[[batch]]\n', "key 'toaster': must be a table"),
])
def test_bad_scenarios_exit_2_with_one_line(tmp_path, capsys, text, needle):
    scen = tmp_path / "bad.toml"
    scen.write_text(text)
    code, _, err = run(capsys, "sim", str(scen))
    line = one_line(err)
    assert code == 2 and str(scen) in line and needle in line, line


def test_missing_and_unreadable_scenario(tmp_path, capsys):
    code, _, err = run(capsys, "sim", str(tmp_path / "nope.toml"))
    assert code == 2 and "no such file" in one_line(err)
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, "sim", str(binary))
    assert code == 2 and "cannot read" in one_line(err)


def test_missing_output_directory(tmp_path, capsys):
    code, _, err = run(capsys, "sim", "--json", str(tmp_path / "no" / "r.json"))
    assert code == 2 and "does not exist" in one_line(err)


def test_onnx_model_is_used(tmp_path, capsys):
    model = linear(tmp_path / "m.onnx")
    j = tmp_path / "r.json"
    code, _, _ = run(capsys, "sim", "--model", str(model), "--json", str(j))
    result = json.loads(j.read_text())
    assert code == 0 and result["batches"][0]["predicted_s"] == pytest.approx(148.0)
    assert result["batches"][0]["source"] == "model"


def test_scenario_model_path_is_relative_to_the_scenario(tmp_path, capsys):
    linear(tmp_path / "m.onnx")
    scen = tmp_path / "s.toml"
    scen.write_text(GOOD + '[model]\npath = "m.onnx"\n')
    assert run(capsys, "sim", str(scen))[0] == 0


def bad_models(tmp_path):
    wrong_in = linear(tmp_path / "in.onnx", input_name="x")
    wrong_out = linear(tmp_path / "out.onnx", output_name="seconds")
    wrong_width = linear(tmp_path / "w.onnx", width=7)
    big = linear(tmp_path / "big.onnx", pad_bytes=300 * 1024)
    garbage = tmp_path / "g.onnx"
    garbage.write_bytes(b"not a model")
    tampered = linear(tmp_path / "t.onnx")
    (tmp_path / "t.manifest.json").write_text(json.dumps({"sha256": hashlib.sha256(b"other").hexdigest()}))
    broken_manifest = linear(tmp_path / "bm.onnx")
    (tmp_path / "bm.manifest.json").write_text("{")
    return [
        (wrong_in, "input named 'features'"), (wrong_out, "output named 'toast_s'"),
        (wrong_width, "float32 [N, 8]"), (big, "larger than"), (garbage, "does not load"),
        (tampered, "does not match manifest"), (broken_manifest, "unreadable manifest"),
        (tmp_path / "missing.onnx", "no such model file"),
    ]


def test_bad_models_are_refused(tmp_path, capsys):
    for path, needle in bad_models(tmp_path):
        code, _, err = run(capsys, "sim", "--model", str(path))
        line = one_line(err)
        assert code == 2 and str(path) in line and needle in line, line


def test_matching_manifest_is_accepted(tmp_path, capsys):
    model = linear(tmp_path / "m.onnx")
    (tmp_path / "m.manifest.json").write_text(json.dumps({"sha256": hashlib.sha256(model.read_bytes()).hexdigest()}))
    assert run(capsys, "sim", "--model", str(model))[0] == 0


def test_unknown_adversary(capsys):
    code, _, err = run(capsys, "sim", "--model", "adversarial:sneaky")
    assert code == 2 and "unknown adversary" in one_line(err)


def test_hazard_exits_3_and_still_writes_json(tmp_path, capsys, monkeypatch):
    from host_sim import hazard
    monkeypatch.setattr(hazard, "IGNITION_SURFACE_MIN_C", 150.0)  # a criterion the default run meets
    monkeypatch.setattr(hazard, "IGNITION_FLUX_KG_M2_S", 0.0)
    j = tmp_path / "r.json"
    code, out, _ = run(capsys, "sim", "--json", str(j))
    assert code == 3 and json.loads(j.read_text())["hazard"] is True and "HAZARD" in out
