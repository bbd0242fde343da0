"""`toastguard` command line (verbs and exit codes in docs/INTERFACES.md)."""

import argparse
import csv
import io
import json
import os
import sys
import time
from pathlib import Path

from host_sim import models, outputs, runner, scenario

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_HAZARD = 3
EXIT_UNPROVEN = 1  # prove: the solver ran out of its resource limit on a property; report: a named
# test failed, a proof did not hold or a mutant survived unexplained (still written)
MIN_SAMPLES, MAX_SAMPLES = 50, 10 ** 6  # train --samples: enough to fit; ~1 day on 2 cores
MAX_EXAMPLES = 10 ** 7  # fuzz --examples: ~2 days on 16 cores; more is a typo
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as a shell reports it); what was done is kept
MAX_JOBS = max(2, os.cpu_count() or 1)  # one interpreter per job: more than the cores only queue


class BadInput(Exception):
    """One line for stderr: what was wrong and why."""


class _Parser(argparse.ArgumentParser):
    """argparse with one line for a bad command line, like every other bad input."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, "toastguard: %s (see %s --help)\n" % (message, self.prog))


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (BadInput, outputs.OutputError) as e:
        print("toastguard: %s" % e, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("toastguard: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _jobs(text):
    """--jobs: 1 to MAX_JOBS worker processes."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
    if not 1 <= n <= MAX_JOBS:
        raise argparse.ArgumentTypeError("%d is outside 1..%d (this machine's cores)" % (n, MAX_JOBS))
    return n


def _parser():
    p = _Parser(prog="toastguard", description=__doc__)
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
    fuzz.add_argument("--jobs", type=_jobs, default=None, help="worker processes (default: 2, or 1 on one core)")
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
    train.add_argument("--jobs", type=_jobs, default=2, help="worker processes for the data")
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
    prove.add_argument("--jobs", type=_jobs, default=2, help="worker processes")
    prove.add_argument("--json", dest="json_out", help="also write the rows here (what `report --proofs` reads)")
    prove.set_defaults(func=cmd_prove)
    report = verbs.add_parser("report", help="safety traceability: hazard -> invariant -> tests -> proofs -> mutants")
    report.add_argument("--out", default="build/report", help="directory for safety-report.md and .html "
                        "(default: build/report)")
    report.add_argument("--junit", help="take the tests' outcomes from this JUnit XML file (pytest "
                        "--junitxml) instead of running the tests the hazard log names")
    report.add_argument("--record-mutation", metavar="DIR", help="first record mutmut's results from DIR "
                        "(its mutants/ directory) into safety/MUTATION.json")
    report.add_argument("--jobs", type=_jobs, default=2, help="worker processes for the proofs")
    report.add_argument("--proofs", help="take the proofs' rows from this file (`prove --json`) instead of "
                        "running them again")
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
    json_out = _output(args.json_out, "--json")
    trace = _output(args.trace, "--trace")
    plot = _output(args.plot, "--plot", (".png",))
    if args.board == "vm" and args.model:
        raise BadInput("--model: the vm board runs the scenario's [model] compiled for the board, "
                       "or its own (firmware/toast_model.py)")
    try:
        if args.board == "vm":
            from hil import virtual_board
            result, sim = virtual_board.simulate(sc, base_dir=path.parent)
        else:
            result, sim = runner.simulate(sc, args.model, base_dir=path.parent)
    except models.ModelRefused as e:
        raise BadInput("model refused: %s" % e) from None
    _print_summary(result)
    if json_out:
        outputs.write_text(json_out, json.dumps(result, indent=2) + "\n")
    if trace:
        outputs.write_text(trace, _trace_csv(sim.trace))
    if plot:
        from host_sim.plots import plot_trace
        plot_trace(sim.trace, result, plot)
    return EXIT_HAZARD if result["hazard"] else EXIT_OK


def _output(text, option, suffixes=None):
    """An output file option, checked before the work (None when not given)."""
    return None if text is None else outputs.check_file(text, option, suffixes)


