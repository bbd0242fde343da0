"""`toastguard report`: the traceability is read from its sources, outcomes and all."""

import json

import pytest

from host_sim.cli import main
from safety import proofs, report

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok[1]"/><testcase classname="tests.test_a" name="test_ok[2]"/>
<testcase classname="tests.test_a" name="test_half[1]"/>
<testcase classname="tests.test_a" name="test_half[2]"><failure message="boom"/></testcase>
<testcase classname="tests.test_a" name="test_skip"><skipped/></testcase>
</testsuite></testsuites>"""


def test_every_hazard_row_is_read_with_all_its_columns():
    rows = report.hazard_rows()
    assert [r["id"] for r in rows] == ["H%d" % i for i in range(1, len(rows) + 1)]
    assert all(r["failure mode"] and r["layer"] for r in rows)
    assert "test_cutoff_boundary" in report.named_tests(rows)


def test_a_parametrised_test_passes_only_if_every_case_did(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    assert report.test_outcomes(junit) == {"test_ok": "passed", "test_half": "failed", "test_skip": "skipped"}


def test_mutation_results_are_recorded_and_scored_against_the_equivalents(tmp_path):
    meta = tmp_path / "mutants" / "safety" / "guard.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"m1": 1, "m2": 1, "m3": 0, "m4": 0, "m5": None, "m6": 36}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    record = report.record_mutation(tmp_path / "mutants", tmp_path / "MUTATION.json")
    assert record["killed"] == 3 and record["survived"] == ["m3", "m4"] and record["not_checked"] == ["m5"]
    equivalent = report.equivalent_mutants("## Equivalent mutants\n\n- `m3`: the same value either way\n")
    summary = report.mutation_summary(record, equivalent)
    assert summary["open"] == ["m4"] and summary["equivalent"] == 1
    assert summary["score"] == 100.0 * 3 / 4  # 5 checked, 1 equivalent


def test_report_writes_markdown_and_html_and_fails_on_a_failed_test(tmp_path, monkeypatch, capsys):
    # The real proofs run in `make test`'s report and in tests/test_proofs.py; here they are
    # replaced to keep this test short.
    monkeypatch.setattr(proofs, "prove_all", lambda jobs: [("I2", "induction", "proven", 1.0)])
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT.replace("test_half", "test_cutoff_boundary"))
    assert main(["report", "--junit", str(junit), "--out", str(tmp_path / "out")]) == 1
    md = (tmp_path / "out" / "safety-report.md").read_text()
    assert "test_cutoff_boundary: **FAIL**" in md and "| H10 |" in md and "I2: proven" in md
    html = (tmp_path / "out" / "safety-report.html").read_text()
    assert "<table>" in html and "H15" in html
    assert "proofs: 1 of 1 proven" in capsys.readouterr().out


def test_an_unreadable_junit_file_is_one_line(tmp_path, capsys):
    assert main(["report", "--junit", str(tmp_path / "missing.xml"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.xml" in err


def test_an_unexplained_survivor_makes_the_report_unhealthy():
    rows = report.hazard_rows()
    outcomes = {t: "passed" for t in report.named_tests(rows)}
    proven = [("I1", "induction", "proven", 1.0)]
    record = {"date": "2026-01-01", "mutants": 3, "killed": 2, "survived": ["m9"], "not_checked": []}
    assert not report.healthy(rows, outcomes, proven, report.mutation_summary(record, {}))
    assert report.healthy(rows, outcomes, proven, report.mutation_summary(record, {"m9": "same value"}))
    assert report.healthy(rows, outcomes, proven, None)


def test_the_report_takes_the_proofs_prove_wrote(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(proofs, "prove_all", lambda jobs: pytest.fail("the proofs ran again"))
    rows = tmp_path / "proofs.json"
    rows.write_text('[{"property": "I2", "method": "induction", "result": "proven", "seconds": 1.0}]')
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    main(["report", "--junit", str(junit), "--proofs", str(rows), "--out", str(tmp_path / "out")])
    assert "proofs: 1 of 1 proven" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["", "[]", "{}", '[{"property": "I2"}]',
                                  '[{"property": "I2", "method": "m", "result": "maybe", "seconds": 1}]'])
def test_proof_rows_that_are_not_prove_s_are_one_line(tmp_path, capsys, text):
    rows = tmp_path / "proofs.json"
    rows.write_text(text)
    assert main(["report", "--proofs", str(rows), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--proofs" in err
