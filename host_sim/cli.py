"""`toastguard` command line (verbs and exit codes in docs/INTERFACES.md)."""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from host_sim import models, runner, scenario

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_HAZARD = 3
EXIT_UNPROVEN = 1  # prove: a solver time-out left a property unproven; report: a named
# test failed, a proof did not hold or a mutant survived unexplained (still written)


class BadInput(Exception):
    """One line for stderr: what was wrong and why."""


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BadInput as e:
        print("toastguard: %s" % e, file=sys.stderr)
        return EXIT_BAD_INPUT


def _parser():
    p = argparse.ArgumentParser(prog="toastguard", description=__doc__)
    verbs = p.add_subparsers(dest="verb", required=True)
    sim = verbs.add_parser("sim", help="run the firmware control loop against the physics plant")
    sim.add_argument("scenario", nargs="?", help="scenario TOML (default: the built-in one)")
    sim.add_argument("--model", help="an .onnx file or adversarial:NAME")
    sim.add_argument("--json", dest="json_out", help="write the result JSON here")
    sim.add_argument("--trace", help="write the per-tick trace CSV here")
    sim.add_argument("--plot", help="write a PNG plot of the run here")
    sim.add_argument("--board", choices=("host", "vm"), default="host",
                     help="host: the firmware loop in this process (default); vm: the Pico "
                     "image (.mpy, its compiled model) on the MicroPython VM in lock-step")
    sim.set_defaults(func=cmd_sim)
    fuzz = verbs.add_parser("fuzz", help="adversarial campaign: Hypothesis over scenarios, models and faults")
    fuzz.add_argument("--examples", type=int, default=1000, help="cases to run (default: 1000)")
    fuzz.add_argument("--model", help="an .onnx file or adversarial:NAME (default: every adversary "
                      "and the shipped model)")
    fuzz.add_argument("--jobs", type=int, default=None, help="worker processes (default: 2, or 1 on one core)")
    fuzz.add_argument("--seed", type=int, default=None, help="campaign seed (default: random, printed)")
    fuzz.add_argument("--report", help="write fuzz-report.md, fuzz.json, plots and the worst cases here")
    fuzz.add_argument("--out", default=None, help="where the shrunk counterexample goes "
                      "(default: DIR/counterexample.toml with --report, else ./fuzz-counterexample.toml)")
    fuzz.set_defaults(func=cmd_fuzz)
    train = verbs.add_parser("train", help="make the data, train the model, export ONNX + manifest + card")
    train.add_argument("--out", help="directory for toast_time.onnx, its manifest and MODEL_CARD.md "
                       "(default: model/, and the compiled module goes to firmware/)")
    train.add_argument("--samples", type=int, default=None, help="batches to simulate (default: as shipped)")
    train.add_argument("--seed", type=int, default=None, help="dataset seed (default: as shipped)")
    train.add_argument("--jobs", type=int, default=2, help="worker processes for the data")
    train.add_argument("--extra", help="batch logs from `toastguard pull-logs` (JSON lines): "
                       "batches rated ok are added to the training rows")
    train.set_defaults(func=cmd_train)
    export = verbs.add_parser("export", help="compile an ONNX model into a MicroPython module")
    export.add_argument("model", help="the .onnx file")
    export.add_argument("--out", default=".", help="directory for toast_model.py and its manifest (default: .)")
    export.set_defaults(func=cmd_export)
    flash = verbs.add_parser("flash", help="build the board image and deploy it (mpremote / systemd)")
    flash.add_argument("--port", default="auto", help="the Pico's serial port (default: mpremote's auto)")
    flash.add_argument("--target", choices=("pico", "zero"), default="pico")
    flash.add_argument("--dry-run", action="store_true", help="show what would be copied and run")
    flash.add_argument("--root", default="/", help="zero: install under this directory "
                       "(default /, on the Pi itself; another path stages an SD card)")
    flash.set_defaults(func=cmd_flash)
    prove = verbs.add_parser("prove", help="machine-checked proofs of the invariants I1-I7 (z3)")
    prove.add_argument("--jobs", type=int, default=2, help="worker processes")
    prove.set_defaults(func=cmd_prove)
    report = verbs.add_parser("report", help="safety traceability: hazard -> invariant -> tests -> proofs -> mutants")
    report.add_argument("--out", default="build/report", help="directory for safety-report.md and .html "
                        "(default: build/report)")
    report.add_argument("--junit", help="take the tests' outcomes from this JUnit XML file (pytest "
                        "--junitxml) instead of running the tests the hazard log names")
    report.add_argument("--record-mutation", metavar="DIR", help="first record mutmut's results from DIR "
                        "(its mutants/ directory) into safety/MUTATION.json")
    report.add_argument("--jobs", type=int, default=2, help="worker processes for the proofs")
    report.set_defaults(func=cmd_report)
    hil = verbs.add_parser("hil", help="run scenarios against a board in HIL mode, in lock-step with the plant")
    where = hil.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="the board's serial port (HIL jumper set)")
    where.add_argument("--virtual", action="store_true",
                       help="a virtual board: the firmware on the MicroPython VM behind a pty")
    hil.add_argument("scenarios", nargs="*", help="scenario TOML files (default: the built-in one)")
    hil.add_argument("--json", dest="json_out", help="write the results (a JSON list) here")
    hil.set_defaults(func=cmd_hil)
    monitor = verbs.add_parser("monitor", help="show a board's live telemetry")
    src = monitor.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", help="the board's serial port")
    src.add_argument("--virtual", action="store_true", help="a virtual board on the MicroPython VM")
    monitor.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")
    monitor.set_defaults(func=cmd_monitor)
    pull = verbs.add_parser("pull-logs", help="export the board's batch log as JSON lines")
    pull.add_argument("--port", required=True, help="the board's serial port")
    pull.add_argument("--out", help="JSON lines file (default: stdout)")
    pull.add_argument("--from", dest="since", type=int, default=0, help="first batch number")
    pull.set_defaults(func=cmd_pull_logs)
    return p


