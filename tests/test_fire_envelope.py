"""The surface cut and the dose caps against the plant's fire envelope, with the sensing
at its worst corner (benchmarks/fire_envelope.py sweeps it all), and the cut-off against
a fire the guard did not start (benchmarks/reaction.py)."""

import pytest

from benchmarks import fire_envelope, reaction
from host_sim import fuzz

# The envelope's tightest sequences (bread, frozen, mm, mains ratio, room C, single fault,
# from s), back to back until settled: thin slices at high mains in a warm room (the
# surface cut), a thin slice drying through at low mains (the hot budget), and a batch
# degraded by a silent thermopile (the bread-agnostic cap), and a lens knocked as far
# off the slice as the reference check still passes.
TIGHTEST = [
    ("bagel", True, 10.0, 1.1, 40.0, None, None),
    ("bagel", False, 10.0, 1.1, 40.0, None, None),
    ("brioche", False, 10.0, 0.8, 5.0, None, None),
    ("brioche", False, 10.0, 1.0, 40.0, "surface_open", 0.0),
    ("bagel", False, 10.0, 1.1, 40.0, "lens_misaligned", 0.0),
]


@pytest.mark.parametrize("case", TIGHTEST)
def test_the_guard_ends_every_batch_10_s_before_the_slice_could_ignite(case):
    _case, margins, hazard = fire_envelope.run(case)
    assert not hazard and len(margins) >= 3
    for start_dc, heater_s, ignite_s, ignited in margins:
        assert not ignited and (ignite_s is None or ignite_s >= fire_envelope.PROMISED_MARGIN_S)


def test_a_crumb_fire_is_cut_at_the_tick_the_cutoff_is_read():
    _group, sc = list(reaction.fire_cases())[4]  # shade 1, 0.9 x mains, 90 s apart, burning from the start
    result, react = fuzz.run_case(sc)
    assert react["cutoff_trips"] and react["extra_ticks"] == 0
    assert not result["hazard"] and react["overshoot_c"] <= reaction.TARGET_OVERSHOOT_C
