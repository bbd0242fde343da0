"""`toastguard report`: the safety case's traceability, generated from its sources.

hazard (HAZARDS.md) -> invariant (invariants.py) -> tests (their outcome in a JUnit XML
file, or a pytest run of just the tests the hazard log names) -> proof (a fresh
`prove_all` run) -> mutation score (mutmut's results, recorded in MUTATION.json by
`make mutation`, with the equivalent mutants argued in MUTANTS.md). Written as
Markdown and HTML. Host only: never on a board.
"""

import datetime
import json
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SAFETY = Path(__file__).resolve().parent
ROOT = SAFETY.parent
HAZARDS = SAFETY / "HAZARDS.md"
MUTANTS_MD = SAFETY / "MUTANTS.md"
MUTATION_JSON = SAFETY / "MUTATION.json"
# mutmut 3's exit codes per mutant (mutmut/__main__.py, status_by_exit_code)
KILLED_CODES = (1, 3, -24, 36, 152, 255)  # tests failed, or hung until the timeout
SURVIVED_CODES = (0, 5, 33)  # tests passed, or no test covered the mutant
HAZARD_COLUMNS = ("id", "failure mode", "effect", "layer", "invariant", "tests", "proof")


class ReportError(Exception):
    """A source the report needs is missing or unreadable; the message names it."""


def hazard_rows(text=None):
    """The hazard log's rows as dicts keyed by HAZARD_COLUMNS."""
    text = HAZARDS.read_text() if text is None else text
    rows = []
    for line in text.splitlines():
        if re.match(r"^\| H\d+ ", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != len(HAZARD_COLUMNS):
                raise ReportError("%s: row %s has %d columns, not %d" % (HAZARDS, cells[0], len(cells), len(HAZARD_COLUMNS)))
            rows.append(dict(zip(HAZARD_COLUMNS, cells)))
    return rows


def named_tests(rows):
    return sorted({t for r in rows for t in re.findall(r"test_\w+", r["tests"])})


def test_outcomes(junit_path):
    """{test function name: "passed" | "failed" | "skipped"}; a parametrised test passes
    only if every case did."""
    try:
        tree = ET.parse(junit_path)
    except (OSError, ET.ParseError) as e:
        raise ReportError("%s: not a readable JUnit XML file (%s)" % (junit_path, e)) from None
    outcomes = {}
    for case in tree.iter("testcase"):
        name = case.get("name", "").split("[", 1)[0]
        tags = {child.tag for child in case}
        status = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        previous = outcomes.get(name)
        if previous is None or status == "failed" or (status == "skipped" and previous == "passed"):
            outcomes[name] = status
    return outcomes


def run_named_tests(names):
    """Run only the tests the hazard log names; their outcomes."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
               "-k", " or ".join(names), "--junitxml", str(junit)]
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
        return test_outcomes(junit)


def equivalent_mutants(text=None):
    """Mutant names MUTANTS.md argues equivalent: `- \\`name\\`: reason` lines."""
    text = MUTANTS_MD.read_text() if text is None else text
    section = text.split("## Equivalent mutants", 1)
    if len(section) < 2:
        return {}
    found = re.findall(r"^- `([^`]+)`: (.+)$", section[1].split("\n## ", 1)[0], re.M)
    return dict(found)


def record_mutation(mutants_dir, out=MUTATION_JSON):
    """Summarise mutmut's per-mutant results (mutants/**/*.meta) into MUTATION.json."""
    metas = sorted(Path(mutants_dir).rglob("*.py.meta"))
    if not metas:
        raise ReportError("%s: no mutmut results (*.py.meta); run `make mutation` first" % mutants_dir)
    codes = {}
    for meta in metas:
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    killed = sorted(k for k, c in codes.items() if c in KILLED_CODES)
    survived = sorted(k for k, c in codes.items() if c in SURVIVED_CODES)
    other = sorted(k for k in codes if k not in killed and k not in survived)
    record = {"date": datetime.date.today().isoformat(), "mutants": len(codes),
              "killed": len(killed), "survived": survived, "not_checked": other}
    Path(out).write_text(json.dumps(record, indent=1) + "\n")
    return record


def mutation_summary(record, equivalent):
    """Counts, the score, and the survivors nobody has explained."""
    if record is None:
        return None
    survived = record["survived"]
    open_ = [m for m in survived if m not in equivalent]
    scored = record["mutants"] - len(record["not_checked"]) - (len(survived) - len(open_))
    score = 100.0 * record["killed"] / scored if scored else 0.0
    return {"mutants": record["mutants"], "killed": record["killed"], "equivalent": len(survived) - len(open_),
            "open": open_, "not_checked": len(record["not_checked"]), "score": score, "date": record["date"]}


def load_mutation():
    if not MUTATION_JSON.exists():
        return None
    return json.loads(MUTATION_JSON.read_text())


def status_of(results):
    marks = {"passed": "pass", "failed": "**FAIL**", "skipped": "skipped", None: "**missing**"}
    return marks[results]


def render(rows, outcomes, proofs, mutation, invariants, source):
    """The report as Markdown."""
    proof_by_name = {name: (method, result, seconds) for name, method, result, seconds in proofs}
    out = ["# toastguard safety report", "",
           "Generated %s from %s. Every cell comes from the hazard log, the invariants, a test run,"
           " a proof run or mutmut's results; nothing here is typed by hand." % (
               datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), source), ""]
    out += summary_lines(rows, outcomes, proofs, mutation)
    out += ["## Hazards", "", "| hazard | failure mode | layer | invariant | tests | proof |", "|---|---|---|---|---|---|"]
    for r in rows:
        tests = "<br>".join("%s: %s" % (t, status_of(outcomes.get(t))) for t in re.findall(r"test_\w+", r["tests"])) or "—"
        proof_cells = []
        for name in re.findall(r"\b(I\d|advise|STATE|init)\b", r["proof"]):
            result = proof_by_name.get(name, (None, "not run", 0.0))[1]
            proof_cells.append("%s: %s" % (name, result))
        proof = "<br>".join(proof_cells) or r["proof"]
        out.append("| %s | %s | %s | %s | %s | %s |" % (r["id"], r["failure mode"], r["layer"], r["invariant"], tests, proof))
    out += ["", "## Invariants", "", "| invariant | statement | proof | method | seconds | hazards |", "|---|---|---|---|---|---|"]
    for name, statement in invariants:
        method, result, seconds = proof_by_name.get(name, ("—", "not run", 0.0))
        hazards = ", ".join(r["id"] for r in rows if name in re.findall(r"I\d", r["invariant"]))
        out.append("| %s | %s | %s | %s | %.1f | %s |" % (name, statement, result, method, seconds, hazards))
    for name in ("init", "STATE", "advise"):
        if name in proof_by_name:
            method, result, seconds = proof_by_name[name]
            out.append("| %s | (see INVARIANTS.md) | %s | %s | %.1f | — |" % (name, result, method, seconds))
    out += ["", "## Mutation testing", ""] + mutation_lines(mutation)
    return "\n".join(out) + "\n"


