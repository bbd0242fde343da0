"""The model: labels from the plant, the shipped ONNX file and its module, the compiler,
parity on the real MicroPython VM, and the loaders' refusals on every target."""

import hashlib
import json
import math
import re
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from firmware.control import Controller
from firmware.features import FEATURES
from firmware.hw.sim import SimBoard
from firmware.model_check import ModelRefused
from firmware.model_onnx import OnnxModel
from host_sim import mpvm, scenario
from host_sim.cli import main
from host_sim.rig import Rig
from model import compile as compiler
from model import data, train
from safety import limits
from tests import onnx_models
from tests.helpers import zero_run

ROOT = mpvm.ROOT
SHIPPED = ROOT / "model" / "toast_time.onnx"
MODULE = ROOT / "firmware" / "toast_model.py"
PARITY_INPUTS = 10000
PARITY_MAX_S = 0.05
needs_vm = pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")


def shipped_manifest():
    return json.loads((ROOT / "model" / "toast_time.manifest.json").read_text())


WIDTH = len(data.FEATURES_V2)
NOMINAL = [4.0, 13.0, 22.0, 0.38, 0.05, 22.0, 22.0, 230.0, 22.0, 0.0]  # a medium white batch at its press


def parity_inputs(n, seed=0):
    """Half uniform over the training ranges, half from the data generator's situations
    (at a random moment of their batch)."""
    ranges = np.array(list(shipped_manifest()["ranges_seen"].values()))
    rng = np.random.default_rng(seed)
    uniform = ranges[:, 0] + rng.random((n - n // 2, WIDTH)) * (ranges[:, 1] - ranges[:, 0])
    drawn = []
    for i in range(n // 2):
        s = data.draw(seed, i)
        on_s = rng.uniform(0.0, 300.0)
        drawn.append([s["shade"], s["thickness_mm"], -18.0 if s["frozen"] else s["ambient_c"], s["moisture"],
                      s["sugar"], s["ambient_c"] + rng.uniform(0.0, 120.0), s["ambient_c"], s["supply_v"],
                      s["ambient_c"] + on_s * 0.9, on_s])
    return np.vstack([uniform, np.array(drawn)]).astype(np.float32)


def run_on_vm(source, x):
    return np.array(compiler.on_vm(source, x, "the module"))


def float32_reference(x):
    """The shipped graph with every operation rounded to float32, in the module's order."""
    f = np.float32
    m = onnx.load(str(SHIPPED))
    w = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    out = []
    for row in x:
        h = row.astype(f)
        for layer, act in ((0, np.tanh), (1, np.tanh), (2, np.exp)):
            wt, b = w["W%d" % layer], w["B%d" % layer]
            z = np.empty(len(b), f)
            for j in range(len(b)):
                acc = f(b[j])
                for i in range(len(h)):
                    acc = f(acc + f(wt[j, i] * h[i]))
                z[j] = acc
            h = act(z).astype(f)
        out.append(min(max(h[0], f(train.CLIP_S[0])), f(train.CLIP_S[1])))
    return np.array(out, dtype=np.float64)


# --- labels and data -----------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 3, 7])
def test_label_is_where_the_plant_crosses_the_target(index):
    s = data.draw(11, index)
    x, label, _, readvice = data.label(s)
    target = 6.0 * s["shade"]

    def delta_e_after(seconds):
        plant, sensing, _ = data.prepare(s)
        data._run(plant, sensing, seconds, True)
        return plant.slots[0].delta_e

    assert delta_e_after(label - 0.1) < target <= delta_e_after(label + 0.1)
    assert len(x) == len(data.FEATURES_V2) and x[-1] == 0.0
    assert [r[-1] for r in readvice] == pytest.approx([10.0 * (i + 1) for i in range(len(readvice))])
    assert readvice and readvice[-1][-1] < label <= readvice[-1][-1] + 10.0


def test_dataset_is_a_function_of_its_seed():
    a = data.build(24, seed=5, jobs=1)
    b = data.build(24, seed=5, jobs=2)
    assert np.array_equal(a["x_train"], b["x_train"]) and np.array_equal(a["y_test"], b["y_test"])
    assert a["params"]["seed"] == 5 and list(a["params"]["features"]) == list(data.FEATURES_V2)


# --- the shipped model -----------------------------------------------------------------
def test_shipped_model_matches_its_manifest_and_the_contract():
    man = shipped_manifest()
    assert man["sha256"] == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert man["features"] == list(data.FEATURES_V2) and man["input"] == "features" and man["output"] == "toast_s"
    assert man["signature"] == "v2" and man["features"][:8] == list(FEATURES)
    assert man["parameters"] <= 400 and man["bytes"] <= 256 * 1024
    assert man["dataset"]["samples"] == data.DEFAULTS["samples"] and man["dataset"]["seed"] == data.DEFAULTS["seed"]
    assert man["scores"]["mlp"][train.WITHIN]["de_mean"] < man["scores"]["trees"][train.WITHIN]["de_mean"]
    assert (ROOT / "model" / "MODEL_CARD.md").read_text() == train.card(man)


def test_shipped_module_is_the_compiled_shipped_model():
    assert MODULE.read_text() == compiler.compile_model(SHIPPED)
    man = json.loads((ROOT / "firmware" / "toast_model.manifest.json").read_text())
    assert man["sha256"] == hashlib.sha256(MODULE.read_bytes()).hexdigest()
    assert man["source_sha256"] == shipped_manifest()["sha256"]


def test_sim_uses_the_shipped_model_by_default():
    sc = scenario.load(scenario.DEFAULT_PATH)
    from host_sim.runner import simulate
    result, _ = simulate(sc)
    assert [b["source"] for b in result["batches"]] == ["model"] * 3
    reference = OnnxModel(str(SHIPPED)).predict(NOMINAL)
    assert result["batches"][0]["predicted_s"] == pytest.approx(reference, abs=5.0)  # the sensed readings


# --- parity: onnxruntime vs the generated module on the MicroPython VM ------------------
@needs_vm
def test_parity_onnxruntime_vs_micropython_vm():
    x = parity_inputs(PARITY_INPUTS)
    reference = train.onnx_predict(SHIPPED, x)
    on_vm = run_on_vm(MODULE.read_text(), x)
    assert len(on_vm) == PARITY_INPUTS
    assert np.abs(on_vm - reference).max() <= PARITY_MAX_S


@needs_vm
def test_vm_matches_single_precision_arithmetic():
    """The Pico computes in float32: every operation rounded. The VM (double) must agree."""
    x = parity_inputs(200, seed=3)
    assert np.abs(run_on_vm(MODULE.read_text(), x) - float32_reference(x)).max() <= 1e-3


# --- the compiler -------------------------------------------------------------------------
def graph_model(path, nodes, inits, width=8):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 8])],
                          [helper.make_tensor_value_info("toast_s", TensorProto.FLOAT, ["N", 1])],
                          [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path.write_bytes(m.SerializeToString())
    return path


def every_op_model(path):
    rng = np.random.default_rng(1)
    n = helper.make_node
    nodes = [n("Identity", ["features"], ["a"]),
             n("Sub", ["a", "mean"], ["b"]), n("Div", ["b", "scale"], ["c"]),
             n("MatMul", ["c", "W1"], ["d"]), n("Add", ["d", "B1"], ["e"]), n("Relu", ["e"], ["f"]),
             n("Gemm", ["f", "W2", "B2"], ["g"], alpha=0.5, beta=2.0), n("Sigmoid", ["g"], ["h"]),
             n("Mul", ["two", "h"], ["i"]), n("Add", ["i", "h"], ["j"]), n("Flatten", ["j"], ["k"]),
             n("Tanh", ["k"], ["l"]), n("Gemm", ["l", "W3"], ["m"], transB=1),
             n("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([-1, 1], np.int64))),
             n("Reshape", ["m", "shape"], ["o"]), n("Exp", ["o"], ["p"]), n("Cast", ["p"], ["q"], to=1),
             n("Clip", ["q", "lo", "hi"], ["toast_s"])]
    inits = {"mean": rng.normal(size=8), "scale": 1.0 + rng.random(8), "W1": rng.normal(size=(8, 6)),
             "B1": rng.normal(size=6), "W2": rng.normal(size=(6, 5)), "B2": rng.normal(size=5), "two": [2.0],
             "W3": rng.normal(size=(1, 5)), "lo": 0.5, "hi": 2.5}
    return graph_model(path, nodes, inits)


def test_every_supported_op_matches_onnxruntime_in_cpython(tmp_path):
    path = every_op_model(tmp_path / "ops.onnx")
    ns = {}
    exec(compile(compiler.compile_model(path), "toast_model", "exec"), ns)
    x = np.random.default_rng(2).normal(size=(300, 8)).astype(np.float32) * 3.0
    ours = np.array([ns["predict"](list(map(float, r))) for r in x])
    assert np.abs(ours - train.onnx_predict(path, x)).max() < 1e-4
    assert len(set(np.round(ours, 3))) > 10  # the clip did not flatten everything


@needs_vm
def test_every_supported_op_runs_on_the_vm(tmp_path):
    path = every_op_model(tmp_path / "ops.onnx")
    x = np.random.default_rng(4).normal(size=(100, 8)).astype(np.float32)
    assert np.abs(run_on_vm(compiler.compile_model(path), x) - train.onnx_predict(path, x)).max() < 1e-4


def test_unsupported_op_is_refused_by_name(tmp_path, capsys):
    path = graph_model(tmp_path / "sin.onnx", [helper.make_node("Sin", ["features"], ["s"], name="wave"),
                                               helper.make_node("ReduceSum", ["s"], ["toast_s"], keepdims=1,
                                                                name="total")], {})
    with pytest.raises(ModelRefused, match="unsupported op Sin .*'wave'"):
        compiler.compile_model(path)
    assert main(["export", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unsupported op Sin" in err[0] and str(path) in err[0]
    assert not (tmp_path / "toast_model.py").exists()


def test_export_refuses_a_bad_signature_and_a_missing_file(tmp_path, capsys):
    wrong = graph_model(tmp_path / "w.onnx", [helper.make_node("Identity", ["features"], ["out"])], {})
    m = onnx.load(str(wrong))
    m.graph.output[0].name = "out"
    wrong.write_bytes(m.SerializeToString())
    for path, needle in ((wrong, "toast_s"), (tmp_path / "none.onnx", "no such model file")):
        assert main(["export", str(path), "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0]


def test_export_cli_writes_module_and_manifest(tmp_path):
    assert main(["export", str(SHIPPED), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "toast_model.py").read_text() == MODULE.read_text()
    man = json.loads((tmp_path / "toast_model.manifest.json").read_text())
    assert man["sha256"] == hashlib.sha256((tmp_path / "toast_model.py").read_bytes()).hexdigest()


def test_train_cli_small_run(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path), "--samples", "60", "--jobs", "1"]) == 0
    man = json.loads((tmp_path / "toast_time.manifest.json").read_text())
    assert man["sha256"] == hashlib.sha256((tmp_path / "toast_time.onnx").read_bytes()).hexdigest()
    assert man["dataset"]["samples"] == 60 and (tmp_path / "toast_model.py").exists()
    assert "held-out" in capsys.readouterr().out
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    assert main(["train", "--out", str(not_a_directory)]) == 2


# --- loaders on the board targets -------------------------------------------------------------
VM_LOAD = """
import sys, os
sys.path.insert(0, '/')
from firmware import model_pico
from firmware.model_check import ModelRefused
def exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False
try:
    m = model_pico.load('/firmware', exists)
    print('ok', m.predict([4.0, 13.0, 22.0, 0.38, 0.05, 22.0, 22.0, 230.0, 22.0, 0.0]))
except ModelRefused as e:
    print('refused', e)
"""


def pico_files(module_source, manifest=None):
    files = mpvm.board_files("safety")
    files.update({"/firmware/__init__.py": b"",
                  "/firmware/model_check.py": (ROOT / "firmware" / "model_check.py").read_bytes(),
                  "/firmware/features.py": (ROOT / "firmware" / "features.py").read_bytes(),
                  "/firmware/model_pico.py": (ROOT / "firmware" / "model_pico.py").read_bytes(),
                  "/firmware/selftest.py": (ROOT / "firmware" / "selftest.py").read_bytes()})
    if module_source is not None:
        files["/firmware/toast_model.py"] = module_source
    if manifest is not None:
        files["/firmware/toast_model.manifest.json"] = manifest
    return files


def module_manifest(source):
    return json.dumps({"sha256": hashlib.sha256(source).hexdigest()}).encode()


@needs_vm
def test_pico_loader_on_the_vm_accepts_the_shipped_module():
    out = mpvm.run(VM_LOAD, pico_files(MODULE.read_bytes(), (ROOT / "firmware" / "toast_model.manifest.json").read_bytes()))
    status, value = out.split()
    reference = OnnxModel(str(SHIPPED)).predict(NOMINAL)
    assert status == "ok" and abs(float(value) - reference) < 0.05


@needs_vm
@pytest.mark.parametrize("case", ["missing", "no-manifest", "tampered", "too-big", "signature", "broken"])
def test_pico_loader_on_the_vm_refuses(case):
    good = MODULE.read_bytes()
    source = {"missing": None, "no-manifest": good, "tampered": good.replace(b"N_INPUTS = 10", b"N_INPUTS = 10 "),
              "too-big": good + b"#" * (256 * 1024), "signature": good.replace(b"N_INPUTS = 10", b"N_INPUTS = 9"),
              "broken": b"import nonexistent_module\n"}[case]
    manifest = {"missing": None, "no-manifest": None, "tampered": module_manifest(good)}.get(
        case, module_manifest(source or b""))
    out = mpvm.run(VM_LOAD, pico_files(source, manifest))
    expected = {"missing": "no such model file", "no-manifest": "no manifest", "tampered": "does not match",
                "too-big": "larger than", "signature": "input must be", "broken": "does not import"}[case]
    assert out.startswith("refused") and expected in out, out


def test_refused_model_means_fallback_and_fault_led():
    sc = scenario.Scenario("refused", batches=[scenario.Batch()])
    rig = Rig(sc, 0)
    board = SimBoard(rig)
    ctl = Controller(board, model=object(), model_error="toast_model.py: SHA-256 mismatch")
    for tick in range(4):
        ctl.tick()
        rig.spend_ms(limits.TICK_MS)
        if tick == 0:
            rig.press_lever()
    assert ctl.model is None and board.fault_led == 1 and board.heater_on == 1
    assert ctl.guard.budget_ms == limits.FALLBACK_MS[3]
    assert any("model refused" in msg for _, msg in rig.log_lines)


# --- the Pi Zero target: gpiozero's MockFactory, onnxruntime --------------------------------------
def test_zero_target_runs_the_onnx_model(zero_pins):
    ctl, board, logged = zero_run(zero_pins, SHIPPED)
    assert ctl.model is not None and zero_pins.pin(17).state and not zero_pins.pin(22).state
    assert isinstance(logged[0], float) and 100.0 < logged[0] < 200.0


def test_zero_target_refuses_a_model_without_manifest(zero_pins, tmp_path):
    copy = tmp_path / "toast_time.onnx"
    copy.write_bytes(SHIPPED.read_bytes())
    ctl, board, logged = zero_run(zero_pins, copy)
    assert ctl.model is None and zero_pins.pin(22).state  # fault LED
    assert zero_pins.pin(17).state and ctl.guard.budget_ms == limits.FALLBACK_MS[ctl.guard.shade - 1]
    assert any("no manifest" in str(m) for m in logged)
    assert math.isclose(board.supply_pm(), 1000, abs_tol=1)


# --- models that never answer: refused at load, on every back-end -------------------------------
@pytest.mark.parametrize("build, needle", [
    (onnx_models.endless_loop, "unsupported op Loop (node 'forever')"),
    (onnx_models.loop_inside, "unsupported op Loop (node 'forever' inside node 'innocent')"),
    (onnx_models.custom_domain, "unsupported op evil.ops.Relu (node 'mine')"),
    (onnx_models.local_function, "defines its own functions ('Twice')"),
    (onnx_models.external_weights, "tensor 'pick' is stored outside the file"),
])
def test_only_the_ops_the_board_runs_load_anywhere(tmp_path, capfd, build, needle):
    path = build(tmp_path / "hostile.onnx")
    with pytest.raises(ModelRefused, match=re.escape(needle)):
        OnnxModel(path)  # the Pi Zero's back-end, and the simulator's
    from firmware import main_zero
    manifest = path.with_name("hostile.manifest.json")  # the Zero requires one: past it, the ops
    manifest.write_text(json.dumps({"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}))
    model, why = main_zero.load_model(str(path))
    assert model is None and needle in why
    for argv in (["sim", "--model", str(path)], ["export", str(path), "--out", str(tmp_path)]):
        assert main(argv) == 2
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err


def test_a_model_slower_than_the_deadline_in_wall_time_is_refused_by_sim(tmp_path, capfd):
    """Supported ops, seconds a prediction: the simulated clock never sees wall time, so the
    probe at load must refuse it; onnxruntime stops each probe soon after the deadline."""
    path = onnx_models.slow(tmp_path / "slow.onnx")
    started = time.perf_counter()
    assert main(["sim", "--model", str(path)]) == 2
    assert time.perf_counter() - started < 10.0  # three stopped probes, not three predictions
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "over %d ms of wall time" % limits.MODEL_DEADLINE_MS in err[0], err


def test_a_model_onnxruntime_cannot_run_is_refused_at_load(tmp_path, capfd):
    path = graph_model(tmp_path / "clip.onnx", [helper.make_node("Clip", ["features", "lo", "hi"], ["c"]),
                                                helper.make_node("MatMul", ["c", "w"], ["toast_s"])],
                       {"lo": [0.0, 1.0], "hi": [2.0], "w": np.ones((8, 1))})
    assert main(["sim", "--model", str(path)]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "onnxruntime fails on a probe prediction" in err[0], err


def test_onnxruntime_adds_no_line_to_a_refusal(tmp_path, capfd):
    """An unused initializer makes onnxruntime warn while it loads the file; the wrong
    output name then refuses it: one line on stderr (file descriptor 2), ours."""
    path = onnx_models.linear(tmp_path / "noisy.onnx", output_name="seconds", pad_bytes=64)
    assert main(["sim", "--model", str(path)]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs an output named 'toast_s'" in err[0], err


def test_wall_time_probe_leaves_replays_exact(tmp_path):
    from host_sim.runner import simulate
    path = onnx_models.linear(tmp_path / "m.onnx")
    sc = scenario.load(scenario.DEFAULT_PATH)
    first, _ = simulate(sc, str(path))
    second, _ = simulate(sc, str(path))
    assert first == second and first["batches"][0]["source"] == "model"
