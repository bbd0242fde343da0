"""The dose cap against the plant's fire envelope (benchmarks/fire_envelope.py sweeps it
all, ~3 min), and the cut-off against a fire the guard did not start (benchmarks/reaction.py)."""

import pytest

from benchmarks import fire_envelope, reaction
from host_sim import fuzz

# The envelope's tightest sequences (bread, frozen, mm, mains ratio, room C), back to
# back until settled: the thin light slice in the warmest room, at and above rated mains.
TIGHTEST = [
    ("brioche", False, 10.0, 1.0, 40.0),
    ("brioche", False, 10.0, 1.05, 40.0),
    ("brioche", False, 10.0, 1.1, 40.0),
    ("brioche", False, 10.0, 1.05, 22.0),
]


@pytest.mark.parametrize("case", TIGHTEST)
def test_the_guard_ends_every_batch_10_s_before_the_slice_could_ignite(case):
    _case, margins, hazard = fire_envelope.run(case)
    assert not hazard and len(margins) >= 3
    for start_dc, heater_s, ignite_s, ignited, _ in margins:
        assert not ignited and ignite_s is not None and ignite_s >= fire_envelope.PROMISED_MARGIN_S


def test_a_crumb_fire_is_cut_at_the_tick_the_cutoff_is_read():
    _group, sc = list(reaction.fire_cases())[1]  # shade 1, 0.9 x mains, 20 s apart, fire in the second batch
    result, react = fuzz.run_case(sc)
    assert react["cutoff_trips"] and react["extra_ticks"] == 0
    assert not result["hazard"] and react["overshoot_c"] <= reaction.TARGET_OVERSHOOT_C
