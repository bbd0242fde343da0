"""The dose cap against the plant's fire envelope (benchmarks/fire_envelope.py sweeps it
all), and the cut-off against a fire the guard did not start (benchmarks/reaction.py)."""

import pytest

from benchmarks import fire_envelope, reaction
from host_sim import fuzz

# The envelope's tightest cases at each mains level (the whole sweep: ~1 min).
TIGHTEST = [
    ("brioche", False, 10.0, 1.0, 0, 3.0),  # cold, rated mains: the thin dry slice
    ("brioche", False, 30.0, 1.0, 180, 3.0),  # right after a batch, rated mains
    ("brioche", False, 30.0, 1.1, 180, 3.0),  # right after a batch, +10 % mains
    ("brioche", False, 30.0, 1.1, 0, 3.0),  # cold, +10 % mains: the fuzzer's first find
]


@pytest.mark.parametrize("case", TIGHTEST)
def test_the_guard_ends_every_batch_10_s_before_the_slice_could_burn(case):
    _case, _start, fire, margin = fire_envelope.run(case)
    assert fire is not None and margin >= fire_envelope.PROMISED_MARGIN_S


def test_a_crumb_fire_is_cut_at_the_tick_the_cutoff_is_read():
    _group, sc = next(reaction.fire_cases())  # shade 1, 0.9 x mains, 20 s apart, fire from the start
    result, react = fuzz.run_case(sc)
    assert react["cutoff_trips"] and react["extra_ticks"] == 0
    assert not result["hazard"] and react["overshoot_c"] <= reaction.TARGET_OVERSHOOT_C
