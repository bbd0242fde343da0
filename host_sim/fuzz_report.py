"""What `toastguard fuzz --report DIR` writes: fuzz-report.md, fuzz.json, two plots and
the worst model failures as replayable scenario files."""

import io
import json
import statistics
from pathlib import Path

from host_sim import outputs
from host_sim.fuzz import UNDER_TOASTED_BY


def summary(stats, failures, seconds, examples, jobs, seed, model_spec, interrupted=False):
    """The campaign's figures; `interrupted`: Ctrl-C stopped it after `stats.cases` of
    `examples` cases, and every figure covers only those."""
    errors = stats.errors
    return {
        "model": model_spec or "every adversary and the shipped model",
        "examples": examples, "cases": stats.cases, "cycles": stats.cycles, "jobs": jobs, "seed": seed,
        "interrupted": interrupted,
        "seconds": round(seconds, 1),
        "cases_per_s": round(stats.cases / seconds, 1) if seconds else None,
        "cycles_per_s": round(stats.cycles / seconds, 1) if seconds else None,
        "simulated_hours": round(stats.sim_ms / 3.6e6, 1),
        "safety": {"violations": len(failures), "counterexamples": [{"reasons": r} for _, r in failures]},
        "guard_reaction": {"worst_extra_ticks": stats.extra_ticks, "cutoff_trips": stats.cutoff_trips,
                           "worst_overshoot_c": None if stats.overshoot_c is None else round(stats.overshoot_c, 2)},
        "layers": dict(sorted(stats.layers.items(), key=lambda kv: -kv[1])),
        "model_quality": {
            "batches": len(errors),
            "mean_abs_delta_e_error": round(statistics.fmean(abs(e) for e in errors), 2) if errors else None,
            "burnt": stats.burnt, "under_toasted": stats.under,
            "by_model": {name: {"batches": n, "mean_abs_delta_e_error": round(total / n, 2), "burnt": burnt,
                                "under_toasted": under, "own_time_batches": own_n,
                                "own_time_mean_abs_delta_e_error": round(own_total / own_n, 2) if own_n else None}
                         for name, (n, total, burnt, under, own_n, own_total) in sorted(stats.by_model.items())},
            "worst": [{"delta_e_error": e} for _, e, _ in stats.worst],
        },
    }


def write(out_dir, data, stats):
    """Write the report into out_dir (made if missing), every file atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    outputs.write_text(out / "fuzz.json", json.dumps(data, indent=2) + "\n")
    worst_files = []
    for i, (_, error, toml) in enumerate(stats.worst, 1):
        path = out / ("worst-model-%d.toml" % i)
        outputs.write_text(path, "# the model's %d. worst batch in this campaign: dE off by %+.1f\n%s" % (i, error, toml))
        worst_files.append(path.name)
    _plots(out, stats)
    outputs.write_text(out / "fuzz-report.md", markdown(data, worst_files))
    return out / "fuzz-report.md"


def markdown(d, worst_files):
    q, r = d["model_quality"], d["guard_reaction"]
    safety = "no violation" if not d["safety"]["violations"] else "**%d violation(s)**: %s" % (
        d["safety"]["violations"], "; ".join(", ".join(c["reasons"]) for c in d["safety"]["counterexamples"]))
    lines = ["# toastguard fuzz campaign", ""]
    if d["interrupted"]:
        lines += ["**Interrupted** (Ctrl-C) after %d of %d cases: everything below covers only those,"
                  " and a counterexample found may not be fully shrunk." % (d["cases"], d["examples"]), ""]
    lines += ["Model: %s. %d cases (%d toast cycles, %.1f simulated hours) in %.1f s on %d process(es), seed %d:"
              " %.1f cases/s, %.1f cycles/s." % (d["model"], d["cases"], d["cycles"], d["simulated_hours"],
                                                 d["seconds"], d["jobs"], d["seed"], d["cases_per_s"] or 0,
                                                 d["cycles_per_s"] or 0), "",
              "## Safety (the guard's job)", "", "Result: %s." % safety, "",
              "| guard reaction | worst over the campaign |", "|---|---|",
              "| extra ticks with the heater on after a reading out of range or at the cut-off | %d |" % r["worst_extra_ticks"],
              "| cut-off trips | %d |" % r["cutoff_trips"],
              "| chamber overshoot above the cut-off after a trip | %s |" % (
                  "—" if r["worst_overshoot_c"] is None else "%.2f C" % r["worst_overshoot_c"]),
              "", "Which layer acted how often (events over all cases):", "",
              "| layer | events |", "|---|---|"]
    lines += ["| %s | %d |" % kv for kv in d["layers"].items()]
    lines += ["", "![guard layers](guard_layers.png)", "",
              "## The model (the student's job)", "",
              "%d batches; mean |dE error| %s; burnt (dE >= 46 when less was asked): %d; under-toasted"
              " (a shade or more lighter than asked, %.0f dE): %d. Some of this is the guard's caps,"
              " not the model: batches out of reach end light for every model (README, benchmarks.quality)."
              % (q["batches"], q["mean_abs_delta_e_error"], q["burnt"], UNDER_TOASTED_BY, q["under_toasted"]),
              "", "The last two columns count only batches that ran the model's own time: no fault in the"
              " case and no guard event in the batch. That is the model's error, free of the guard's caps.",
              "", "| model | batches | mean abs dE error | burnt | under-toasted | own-time batches |"
              " own-time mean abs dE error |", "|---|---|---|---|---|---|---|"]
    lines += ["| %s | %d | %.2f | %d | %d | %d | %s |" % (
        name, m["batches"], m["mean_abs_delta_e_error"], m["burnt"], m["under_toasted"], m["own_time_batches"],
        "—" if m["own_time_mean_abs_delta_e_error"] is None else "%.2f" % m["own_time_mean_abs_delta_e_error"])
        for name, m in q["by_model"].items()]
    lines += ["", "![dE error](delta_e_error.png)", "",
              "Worst batches, replayable with `toastguard sim FILE`:", ""]
    lines += ["- `%s` (dE %+.1f)" % (f, w["delta_e_error"]) for f, w in zip(worst_files, q["worst"])]
    return "\n".join(lines) + "\n"


def _plots(out, stats):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist(stats.errors or [0.0], bins=40)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("dE achieved - dE asked (6 per shade)")
    ax.set_ylabel("batches")
    ax.set_title("browning error over the campaign")
    _save(fig, out / "delta_e_error.png")
    fig, ax = plt.subplots(figsize=(8, 4))
    names = sorted(stats.layers, key=lambda k: -stats.layers[k])
    ax.barh(names or ["(none)"], [stats.layers[n] for n in names] or [0])
    ax.invert_yaxis()
    ax.set_xlabel("events")
    ax.set_title("which guard layer acted")
    _save(fig, out / "guard_layers.png")


def _save(fig, path):
    import matplotlib.pyplot as plt
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, dpi=100, format="png")
    plt.close(fig)
    outputs.write_bytes(path, png.getvalue())
