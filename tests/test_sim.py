"""The simulator end to end: the default scenario, and every adversary across every fault."""

import pytest

from host_sim import models, scenario
from host_sim.plant import Plant
from host_sim.runner import new_slice, simulate
from safety import limits


def default():
    return scenario.load(scenario.DEFAULT_PATH)


def test_default_scenario_toasts_three_batches_safely():
    result, _ = simulate(default())
    assert result["hazard"] is False and not result["fuse_blown"]
    assert len(result["batches"]) == 3
    for b in result["batches"]:  # the shade asked for, unless a cap ended the batch first
        capped = {"dose_cap", "time_cap"} & set(b["guard_events"])
        assert b["source"] == "model" and (capped or 3.5 <= b["shade_achieved"] <= 5.5)
    assert result["invariant_violations"] == []


def time_to_shade(shade, frozen=False):
    p = Plant()
    p.load([new_slice(scenario.Slot("white", frozen), 22.0) for _ in p.slots])
    t = 0.0
    while p.slots[0].delta_e < 6 * shade:
        p.step(0.05, True)
        t += 0.05
    return t


def test_medium_white_from_cold_takes_1_5_to_3_5_minutes():
    assert 90.0 <= time_to_shade(4) <= 210.0


def test_fallback_table_is_the_plants_cold_start():
    for shade in range(1, 8):
        assert abs(time_to_shade(shade) - limits.FALLBACK_MS[shade - 1] / 1000.0) < 3.0


@pytest.mark.parametrize("adversary", [None] + ["adversarial:" + a for a in models.ADVERSARIES])
@pytest.mark.parametrize("kind", [None] + list(scenario.FAULT_KINDS))
def test_every_adversary_across_every_fault_is_safe(adversary, kind):
    sc = default()
    if kind:
        duration = 30.0 if kind in scenario.TRANSIENT_FAULTS else None
        sc.faults = [scenario.Fault(kind, 60.0, duration), scenario.Fault(kind, 240.0, duration)]
    result, _ = simulate(sc, adversary)
    assert result["hazard"] is False, result["hazard_reasons"]


def test_max_on_hot_is_capped_by_the_guard():
    result, _ = simulate(default(), "adversarial:max-on-hot")
    warm = result["batches"][1]
    assert "surface_cut" in warm["guard_events"] and warm["heater_on_s"] < limits.TIME_CAP_MS / 1000.0
    assert not result["hazard"]


def test_welded_relay_is_stopped_by_the_carriage_switch():
    sc = default()
    sc.faults = [scenario.Fault("relay_welded", 0.0)]
    result, sim = simulate(sc)
    assert not result["hazard"] and not result["fuse_blown"]
    assert sim.max_uncontrolled_ms <= 200


def test_power_loss_never_resumes_by_itself():
    sc = default()
    sc.batches = sc.batches[:1]
    sc.faults = [scenario.Fault("power_loss", 60.0, 5.0)]
    result, sim = simulate(sc)
    on_after = [row for row in sim.trace if row[0] > 65.0 and row[1]]
    assert on_after == [] and result["batches"][0]["heater_on_s"] < 61.0


def test_stall_longer_than_the_watchdog_resets_the_board():
    sc = default()
    sc.batches = sc.batches[:1]
    sc.faults = [scenario.Fault("loop_stall", 50.0, 10.0)]
    result, _ = simulate(sc)
    assert result["watchdog_resets"] == 1 and not result["hazard"]


def test_slow_model_falls_back():
    result, _ = simulate(default(), "adversarial:slow")
    assert all(b["source"] == "fallback" for b in result["batches"])


def test_scenario_round_trips_through_toml(tmp_path):
    sc = default()
    sc.faults = [scenario.Fault("adc_noise", 5.0, 2.0)]
    sc.batches[0].thickness_mm = 15.0
    sc.batches[1].slot2 = scenario.Slot("brioche", True, 10.0)
    sc.batches[2].slot2 = scenario.EMPTY
    sc.model = "adversarial:nan"
    path = tmp_path / "s.toml"
    path.write_text(sc.to_toml())
    again = scenario.load(path)
    assert again.to_toml() == sc.to_toml()


def test_two_breads_or_one_slice_toast_apart():
    sc = default()
    sc.batches = [scenario.Batch("rye", True, 3, 25.0, 0.0, scenario.Slot("brioche", False, 10.0)),
                  scenario.Batch("white", False, 3, None, 5.0, scenario.EMPTY)]
    result, _ = simulate(sc)
    mixed, single = result["batches"]
    assert [s["bread"] for s in mixed["slots"]] == ["rye", "brioche"]
    assert mixed["slots"][1]["delta_e"] > mixed["slots"][0]["delta_e"]  # the thin light slice browns first
    assert mixed["delta_e"] == mixed["slots"][0]["delta_e"] and single["slots"][1] is None
    assert not result["hazard"]


def fault_run(kind, severity, at_s=0.0):
    sc = default()
    sc.faults = [scenario.Fault(kind, at_s, None, None, severity)]
    result, _ = simulate(sc, "adversarial:huge")
    return result


def test_a_fouled_window_is_caught_at_the_next_press():
    result = fault_run("lens_fouled", 0.3, 165.0)  # fouled while the first toast cools (a sudden
    # fouling while heating is a fall the channel check sees at once)
    first, second, third = result["batches"]
    assert "degraded" not in first["guard_events"]
    assert "degraded" in second["guard_events"] and "degraded" in third["guard_events"]
    assert not result["hazard"]


def test_glare_only_ends_batches_early():
    clean, glare = fault_run("lens_fouled", 0.0), fault_run("surface_glare", 0.1)
    for a, b in zip(clean["batches"], glare["batches"]):
        assert "surface_cut" in b["guard_events"] and b["heater_on_s"] < a["heater_on_s"]
    assert not glare["hazard"]