def cmd_fuzz(args):
    import random

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from host_sim import fuzz, fuzz_report
    jobs = fuzz.default_jobs() if args.jobs is None else args.jobs
    if not 1 <= args.examples <= MAX_EXAMPLES:
        raise BadInput("--examples must be 1..%d" % MAX_EXAMPLES)
    report_dir = None if args.report is None else outputs.check_dir(args.report, "--report")
    out = outputs.check_file(args.out or (str(report_dir / "counterexample.toml") if report_dir
                                          else "fuzz-counterexample.toml"), "--out", (".toml",))
    if args.model is not None:
        try:
            models.load(args.model, sleep_ms=lambda ms: None)
        except models.ModelRefused as e:
            raise BadInput("model refused: %s" % e) from None
    seed = random.SystemRandom().randrange(2 ** 31) if args.seed is None else args.seed
    console = Console(stderr=True)
    console.print("toastguard fuzz: %d cases, %d job(s), seed %d, model %s" % (
        args.examples, jobs, seed, args.model or "every adversary + the shipped model"), markup=False, highlight=False)
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

        try:
            stats, failures, seconds = fuzz.campaign(args.examples, args.model, jobs, seed, on_progress)
            interrupted = False
        except fuzz.Interrupted as stop:  # Ctrl-C: keep what was done
            stats, failures, seconds, interrupted = stop.stats, stop.failures, stop.seconds, True
    data = fuzz_report.summary(stats, failures, seconds, args.examples, jobs, seed, args.model,
                               interrupted=interrupted)
    if report_dir:
        console.print("report: %s" % fuzz_report.write(report_dir, data, stats), markup=False, highlight=False)
    print("%d cases, %d toast cycles in %.1f s (%.0f cycles/s); guard: worst %d extra ticks; model: mean |dE error|"
          " %s, %d burnt, %d under-toasted" % (
              stats.cases, stats.cycles, seconds, stats.cycles / max(seconds, 1e-9), stats.extra_ticks,
              data["model_quality"]["mean_abs_delta_e_error"], stats.burnt, stats.under))
    if failures:
        toml, reasons = failures[0]
        outputs.write_text(out, toml)
        for i, (more, _) in enumerate(failures[1:], 2):
            outputs.write_text(out.with_name("%s-%d.toml" % (out.stem, i)), more)
        print("SAFETY VIOLATION: %s\nshrunk case: %s (replay: toastguard sim %s)" % ("; ".join(reasons), out, out))
    if interrupted:
        print("toastguard: interrupted after %d of %d cases" % (stats.cases, args.examples), file=sys.stderr)
        return EXIT_INTERRUPTED
    if failures:
        return EXIT_HAZARD
    print("no safety violation")
    return EXIT_OK


def cmd_train(args):
    from model import compile as compiler
    from model import data, train
    from model import extra as extra_logs

    out = outputs.check_dir(args.out, "--out") if args.out else train.SHIPPED_DIR
    firmware = out if args.out else Path(compiler.__file__).resolve().parent.parent / "firmware"
    samples = args.samples if args.samples is not None else data.DEFAULTS["samples"]
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise BadInput("--samples must be %d..%d" % (MIN_SAMPLES, MAX_SAMPLES))
    seed = args.seed if args.seed is not None else data.DEFAULTS["seed"]
    try:
        extra = extra_logs.read_extra(args.extra) if args.extra else None
    except extra_logs.ExtraLogError as e:
        raise BadInput(str(e)) from None
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

    out = outputs.check_dir(args.out, "--out")
    try:
        module = compiler.export(args.model, out)
    except models.ModelRefused as e:
        raise BadInput("model refused: %s" % e) from None
    except OSError as e:  # writing: the old module and manifest are left as they were
        raise BadInput("--out %s: %s" % (out, e.strerror or e)) from None
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


def cmd_prove(args):
    from rich.console import Console
    from rich.table import Table

    from safety import proofs
    json_out = _output(args.json_out, "--json")
    rows = proofs.prove_all(args.jobs)
    if json_out:
        outputs.write_text(json_out, json.dumps([dict(zip(PROOF_KEYS, row)) for row in rows], indent=1) + "\n")
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


PROOF_KEYS = ("property", "method", "result", "seconds")
PROOF_RESULTS = ("proven", "unproven", "counterexample")


