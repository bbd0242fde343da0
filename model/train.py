"""Train the toast-time regressor, compare it with trees, export it to ONNX with a manifest.

The shipped model is a tanh MLP 10-16-12-1 (393 parameters; signature v2, firmware/
features.py: asked at the press and again while heating) fitted by L-BFGS on log(time):
heater time spans 50-400 s and its errors matter relatively. The input standardisation
and the output scaling are folded into the first and last Gemm, so the ONNX graph is only
Gemm, Tanh, Exp and Clip, which the MicroPython compiler (model/compile.py) supports.
The Clip keeps answers within 5 s and the time cap: outside that the guard falls back anyway.

A gradient-boosted tree ensemble of about the same size (25 trees of depth 3: 550 split
and leaf values) is fitted on the same data and scored beside it, so the choice is
measured, not assumed (see MODEL_CARD.md).
"""

import hashlib
import json
import platform
import warnings
from pathlib import Path

import numpy as np

from model import data
from model.compile import write_files
from safety import limits

HIDDEN = (16, 12)
CLIP_S = (5.0, limits.TIME_CAP_MS / 1000.0)
WITHIN = "within the %d s time cap" % (limits.TIME_CAP_MS // 1000)
TREES = {"n_estimators": 25, "max_depth": 3}
MLP_ITERATIONS = 3000
MLP_L2 = 1e-4
MLP_SEED = 0
ONNX_NAME = "toast_time.onnx"
OPSET = 17
SHIPPED_DIR = Path(__file__).resolve().parent


def fit_mlp(x, y):
    """Layers [(W [out, in], b [out], activation)] of the MLP, scalings folded in."""
    from sklearn.neural_network import MLPRegressor

    x_mean, x_std = x.mean(axis=0), x.std(axis=0)
    x_std[x_std == 0.0] = 1.0
    log_y = np.log(y)
    y_mean, y_std = log_y.mean(), log_y.std()
    mlp = MLPRegressor(hidden_layer_sizes=HIDDEN, activation="tanh", solver="lbfgs",
                       max_iter=MLP_ITERATIONS, max_fun=10 * MLP_ITERATIONS, alpha=MLP_L2,
                       tol=1e-9, random_state=MLP_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # L-BFGS stops at max_iter by design: fixed cost
        mlp.fit((x - x_mean) / x_std, (log_y - y_mean) / y_std)
    weights = [w.T.copy() for w in mlp.coefs_]
    biases = [b.copy() for b in mlp.intercepts_]
    # (x - m) / s through W: W/s on x, and b - (W/s) m.
    weights[0] = weights[0] / x_std
    biases[0] = biases[0] - weights[0] @ x_mean
    weights[-1] = weights[-1] * y_std
    biases[-1] = biases[-1] * y_std + y_mean
    acts = ["tanh"] * len(HIDDEN) + ["exp"]
    return list(zip(weights, biases, acts))


def mlp_predict(layers, x):
    """The folded MLP in numpy float64 (the reference for export checks)."""
    h = x
    for w, b, act in layers:
        h = h @ w.T + b
        h = np.tanh(h) if act == "tanh" else np.exp(h)
    return np.clip(h[:, 0], *CLIP_S)


def fit_trees(x, y):
    from sklearn.ensemble import GradientBoostingRegressor
    return GradientBoostingRegressor(random_state=0, **TREES).fit(x, y)


def tree_parameters():
    splits = 2 ** TREES["max_depth"] - 1
    return TREES["n_estimators"] * (2 * splits + splits + 1)


def to_onnx(layers, doc=""):
    """The ONNX graph features float32 [N, 8] -> toast_s float32 [N, 1]."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    prev = "features"
    for i, (w, b, act) in enumerate(layers):
        inits += [numpy_helper.from_array(w.astype(np.float32), "W%d" % i),
                  numpy_helper.from_array(b.astype(np.float32), "B%d" % i)]
        nodes.append(helper.make_node("Gemm", [prev, "W%d" % i, "B%d" % i], ["z%d" % i], transB=1))
        op = "Tanh" if act == "tanh" else "Exp"
        nodes.append(helper.make_node(op, ["z%d" % i], ["h%d" % i]))
        prev = "h%d" % i
    inits += [numpy_helper.from_array(np.array(CLIP_S[0], np.float32), "clip_min"),
              numpy_helper.from_array(np.array(CLIP_S[1], np.float32), "clip_max")]
    nodes.append(helper.make_node("Clip", [prev, "clip_min", "clip_max"], ["toast_s"]))
    graph = helper.make_graph(
        nodes, "toast_time", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", layers[0][0].shape[1]])],
        [helper.make_tensor_value_info("toast_s", TensorProto.FLOAT, ["N", 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="toastguard", producer_version="1")
    model.ir_version = 8
    model.doc_string = doc
    return model


def onnx_predict(model, x):
    """onnxruntime's answers for rows x; model: a file's path or its bytes."""
    import onnxruntime as ort
    session = ort.InferenceSession(model if isinstance(model, bytes) else str(model), providers=["CPUExecutionProvider"])
    return session.run(["toast_s"], {"features": x.astype(np.float32)})[0][:, 0].astype(np.float64)


def categories(x):
    """Masks over feature rows: cold, warm-start, frozen, low-voltage (< 0.95 x rated)."""
    ambient, chamber, bread_c, supply = x[:, 6], x[:, 5], x[:, 2], x[:, 7]
    rated = np.where(supply > 160.0, 230.0, 120.0)
    warm = chamber - ambient > 5.0
    return {"cold": ~warm, "warm-start": warm, "frozen": bread_c < 0.0,
            "low-voltage": supply / rated < 0.95}


def score(pred_s, ds):
    """Time and ΔE errors of predictions on the held-out set (ΔE read off stored curves).

    The category rows only count batches whose target is reachable within the time cap;
    the first row counts every batch, so it includes the ones no time limit lets finish.
    The features are the press's (the first answer; re-advice is scored in the loop by
    benchmarks.quality)
    """
    y, curves, x = ds["y_test"], ds["curves_test"], ds["x_test"]
    pred = np.clip(pred_s, *CLIP_S)
    de = np.array([data.delta_e_at(c, p) for c, p in zip(curves, pred)])
    err = np.abs(de - 6.0 * x[:, 0])
    reach = y <= CLIP_S[1]
    rows = {"all, incl. beyond the cap": np.ones(len(y), bool), WITHIN: reach}
    rows.update({name: m & reach for name, m in categories(x).items()})
    return {name: {"n": int(m.sum()), "mae_s": _mean(np.abs(pred - y)[m & reach]),
                   "de_mean": _mean(err[m]), "de_p95": float(np.percentile(err[m], 95)) if m.any() else None}
            for name, m in rows.items()}


def _mean(values):
    """The mean, or None for no values (a small --samples run can leave a row empty)."""
    return float(values.mean()) if len(values) else None


def fmt(value):
    return "-" if value is None else "%.2f" % value


def train(out_dir=SHIPPED_DIR, samples=data.DEFAULTS["samples"], seed=data.DEFAULTS["seed"],
          jobs=2, progress=None, extra=None):
    """Build the data, fit both regressors, export and verify the MLP. Returns the manifest.

    extra: batch-log records (`toastguard pull-logs` JSON lines, parsed) added to the
    training rows; only batches the user rated "ok" that ran their advised time count.
    """
    out_dir = Path(out_dir)
    ds = data.build(samples, seed, jobs=jobs, progress=progress)
    if extra:
        rows = usable_log_records(extra)
        if rows:
            ds["x_train"] = np.vstack([ds["x_train"], np.array([r[0] for r in rows], dtype=np.float64)])
            ds["y_train"] = np.concatenate([ds["y_train"], np.array([r[1] for r in rows])])
        ds["params"] = dict(ds["params"], extra_records=len(rows), extra_sha256=log_digest(extra))
    layers = fit_mlp(ds["x_train"], ds["y_train"])
    trees = fit_trees(ds["x_train"], ds["y_train"])
    onnx_path = out_dir / ONNX_NAME
    onnx_bytes = to_onnx(layers, "toastguard toast-time MLP; see MODEL_CARD.md").SerializeToString()
    ort_pred = onnx_predict(onnx_bytes, ds["x_test"])
    export_error = float(np.abs(ort_pred - mlp_predict(layers, ds["x_test"])).max())
    manifest = _manifest(onnx_path.name, onnx_bytes, layers, ds, export_error,
                         {"mlp": score(ort_pred, ds), "trees": score(trees.predict(ds["x_test"]), ds),
                          "oracle": score(ds["y_test"], ds)})
    write_files({onnx_path: onnx_bytes,  # all three or none: a failed run leaves the last good set
                 out_dir / (onnx_path.stem + ".manifest.json"): (json.dumps(manifest, indent=2) + "\n").encode(),
                 out_dir / "MODEL_CARD.md": card(manifest).encode("utf-8")})
    return manifest


def usable_log_records(records):
    """(features, heater seconds) of logged batches that make a label: rated ok, ended on
    their advised time (not cancelled, capped or faulted), features known."""
    rows = []
    for r in records:
        stopped = set(r.get("events") or []) & {"cancel", "time_cap", "dose_cap", "fault"}
        features = r.get("features")
        if r.get("feedback") == "ok" and not stopped and features and len(features) == len(data.FEATURES_V2):
            rows.append(([float(v) for v in features], float(r["heater_on_s"])))
    return rows


def log_digest(records):
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def _manifest(name, onnx_bytes, layers, ds, export_error, scores):
    import onnxruntime
    import sklearn
    x = ds["x_train"]
    return {
        "file": name,
        "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "bytes": len(onnx_bytes),
        "input": "features", "output": "toast_s",
        "features": list(data.FEATURES_V2), "signature": "v2",
        "ranges_seen": {f: [round(float(x[:, i].min()), 3), round(float(x[:, i].max()), 3)]
                        for i, f in enumerate(data.FEATURES_V2)},
        "architecture": "Gemm-Tanh %s, Gemm-Exp, Clip %s s" % (list(HIDDEN), list(CLIP_S)),
        "parameters": int(sum(w.size + b.size for w, b, _ in layers)),
        "tree_parameters": tree_parameters(),
        "dataset": ds["params"], "train_rows": int(len(x)), "test_rows": int(len(ds["y_test"])),
        "onnx_vs_float64_max_abs_s": export_error,
        "scores": scores,
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__, "onnxruntime": onnxruntime.__version__},
    }


SCORE_ROWS = ("all, incl. beyond the cap", WITHIN, "cold", "warm-start", "frozen", "low-voltage")


def card(manifest):
    """MODEL_CARD.md for a trained model, from its manifest."""
    s = manifest["scores"]
    d = manifest["dataset"]
    lines = [
        "# Model card: toast_time.onnx", "",
        "Generated by `toastguard train` from the manifest; do not edit by hand.", "",
        "## What it does",
        "Predicts the heater-on time (s) that browns a batch to the dial's shade (target ΔE = 6 x shade)",
        "from the ten features of signature v2: %s. It is asked at the press" % ", ".join(manifest["features"]),
        "and again every 10 s while heating, with what slot 1's thermopile reads then and the heater",
        "time so far. Its answer is advice: the guard (safety/) validates it, caps it, ends the batch",
        "at the surface cut whatever it says, and replaces an unusable first answer by the fallback table.", "",
        "## Data",
        "%d simulated batches (seed %d, %d%% held out), each labelled by root-finding the browning"
        % (d["samples"], d["seed"], round(100 * d["test_fraction"])),
        "curve of the host_sim plant (model/data.py): 7 bread presets with loaf spread, 25 % frozen,",
        "the thermopile modelled with its accuracy and the bread's emissivity drawn within tolerance,",
        "half in a toaster that made 1-2 batches then idled 0-300 s, rooms of 5-40 C, 230 V-class",
        "(200-250 V) and 120 V-class (100-127 V) mains, a 900 W element. %d batches whose target"
        % d["dropped_unreachable"],
        "was out of reach within %d s were dropped. Rebuild with `toastguard train`." % d["label_max_s"], "",
        "## Model",
        "%s: %d parameters, fitted by scikit-learn's MLPRegressor (L-BFGS) on log(time);"
        % (manifest["architecture"], manifest["parameters"]),
        "input standardisation and output scaling folded into the Gemm weights. ONNX vs float64",
        "numpy on the held-out set: max |Δ| %.1e s. SHA-256 `%s`." % (manifest["onnx_vs_float64_max_abs_s"], manifest["sha256"]), "",
        "## Held-out metrics",
        "|ΔE − target| of the answer at the press, from the stored ΔE(t) curves; MAE of the time over",
        "batches reachable within the time cap (the loop's re-advice is measured by benchmarks.quality).",
        "Trees: gradient boosting, %d parameters (a size-matched alternative)." % manifest["tree_parameters"], "",
        "| rows | n | MLP MAE s | MLP ΔE mean | MLP ΔE p95 | trees ΔE mean | oracle ΔE mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in SCORE_ROWS:
        m, t, o = s["mlp"][row], s["trees"][row], s["oracle"][row]
        lines.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            row, m["n"], fmt(m["mae_s"]), fmt(m["de_mean"]), fmt(m["de_p95"]), fmt(t["de_mean"]), fmt(o["de_mean"])))
    lines += [
        "", "The MLP is shipped: the size-matched trees are several times worse (a tree ensemble",
        "approximates the smooth time surface in steps), and the MLP's ops run on the Pico.", "",
        "## Where it is weak",
        "- Dark shades the surface cut forbids (a thin, light or low-sugar slice reaches the guard's",
        "  surface limit before its shade; docs/PLANT.md, benchmarks.reach) come out lighter whatever",
        "  it answers; the time cap (%d s on) ends the longest batches." % (limits.TIME_CAP_MS // 1000),
        "- Rye and wholemeal share their panel values (water 0.40, sugar 0.04); the surface reading",
        "  and its course while heating tell it more than the panel does.",
        "- Trained for a 900 W element; a different element or slot geometry needs retraining.",
        "- Outside the ranges below it extrapolates; the guard, not the model, bounds the result.", "",
        "## Ranges seen in training", "",
        "| feature | min | max |", "|---|---|---|",
    ]
    lines += ["| %s | %g | %g |" % (f, lo, hi) for f, (lo, hi) in manifest["ranges_seen"].items()]
    return "\n".join(lines) + "\n"