def cmd_sim(args):
    path = Path(args.scenario) if args.scenario else scenario.DEFAULT_PATH
    try:
        sc = scenario.load(path)
    except scenario.ScenarioError as e:
        raise BadInput(str(e)) from None
    outputs = [Path(o) for o in (args.json_out, args.trace, args.plot) if o]
    for out in outputs:
        if not out.parent.is_dir():
            raise BadInput("%s: directory %s does not exist" % (out, out.parent))
    if args.board == "vm" and args.model:
        raise BadInput("--model: the vm board runs its own compiled model (firmware/toast_model.py)")
    try:
        if args.board == "vm":
            from hil import virtual_board
            result, sim = virtual_board.simulate(sc)
        else:
            result, sim = runner.simulate(sc, args.model, base_dir=path.parent)
    except models.ModelRefused as e:
        raise BadInput("model refused: %s" % e) from None
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.trace:
        _write_trace(args.trace, sim.trace)
    if args.plot:
        from host_sim.plots import plot_trace
        plot_trace(sim.trace, result, args.plot)
    _print_summary(result)
    return EXIT_HAZARD if result["hazard"] else EXIT_OK


def cmd_fuzz(args):
    import random

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from host_sim import fuzz, fuzz_report
    jobs = fuzz.default_jobs() if args.jobs is None else args.jobs
    if args.examples < 1 or jobs < 1:
        raise BadInput("--examples and --jobs must be at least 1")
    if args.report and Path(args.report).exists() and not Path(args.report).is_dir():
        raise BadInput("--report %s: not a directory" % args.report)
    out = Path(args.out) if args.out else (Path(args.report) / "counterexample.toml" if args.report
                                            else Path("fuzz-counterexample.toml"))
    if not args.report and not out.parent.is_dir():
        raise BadInput("--out %s: directory %s does not exist" % (out, out.parent))
    if args.model is not None:
        try:
            models.load(args.model, sleep_ms=lambda ms: None)
        except models.ModelRefused as e:
            raise BadInput("model refused: %s" % e) from None
    seed = random.SystemRandom().randrange(2 ** 31) if args.seed is None else args.seed
    console = Console(stderr=True)
    console.print("toastguard fuzz: %d cases, %d job(s), seed %d, model %s" % (
        args.examples, jobs, seed, args.model or "every adversary + the shipped model"))
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} cases/s"), TextColumn("violations: {task.fields[violations]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("fuzzing", total=args.examples, rate="-", violations=0)
        started = time.perf_counter()
        found = [0]

        def on_progress(cases, violations):
            found[0] += violations
            done = progress.tasks[0].completed + cases
            rate = "%.0f" % (done / max(time.perf_counter() - started, 1e-9))
            progress.update(task, advance=cases, rate=rate, violations=found[0])

        stats, failures, seconds = fuzz.campaign(args.examples, args.model, jobs, seed, on_progress)
    data = fuzz_report.summary(stats, failures, seconds, args.examples, jobs, seed, args.model)
    if args.report:
        console.print("report: %s" % fuzz_report.write(args.report, data, stats))
    print("%d cases, %d toast cycles in %.1f s (%.0f cycles/s); guard: worst %d extra ticks; model: mean |dE error|"
          " %s, %d burnt, %d under-toasted" % (
              stats.cases, stats.cycles, seconds, stats.cycles / max(seconds, 1e-9), stats.extra_ticks,
              data["model_quality"]["mean_abs_delta_e_error"], stats.burnt, stats.under))
    if not failures:
        print("no safety violation")
        return EXIT_OK
    out.parent.mkdir(parents=True, exist_ok=True)
    toml, reasons = failures[0]
    out.write_text(toml)
    for i, (more, _) in enumerate(failures[1:], 2):
        out.with_name("%s-%d.toml" % (out.stem, i)).write_text(more)
    print("SAFETY VIOLATION: %s\nshrunk case: %s (replay: toastguard sim %s)" % ("; ".join(reasons), out, out))
    return EXIT_HAZARD


def cmd_train(args):
    from model import compile as compiler
    from model import data, train

    out = Path(args.out) if args.out else train.SHIPPED_DIR
    firmware = Path(args.out) if args.out else Path(compiler.__file__).resolve().parent.parent / "firmware"
    if not out.is_dir():
        raise BadInput("%s: directory does not exist" % out)
    samples = args.samples if args.samples is not None else data.DEFAULTS["samples"]
    if samples < 50 or args.jobs < 1:
        raise BadInput("--samples must be at least 50 and --jobs at least 1")
    seed = args.seed if args.seed is not None else data.DEFAULTS["seed"]
    extra = _read_logs(args.extra) if args.extra else None
    with _progress("simulating batches", samples) as advance:
        manifest = train.train(out, samples, seed, args.jobs, progress=advance, extra=extra)
    if extra is not None:
        print("%s: %d of %d logged batches used (rated ok, ran their advised time)"
              % (args.extra, manifest["dataset"]["extra_records"], len(extra)))
    module = compiler.export(out / train.ONNX_NAME, firmware)
    _print_scores(manifest)
    print("wrote %s (sha256 %s), %s, %s" % (out / train.ONNX_NAME, manifest["sha256"][:12],
                                              out / "MODEL_CARD.md", module))
    return EXIT_OK


def cmd_export(args):
    from model import compile as compiler

    out = Path(args.out)
    if not out.is_dir():
        raise BadInput("%s: directory does not exist" % out)
    try:
        module = compiler.export(args.model, out)
    except models.ModelRefused as e:
        raise BadInput("model refused: %s" % e) from None
    print("wrote %s and %s" % (module, module.with_name("toast_model.manifest.json")))
    return EXIT_OK


class _progress:
    """A rich progress bar whose advance(done, total) callback the trainer calls."""

    def __init__(self, label, total):
        from rich.progress import Progress
        self.bar = Progress(transient=False)
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self):
        self.bar.start()
        return lambda done, total: self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        self.bar.stop()