def _read_proofs(path):
    """The rows `prove --json` wrote, or BadInput naming what is wrong with them."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = [tuple(row[k] for k in PROOF_KEYS) for row in rows]
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise BadInput("--proofs %s: not the rows of `toastguard prove --json` (%s)" % (path, type(e).__name__)) from None
    bad = [row for row in rows if row[2] not in PROOF_RESULTS]
    if not rows or bad:
        raise BadInput("--proofs %s: no rows, or a result that is none of %s" % (path, ", ".join(PROOF_RESULTS)))
    return rows


def cmd_report(args):
    from rich.console import Console

    from safety import proofs, report
    from safety.invariants import INVARIANTS
    out = outputs.check_dir(args.out, "--out")
    proof_rows = _read_proofs(args.proofs) if args.proofs else None  # before any of the work
    console = Console(stderr=True)
    try:
        if args.record_mutation:
            report.record_mutation(args.record_mutation)
        rows = report.hazard_rows()
        with console.status("running the %d tests the hazard log names" % len(report.named_tests(rows))):
            outcomes = (report.test_outcomes(args.junit) if args.junit
                        else report.run_named_tests(report.named_tests(rows)))
        if proof_rows is None:
            with console.status("running the proofs"):
                proof_rows = proofs.prove_all(args.jobs)
        mutation = report.mutation_summary(report.load_mutation(), report.equivalent_mutants())
    except report.ReportError as e:
        raise BadInput(str(e)) from None
    source = "test results in %s" % args.junit if args.junit else "a run of the named tests"
    markdown = report.render(rows, outcomes, proof_rows, mutation, INVARIANTS, source)
    outputs.write_text(out / "safety-report.md", markdown)
    outputs.write_text(out / "safety-report.html", report.to_html(markdown))
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
    json_out = _output(args.json_out, "--json")
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
    finally:  # the scenarios that finished are kept, whatever stopped the rest
        if link is not None:
            link.close()
        if json_out and results:
            outputs.write_text(json_out, json.dumps(results, indent=2) + "\n")
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
    out = _output(args.out, "--out")  # checked before the board is asked
    try:
        link = host.HostLink(args.port)
        try:
            records, error = logs.pull(link, args.since), None
        finally:
            link.close()
    except logs.PartialLog as e:  # a LinkError too: what arrived before it is kept
        records, error = e.records, e
    except host.LinkError as e:
        raise BadInput(str(e)) from None
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    if out is None:
        sys.stdout.write(text)
    elif records or error is None:  # a failed pull never replaces a log file with nothing
        outputs.write_text(out, text)
    if error is not None:
        kept = "; the %d records that arrived are in %s" % (len(records), out or "stdout") if records else ""
        raise BadInput(str(error) + kept)
    if out is not None:
        print("%d batch records -> %s" % (len(records), out), file=sys.stderr)
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


def _trace_csv(trace):
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(runner.TRACE_COLUMNS)
    w.writerows(trace)
    return text.getvalue()


def _print_summary(result):
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text("toastguard sim: %s" % result["scenario"]))  # the user's name: never markup
    for col in ("batch", "shade", "achieved", "dE", "predicted s", "heater s", "source", "burnt", "guard"):
        table.add_column(col, justify="right" if col not in ("source", "guard") else "left")
    for i, b in enumerate(result["batches"], 1):
        pred = "-" if b["predicted_s"] is None else "%.1f" % b["predicted_s"]
        table.add_row(str(i), str(b["shade_target"]), "%.2f" % b["shade_achieved"], "%.1f" % b["delta_e"],
                      pred, "%.1f" % b["heater_on_s"], b["source"], "yes" if b["burnt"] else "no",
                      ", ".join(b["guard_events"]) or "-")
    console = Console(width=max(100, Console().width))
    console.print(table)
    verdict = (Text.assemble(("HAZARD", "bold red"), ": " + "; ".join(result["hazard_reasons"]))
               if result["hazard"] else Text("no hazard", style="green"))
    hardware = [text for opened, text in ((result["cutout_opened"], "BIMETAL CUT-OUT OPENED"),
                                          (result["fuse_blown"], "FUSE BLOWN")) if opened]
    console.print(verdict + Text(" | max chamber %.1f C, surface %.1f C, fuse %.1f C%s" % (
        result["max_chamber_c"], result["max_surface_c"], result["max_fuse_c"],
        "".join(" | " + text for text in hardware))))


if __name__ == "__main__":
    sys.exit(main())
