"""`toastguard prove`: the induction proofs pass on the guard, fail on a broken one, and
the advise transcription agrees with the code."""

import json
import math
import random
import struct

import pytest
import z3

from host_sim.cli import main
from safety import advice, checks, guard, proofs
from safety import limits as L


@pytest.mark.full_proof
@pytest.mark.timeout(600)
def test_prove_shows_every_invariant_proven(capsys, tmp_path):
    assert main(["prove", "--json", str(tmp_path / "proofs.json")]) == 0
    out = capsys.readouterr().out
    rows = json.loads((tmp_path / "proofs.json").read_text())
    assert len(rows) == 15 and {row["result"] for row in rows} == {"proven"}
    for name in ("init", "STATE", "I1", "I2", "I3", "I4", "I5", "I6", "I7", "S-cut", "S-sticky", "S-degrade",
                 "S-quiet", "advise", "readvise"):
        assert any(line.split("│")[1].strip() == name and "proven" in line
                   for line in out.splitlines() if line.count("│") > 2), name
    assert "counterexample" not in out and "unproven" not in out


@pytest.fixture
def quick_solver(monkeypatch):
    """A broken guard needs its counterexamples, found in well under a million steps; the
    properties it leaves true need not be proven again, so a check may give up early."""
    monkeypatch.setattr(proofs, "SOLVER_RLIMIT", 5_000_000)


@pytest.mark.parametrize("broken, fails", [
    ("cutoff", "I2"),  # the thermal cut-off removed
    ("sensor_range", "I5"),  # the plausibility check removed
])
def test_a_broken_guard_gets_a_counterexample(monkeypatch, quick_solver, broken, fails):
    monkeypatch.setattr(checks, broken, lambda *a: checks.OK)
    results, paths, witnesses = _one_case()
    assert results[fails] == "counterexample" and witnesses and paths > 0


def test_a_guard_that_takes_a_step_backwards_at_its_word_breaks_i1_i5_and_i6(monkeypatch, quick_solver):
    monkeypatch.setattr(checks, "plausible_step", lambda dt_ms: dt_ms)
    results, _, _ = proofs.prove_case(())
    assert results["I1"] == results["I5"] == results["I6"] == "counterexample"


def test_heating_past_the_surface_cut_breaks_i7(monkeypatch):
    def in_heating(self, lever_down):
        if not lever_down:
            self._end(guard.EV_CANCEL)
        elif self.on_ms >= self.budget_ms:
            self._end(guard.EV_DONE)
        elif self.dose >= self.batch_cap_ms() * 1000:
            self._end(guard.EV_DOSE_CAP)
        else:
            self.heater = 1

    monkeypatch.setattr(guard.Guard, "_in_heating", in_heating)
    results, _, _ = proofs.prove_case(())
    assert results["I7"] == "counterexample" and results["I6"] == "proven"


def test_a_full_cap_without_trusted_sensing_breaks_i6(monkeypatch, quick_solver):
    monkeypatch.setattr(guard.Guard, "batch_cap_ms", lambda self: L.FULL_DOSE_CAP_MS)
    results, _, _ = proofs.prove_case(())
    assert results["I6"] == "counterexample"


def test_a_surface_layer_that_forgets_a_fault_or_a_cut_is_caught(monkeypatch):
    def forgetful(self, problem):  # a later problem overwrites, and OK clears
        self.surface_fault = problem

    monkeypatch.setattr(guard.Guard, "_degrade", forgetful)
    results, _ = proofs.prove_sense()
    assert results["S-sticky"] == "counterexample"
    monkeypatch.undo()
    from safety import surface
    monkeypatch.setattr(surface, "over_cut", lambda obj_dc, channel: False)  # a guard that never cuts
    results, _ = proofs.prove_sense()
    assert results["S-cut"] == "counterexample"


def test_an_unbounded_readvice_breaks_the_state(monkeypatch):
    def readvise(self, answer_s, elapsed_ms):
        if self.mode == guard.HEATING:
            self.budget_ms = self.budget_ms + 1000

    monkeypatch.setattr(guard.Guard, "readvise", readvise)
    assert proofs.prove_readvise() == "counterexample"


def _one_case():
    results, paths, witness = proofs.prove_case(())
    return results, paths, [witness] if witness else []


def test_heating_without_the_lever_check_breaks_i4(monkeypatch, quick_solver):
    def in_heating(self, lever_down):
        if self.on_ms >= self.budget_ms:
            self._end(guard.EV_DONE)
        elif self.dose >= self.cap_ms * 1000:
            self._end(guard.EV_DOSE_CAP)
        else:
            self.heater = 1

    monkeypatch.setattr(guard.Guard, "_in_heating", in_heating)
    results, _, _ = proofs.prove_case(())
    assert results["I4"] == "counterexample" and results["I1"] == "proven"


SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, 1e308, 4.999999, 5.0, 240.0, 240.00000000000003,
           math.nextafter(5.0, 0), math.nextafter(240.0, 1e9), -5.0, 239.9999]


def answers(n, rng):
    for x in SPECIAL:
        yield x
    for i in range(n - len(SPECIAL)):
        if i % 3 == 0:
            yield struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]  # any double
        elif i % 3 == 1:
            yield rng.uniform(-10.0, 400.0)
        else:
            yield rng.choice((5.0, 240.0)) * (1 + rng.uniform(-1e-12, 1e-12))


@pytest.mark.timeout(300)
def test_advise_transcription_agrees_with_the_code_on_100k_answers():
    rng = random.Random(20261123)
    a, e, i = z3.FP("a", proofs.FLOAT), z3.Int("e"), z3.Int("i")
    ms, usable = proofs.advice_transcript(a, e, i)
    n = 0
    for answer in answers(100_000, rng):
        shade = rng.randint(1, 7)
        elapsed = rng.choice((0, rng.randint(0, 2 * L.MODEL_DEADLINE_MS), L.MODEL_DEADLINE_MS,
                              L.MODEL_DEADLINE_MS + 1))
        subs = ((a, z3.FPVal(answer, proofs.FLOAT)), (e, z3.IntVal(elapsed)), (i, z3.IntVal(shade - 1)))
        got = (z3.simplify(z3.substitute(ms, *subs)).as_long(), z3.is_true(z3.simplify(z3.substitute(usable, *subs))))
        assert got == advice.advice_ms(shade, answer, elapsed), (answer, elapsed, shade)
        n += 1
    assert n == 100_000
