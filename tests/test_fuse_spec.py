"""safety/FUSE.md and the simulator's hardware layers: the same numbers, the layers in
order, a welded SSR with a jammed carriage stopped by the isolating relay, and behind
all of them the cut-out and the fuse."""

import re
from pathlib import Path

import pytest

from benchmarks import double_fault
from host_sim import hazard, scenario
from host_sim.rig import Rig
from host_sim.runner import simulate
from safety import limits

FUSE_MD = Path(__file__).resolve().parents[1] / "safety" / "FUSE.md"
SCENARIO = Path(scenario.DEFAULT_PATH).with_name("welded-relay-jammed-carriage.toml")


def spec_numbers():
    text = FUSE_MD.read_text().split("## Numbers the simulator uses", 1)[1]
    return {m[0]: float(m[1]) for m in re.findall(r"^\| ([A-Z_]+) \| ([0-9.]+) \|$", text, re.M)}


def test_the_simulator_uses_the_specs_numbers():
    numbers = spec_numbers()
    assert len(numbers) == 5
    for name, value in numbers.items():
        assert getattr(hazard, name) == value, name


def test_each_layer_sits_above_the_one_before_it():
    cutout_earliest_s = hazard.CUTOUT_DOSE_S * (1.0 - hazard.CUTOUT_TOLERANCE)
    assert limits.DOSE_CAP_MS < limits.FULL_DOSE_CAP_MS and limits.FULL_DOSE_CAP_MS / 1000.0 < cutout_earliest_s
    fuse_earliest_c = hazard.FUSE_TF_C - 10.0  # IEC 60691 tolerance +0/-10
    assert limits.CUTOFF_DC / 10.0 < fuse_earliest_c < hazard.FUSE_TF_C < hazard.FIRE_CHAMBER_C


def test_welded_relay_with_a_jammed_carriage_is_stopped_by_the_isolating_relay():
    sim_result, sim = simulate(scenario.load(SCENARIO))
    assert sim_result["hazard"] is False, sim_result["hazard_reasons"]
    assert not sim_result["cutout_opened"] and not sim_result["fuse_blown"]
    assert sim.rig.carriage_down and not sim.rig.latch_cmd and not sim.rig.energised
    assert sim_result["max_surface_c"] < hazard.IGNITION_SURFACE_MIN_C


def jammed_rig(supply_v):
    jam_s = hazard.CUTOUT_DOSE_S * 1.5 / (supply_v / 230.0) ** 2
    sc = scenario.Scenario("jam", toaster=scenario.Toaster(supply_v=supply_v),
                           faults=[scenario.Fault("relay_welded", 0.0), scenario.Fault("isolator_welded", 0.0),
                                   scenario.Fault("carriage_jammed", 0.0, jam_s)])
    rig = Rig(sc, 0)
    rig.press_lever()
    return rig


@pytest.mark.parametrize("supply_v", [184.0, 230.0, 253.0])
def test_cutout_opens_at_the_top_of_its_dose_band_and_resets_with_the_carriage(supply_v, monkeypatch):
    monkeypatch.setattr(hazard, "FUSE_TF_C", 1e9)  # the fuse bypassed: the cut-out alone, timed
    rig = jammed_rig(supply_v)
    opens_s = hazard.CUTOUT_DOSE_S * (1.0 + hazard.CUTOUT_TOLERANCE) / (supply_v / 230.0) ** 2
    rig.spend_ms(opens_s * 1000.0 - 100)
    assert rig.energised and not rig.cutout_open
    rig.spend_ms(200)
    assert rig.cutout_open and not rig.energised
    rig.spend_ms(hazard.CUTOUT_DOSE_S * 1500.0 / (supply_v / 230.0) ** 2 - rig.now_ms + 100)  # the jam ends, the carriage rises
    assert not rig.carriage_down and not rig.cutout_open and rig.cutout_dose_ms == 0.0


def test_the_fuse_alone_keeps_the_chamber_below_its_fire_threshold():
    hottest = ("white", False, 10.0, 1.1, 149.0)
    opened, _, chamber_fire, _, chamber_at_open = double_fault.double_fault(hottest, cutout_fitted=False)
    assert opened is not None and chamber_fire is None
    assert hazard.FUSE_TF_C < chamber_at_open < hazard.FIRE_CHAMBER_C