def _read_logs(path):
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if line.strip():
                    records.append(json.loads(line))
    except OSError as e:
        raise BadInput("%s: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise BadInput("%s: line %d is not JSON: %s" % (path, i, e)) from None
    return records


def cmd_prove(args):
    from rich.console import Console
    from rich.table import Table

    from safety import proofs
    if args.jobs < 1:
        raise BadInput("--jobs must be at least 1")
    rows = proofs.prove_all(args.jobs)
    table = Table(title="toastguard prove: safety/INVARIANTS.md by induction over guard steps")
    for col in ("invariant", "method", "result", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    colours = {"proven": "green", "unproven": "yellow", "counterexample": "bold red"}
    for name, method, result, seconds in rows:
        table.add_row(name, method, "[%s]%s[/]" % (colours[result], result), "%.1f" % seconds)
    Console(width=max(110, Console().width)).print(table)
    results = {r[2] for r in rows}
    if "counterexample" in results:
        return EXIT_HAZARD
    return EXIT_OK if results == {"proven"} else EXIT_UNPROVEN


def cmd_report(args):
    from rich.console import Console

    from safety import proofs, report
    from safety.invariants import INVARIANTS
    if args.jobs < 1:
        raise BadInput("--jobs must be at least 1")
    console = Console(stderr=True)
    try:
        if args.record_mutation:
            report.record_mutation(args.record_mutation)
        rows = report.hazard_rows()
        with console.status("running the %d tests the hazard log names" % len(report.named_tests(rows))):
            outcomes = (report.test_outcomes(args.junit) if args.junit
                        else report.run_named_tests(report.named_tests(rows)))
        with console.status("running the proofs"):
            proof_rows = proofs.prove_all(args.jobs)
        mutation = report.mutation_summary(report.load_mutation(), report.equivalent_mutants())
    except report.ReportError as e:
        raise BadInput(str(e)) from None
    source = "test results in %s" % args.junit if args.junit else "a run of the named tests"
    markdown = report.render(rows, outcomes, proof_rows, mutation, INVARIANTS, source)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "safety-report.md").write_text(markdown)
    (out / "safety-report.html").write_text(report.to_html(markdown))
    for line in report.summary_lines(rows, outcomes, proof_rows, mutation)[4:-1]:
        print(line.strip("| ").replace(" | ", ": "))
    print("report: %s, %s" % (out / "safety-report.md", out / "safety-report.html"))
    return EXIT_OK if report.healthy(rows, outcomes, proof_rows, mutation) else EXIT_UNPROVEN


def cmd_hil(args):
    from hil import host
    paths = [Path(p) for p in args.scenarios] or [scenario.DEFAULT_PATH]
    try:
        scenarios = [scenario.load(p) for p in paths]
    except scenario.ScenarioError as e:
        raise BadInput(str(e)) from None
    link = None
    results = []
    try:
        if not args.virtual:
            link = host.HostLink(args.port)
        for sc in scenarios:
            result, _ = host.run_scenario(sc, link=link, virtual=args.virtual)
            results.append(result)
            _print_summary(result)
    except host.LinkError as e:
        raise BadInput(str(e)) from None
    finally:
        if link is not None:
            link.close()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return EXIT_HAZARD if any(r["hazard"] for r in results) else EXIT_OK


def cmd_monitor(args):
    from hil import host, monitor
    try:
        if args.virtual:
            from hil.serial_board import SerialBoard
            with SerialBoard(hil=False) as port:
                return monitor.run(host.HostLink(port), args.seconds)
        return monitor.run(host.HostLink(args.port), args.seconds)
    except host.LinkError as e:
        raise BadInput(str(e)) from None


def cmd_pull_logs(args):
    from hil import host, logs
    try:
        link = host.HostLink(args.port)
        try:
            records = logs.pull(link, args.since)
        finally:
            link.close()
    except host.LinkError as e:
        raise BadInput(str(e)) from None
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print("%d batch records -> %s" % (len(records), args.out), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_flash(args):
    import tempfile

    from hil import flash
    from hil import image as board_image
    try:
        files = board_image.pico_image() if args.target == "pico" else board_image.zero_image()
    except board_image.BuildError as e:
        raise BadInput(str(e)) from None
    _print_image(files, args)
    try:
        if args.target == "pico":
            with tempfile.TemporaryDirectory(prefix="toastguard-flash-") as staging:
                if args.dry_run:
                    _print_commands(flash.pico_plan(files, args.port, Path(staging)))
                    return EXIT_OK
                n = flash.flash_pico(files, args.port, Path(staging))
            print("flashed %d files to %s; SHA-256 read back from the board matches. "
                  "Reset the board to start." % (n, args.port))
            return EXIT_OK
        if args.dry_run:
            print("would write %s/%s and %s/%s" % (args.root.rstrip("/"), flash.ZERO_HOME,
                                                   args.root.rstrip("/"), flash.ZERO_UNIT))
            if args.root == "/":
                _print_commands(flash.zero_plan())
            return EXIT_OK
        written = flash.install_zero(files, args.root)
        if args.root == "/":
            for _, cmd in flash.zero_plan():
                flash.run_step(cmd, "this Pi")
        print("installed %d files under %s" % (len(written), args.root))
        return EXIT_OK
    except (flash.FlashError, OSError) as e:
        raise BadInput("flash: %s" % e) from None


def _print_image(files, args):
    from rich.console import Console
    from rich.table import Table

    table = Table(title="toastguard image for %s" % args.target)
    for col in ("file", "bytes", "sha256"):
        table.add_column(col, justify="right" if col == "bytes" else "left")
    for path, data in sorted(files.items()):
        table.add_row(path, str(len(data)), hashlib_hex(data)[:16])
    table.add_row("total", str(sum(len(d) for d in files.values())), "%d files" % len(files))
    Console(width=max(100, Console().width)).print(table)


def hashlib_hex(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


def _print_commands(steps):
    import shlex
    print("would run:")
    for i, (what, cmd) in enumerate(steps, 1):
        if "exec" in cmd:  # the board code is long: name it, don't print it
            cmd = cmd[:cmd.index("exec") + 1] + ["<%d lines of board code>" % cmd[-1].count("\n")]
        elif cmd.count("cp") > 1:
            cmd = cmd[:cmd.index("cp") + 3] + ["+ ..."]
        print("  %d. %s\n     %s" % (i, what, shlex.join(cmd)))


def _print_scores(manifest):
    from rich.console import Console
    from rich.table import Table

    from model.train import SCORE_ROWS, fmt
    table = Table(title="held-out batches: |ΔE - target|")
    for col in ("rows", "n", "MLP MAE s", "MLP mean", "MLP p95", "trees mean", "oracle mean"):
        table.add_column(col, justify="left" if col == "rows" else "right")
    s = manifest["scores"]
    for row in SCORE_ROWS:
        m = s["mlp"][row]
        table.add_row(row, str(m["n"]), fmt(m["mae_s"]), fmt(m["de_mean"]), fmt(m["de_p95"]),
                      fmt(s["trees"][row]["de_mean"]), fmt(s["oracle"][row]["de_mean"]))
    Console(width=max(100, Console().width)).print(table)


def _write_trace(path, trace):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(runner.TRACE_COLUMNS)
        w.writerows(trace)


def _print_summary(result):
    from rich.console import Console
    from rich.table import Table

    table = Table(title="toastguard sim: %s" % result["scenario"])
    for col in ("batch", "shade", "achieved", "dE", "predicted s", "heater s", "source", "burnt", "guard"):
        table.add_column(col, justify="right" if col not in ("source", "guard") else "left")
    for i, b in enumerate(result["batches"], 1):
        pred = "-" if b["predicted_s"] is None else "%.1f" % b["predicted_s"]
        table.add_row(str(i), str(b["shade_target"]), "%.2f" % b["shade_achieved"], "%.1f" % b["delta_e"],
                      pred, "%.1f" % b["heater_on_s"], b["source"], "yes" if b["burnt"] else "no",
                      ", ".join(b["guard_events"]) or "-")
    console = Console(width=max(100, Console().width))
    console.print(table)
    verdict = "[bold red]HAZARD[/]: " + "; ".join(result["hazard_reasons"]) if result["hazard"] else "[green]no hazard[/]"
    hardware = [text for opened, text in ((result["cutout_opened"], "BIMETAL CUT-OUT OPENED"),
                                          (result["fuse_blown"], "FUSE BLOWN")) if opened]
    console.print("%s | max chamber %.1f C, surface %.1f C, fuse %.1f C%s" % (
        verdict, result["max_chamber_c"], result["max_surface_c"], result["max_fuse_c"],
        "".join(" | " + text for text in hardware)))


if __name__ == "__main__":
    sys.exit(main())