def summary_lines(rows, outcomes, proofs, mutation):
    tests = named_tests(rows)
    passed = sum(1 for t in tests if outcomes.get(t) == "passed")
    proven = sum(1 for p in proofs if p[2] == "proven")
    lines = ["## Summary", "", "| item | result |", "|---|---|",
             "| hazards | %d |" % len(rows),
             "| tests the hazard log names | %d of %d pass |" % (passed, len(tests)),
             "| proofs | %d of %d proven |" % (proven, len(proofs))]
    if mutation is None:
        lines.append("| mutation score | not recorded (`make mutation`) |")
    else:
        lines.append("| mutation score | %.1f %% (%d killed, %d equivalent, %d open, %d not checked; %s) |" % (
            mutation["score"], mutation["killed"], mutation["equivalent"], len(mutation["open"]),
            mutation["not_checked"], mutation["date"]))
    return lines + [""]


def mutation_lines(mutation):
    if mutation is None:
        return ["No mutation results recorded: `make mutation` runs mutmut on safety/ and records them."]
    lines = ["%d mutants of safety/ (mutmut, %s): %d killed, %d equivalent (argued in MUTANTS.md), "
             "%d survivors not explained, %d not checked. Score: killed / (checked - equivalent) = %.1f %%." % (
                 mutation["mutants"], mutation["date"], mutation["killed"], mutation["equivalent"],
                 len(mutation["open"]), mutation["not_checked"], mutation["score"])]
    if mutation["open"]:
        lines += ["", "Survivors not yet explained:", ""] + ["- `%s`" % m for m in mutation["open"]]
    return lines


def to_html(markdown):
    from markdown_it import MarkdownIt
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top}"
             "th{background:#eee}")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>toastguard safety report"
            "</title><style>%s</style></head><body>\n%s</body></html>\n" % (style, body))


def healthy(rows, outcomes, proofs, mutation):
    """Every named test passed, every proof holds, and no mutant survived unexplained."""
    tests_pass = all(outcomes.get(t) == "passed" for t in named_tests(rows))
    mutants_explained = mutation is None or not mutation["open"]
    return tests_pass and all(p[2] == "proven" for p in proofs) and mutants_explained
