"""The guard's modes and each safety layer, with boundaries swept at and around limits."""

import math

import pytest

from safety import checks as C
from safety import limits as L
from safety.advice import advice_ms, cap_ms, fallback_ms
from safety.guard import (ARMING, EV_BAD_SHADE, EV_CANCEL, EV_DONE, EV_DOSE_CAP, EV_FALLBACK,
                          EV_LOCKOUT, EV_NO_ADVICE, EV_REARM, EV_REARM_REFUSED, EV_START_HOT,
                          EV_TIME_CAP, EV_TRIP, FAULT, HEATING, IDLE, Guard, dose_increment,
                          event_names)
from tests.helpers import NO_SURFACE, Drive, adc


def test_boot_is_idle_with_everything_off():
    d = Drive()
    assert (d.g.mode, d.g.heater, d.g.latch, d.g.fault) == (IDLE, 0, 0, C.OK)


def test_lever_down_at_power_on_is_not_a_press():
    g = Guard()
    for _ in range(5):
        assert g.step(100, adc(22), True, 1000, NO_SURFACE) == 0
    assert g.mode == IDLE


def test_press_arms_then_heats_for_the_advised_time():
    d = Drive()
    d.tick(lever=True)
    assert (d.g.mode, d.g.latch, d.g.heater) == (ARMING, 1, 0)
    d.g.advise(4, 30.0, 10)
    assert d.tick() == 1 and d.g.mode == HEATING
    d.run(29900)
    assert d.g.heater == 1
    d.tick()
    assert d.g.heater == 0 and d.g.mode == IDLE and d.g.events & EV_DONE and d.g.latch == 0


def test_advise_outside_arming_is_ignored():
    d = Drive()
    d.g.advise(4, 30.0, 10)
    assert d.g.pending_ms == 0


def test_lever_lifted_cancels_arming_and_heating():
    d = Drive()
    d.tick(lever=True)
    d.tick(lever=False)
    assert d.g.mode == IDLE and d.g.events & EV_CANCEL
    d.run(L.LOCKOUT_MS)
    d.press()
    d.tick(lever=False)
    assert d.g.mode == IDLE and d.g.heater == 0 and d.g.events & EV_CANCEL


@pytest.mark.parametrize("shade", [0, 8, -1, 4.0, None])
def test_bad_shade_is_refused(shade):
    d = Drive()
    d.tick(lever=True)
    d.g.advise(shade, 30.0, 10)
    d.tick()
    assert d.g.mode == IDLE and d.g.events & EV_BAD_SHADE and d.g.heater == 0


def test_no_advice_times_out():
    d = Drive()
    d.tick(lever=True)
    d.run(L.ARMING_TIMEOUT_MS - 100)
    assert d.g.mode == ARMING
    d.tick()
    d.tick()
    assert d.g.mode == IDLE and d.g.events & EV_NO_ADVICE


def test_lockout_after_a_batch_boundary():
    d = Drive()
    d.press(answer=10.0)
    d.run(10000)
    assert d.g.mode == IDLE
    d.tick(lever=False)
    d.run(L.LOCKOUT_MS - 300)
    d.tick(lever=True)
    assert d.g.events & EV_LOCKOUT and d.g.mode == IDLE
    d.tick(lever=False)
    d.tick()
    d.tick(lever=True)
    assert d.g.mode == ARMING


@pytest.mark.parametrize("temp_dc, starts", [(L.START_MAX_DC - 3, True), (L.START_MAX_DC + 3, False)])
def test_start_max_boundary(temp_dc, starts):
    g = Guard()
    g.step(100, adc(22), False, 1000, NO_SURFACE)
    g.rate.reset()  # jump straight to the temperature under test
    g.step(100, adc(temp_dc / 10.0), False, 1000, NO_SURFACE)
    g.step(100, adc(temp_dc / 10.0), True, 1000, NO_SURFACE)
    assert (g.mode == ARMING) == starts
    assert bool(g.events & EV_START_HOT) != starts


def test_fallback_is_flagged():
    d = Drive()
    d.press(shade=1, answer=math.nan)
    assert d.g.events & EV_FALLBACK and d.g.budget_ms == L.FALLBACK_MS[0]


@pytest.mark.parametrize("pending, budget, capped", [
    (L.TIME_CAP_MS, L.TIME_CAP_MS, False),
    (L.TIME_CAP_MS + 1, L.TIME_CAP_MS, True),
])
def test_budget_never_exceeds_time_cap_whatever_the_advice(pending, budget, capped):
    # advice_ms never hands over more than the time cap; the guard must not rely on it
    d = Drive()
    d.tick(lever=True)
    d.g.pending_ms, d.g.pending_from_model = pending, True
    d.tick()
    assert d.g.budget_ms == budget and bool(d.g.events & EV_TIME_CAP) == capped


def heat_until_done(d):
    ends = 0
    while d.g.mode == HEATING:
        d.tick(temp=d.temp + 0.01)  # a chamber that warms, so no other layer trips
        ends = d.g.events
    return ends


@pytest.mark.parametrize("supply, on_ms, event", [
    # the dose cap's energy: at 1.1 x rated in 1/(1 + 0.1 (1 + W))^2 of the time (the
    # over-voltage weight W), just above rated in 1/(1 + 0.001 (1 + W))^2, at rated in full
    (L.SUPPLY_MAX_PM, L.DOSE_CAP_MS / (1.0 + 0.1 * (1 + L.OVERVOLT_WEIGHT)) ** 2, EV_DOSE_CAP),
    (1001, L.DOSE_CAP_MS / (1.0 + 0.001 * (1 + L.OVERVOLT_WEIGHT)) ** 2, EV_DOSE_CAP),
    (1000, L.DOSE_CAP_MS, EV_DOSE_CAP),
    # at 0.8 x rated a 0.64 dose per second
    (L.SUPPLY_MIN_PM, L.DOSE_CAP_MS / 0.64, EV_DOSE_CAP),
])
def test_dose_cap_scales_with_supply(supply, on_ms, event):
    d = Drive(sensing=False)  # a degraded batch: the bread-agnostic cap
    d.tick(supply=supply)
    d.press(shade=1, answer=239.0, elapsed=1)
    assert heat_until_done(d) & event
    assert abs(d.g.on_ms - on_ms) <= 100


def test_time_cap_ends_a_batch_whatever_the_dose_cap():
    d = Drive()
    d.tick(supply=L.SUPPLY_MIN_PM)
    d.tick(lever=True)
    d.g.pending_ms, d.g.pending_from_model = L.TIME_CAP_MS + 1, True
    d.tick()
    d.g.cap_ms = 10 ** 6  # a dose cap the time cap must not rely on
    assert heat_until_done(d) & EV_DONE and d.g.on_ms == L.TIME_CAP_MS
    assert d.g.dose < d.g.cap_ms * 1000


def test_dose_increment_rounds_up():
    assert dose_increment(100, 1000) == 100000
    assert dose_increment(1, 1) == 1
    assert dose_increment(0, 1000) == 0


def test_dose_increment_is_the_energy_weighted_above_rated():
    assert dose_increment(1000, 999) == 998001
    assert dose_increment(1000, 1000) == 1000000
    assert dose_increment(1000, 1001) == (1001 + L.OVERVOLT_WEIGHT) ** 2
    assert dose_increment(1000, 1100) == (1100 + 100 * L.OVERVOLT_WEIGHT) ** 2


def test_event_names():
    assert event_names(EV_DONE | EV_TRIP) == ["done", "fault"]
    assert event_names(0) == []


# --- faults and re-arm ---------------------------------------------------------------
def heating(temp=22.0):
    d = Drive(temp)
    d.press(answer=200.0)
    assert d.g.heater == 1
    return d


@pytest.mark.parametrize("counts", [0, 15, 4065, 4095])
def test_open_or_short_trips(counts):
    d = heating()
    assert d.tick(counts=counts) == 0
    assert d.g.mode == FAULT and d.g.fault == C.SENSOR_RANGE


@pytest.mark.parametrize("temp, trips", [(-4.5, False), (-5.5, True), (349.5, False), (350.5, True)])
def test_sensor_range_boundaries(temp, trips):
    assert (C.sensor_range(int(temp * 10)) == C.SENSOR_RANGE) == trips


@pytest.mark.parametrize("dt, step, trips", [(100, 80, False), (100, 81, True), (0, 30, False), (0, 31, True)])
def test_rate_boundaries(dt, step, trips):
    r = C.RateCheck()
    r.update(100, 1000)
    assert (r.update(dt, 1000 + step) == C.SENSOR_RATE) == trips
    r.reset()
    assert r.update(dt, 5000) == C.OK


@pytest.mark.parametrize("dt, trips", [(L.STALL_MS, False), (L.STALL_MS + 1, True)])
def test_stall_boundary(dt, trips):
    d = heating()
    d.tick(dt=dt)
    assert (d.g.fault == C.STALL) == trips


@pytest.mark.parametrize("dt, trips", [(-L.STALL_MS * 10, True), (-1, True), (0, False), (1, False)])
def test_a_step_backwards_counts_as_the_longest_stall(dt, trips):
    d = heating()
    on_ms, dose = d.g.on_ms, d.g.dose
    d.tick(dt=dt)
    counted = L.STALL_MS + 1 if trips else dt
    assert (d.g.fault == C.STALL) == trips and (d.g.heater == 0) == trips
    assert d.g.on_ms == on_ms + counted and d.g.dose == dose + dose_increment(counted, 1000)


@pytest.mark.parametrize("reading, trips", [(L.CUTOFF_DC - 1, False), (L.CUTOFF_DC, True), (L.CUTOFF_DC + 1, True)])
def test_cutoff_boundary(reading, trips):
    assert (C.cutoff(reading) == C.CUTOFF) == trips


@pytest.mark.parametrize("pm, trips", [(L.SUPPLY_MIN_PM - 1, True), (L.SUPPLY_MIN_PM, False),
                                       (L.SUPPLY_MAX_PM, False), (L.SUPPLY_MAX_PM + 1, True)])
def test_supply_boundaries(pm, trips):
    assert (C.supply(pm) == C.SUPPLY) == trips


def test_cutoff_trips_the_guard_while_heating():
    d = heating()
    temp = 22.0
    while d.g.mode != FAULT:
        temp += 0.5
        d.tick(temp=temp)
    assert d.g.fault == C.CUTOFF and d.g.heater == 0 and 219.5 <= temp <= 220.5


def test_rearm_sequence():
    d = heating()
    d.tick(counts=0)
    assert d.g.mode == FAULT and d.g.latch == 0
    d.tick(lever=False, counts=0)
    d.tick(lever=True, counts=0)
    assert d.g.events & EV_REARM_REFUSED and d.g.mode == FAULT
    d.tick(lever=False, temp=61.0)
    d.tick(lever=True)
    assert d.g.events & EV_REARM_REFUSED
    d.tick(lever=False, temp=59.0)
    d.tick(lever=True)  # cool, but an open thermistor cannot vouch for that by itself
    assert d.g.events & EV_REARM_REFUSED and d.g.mode == FAULT
    d.run(L.REARM_COOL_MS, dt=500, lever=False)
    d.tick(lever=True)
    assert d.g.events & EV_REARM and d.g.mode == ARMING and d.g.fault == C.OK


@pytest.mark.parametrize("fault, suspect", [
    (C.SENSOR_RANGE, True), (C.SENSOR_RATE, True), (C.HEATING_GAIN, True), (C.RISING_WHILE_OFF, True),
    (C.STALL, False), (C.CUTOFF, False), (C.SUPPLY, False), (C.RESET_HOT, False),
])
def test_only_faults_the_thermistor_may_have_caused_wait_out_the_cool_down(fault, suspect):
    assert C.thermistor_suspect(fault) == suspect
    for fault_ms, rearmed in ((L.REARM_COOL_MS - 1, not suspect), (L.REARM_COOL_MS, True)):
        g = Guard()
        g.mode, g.fault, g.fault_ms = FAULT, fault, fault_ms
        g._in_fault(True, C.OK, 220)
        assert (g.mode == IDLE) == rearmed


def test_the_cool_down_counts_only_time_in_fault_and_restarts_at_a_trip():
    d = heating()
    d.tick(counts=0)
    assert d.g.fault_ms == 0
    d.tick(counts=0)
    assert d.g.fault_ms == 100
    d.run(L.REARM_COOL_MS + 1000, dt=500, counts=0)
    assert L.REARM_COOL_MS <= d.g.fault_ms < L.REARM_COOL_MS + 500  # stops counting once served


def test_fault_persists_without_press():
    d = heating()
    d.tick(counts=0)
    d.run(5000, temp=22.0)
    assert d.g.mode == FAULT and d.g.heater == 0


def test_second_fault_does_not_overwrite_the_first():
    d = heating()
    d.tick(counts=0)
    d.tick(dt=1000, temp=22.0)
    assert d.g.fault == C.SENSOR_RANGE and not d.g.events & EV_TRIP


@pytest.mark.parametrize("temp, trips", [(59.9, False), (60.0, True)])
def test_boot_into_hot_chamber_is_a_fault(temp, trips):
    g = Guard()
    g.step(0, adc(temp), False, 1000, NO_SURFACE)
    assert (g.fault == C.RESET_HOT) == trips


# --- heating gain and rising while off -------------------------------------------------
def test_heating_gain_needs_a_rise_when_cool():
    d = heating(30.0)
    d.run(L.GAIN_DELAY_MS + L.GAIN_WINDOW_MS + 200)
    assert d.g.mode == FAULT and d.g.fault == C.HEATING_GAIN


def test_heating_gain_passes_with_a_rise():
    g = C.HeatingGainCheck()
    for i in range(600):
        assert g.update(1, 100, 300 + i // 5) == C.OK


@pytest.mark.parametrize("rise, trips", [(L.GAIN_MIN_DC - 1, True), (L.GAIN_MIN_DC, False)])
def test_heating_gain_boundary(rise, trips):
    g = C.HeatingGainCheck()
    results = [g.update(1, 100, 300) for _ in range(L.GAIN_DELAY_MS // 100)]
    results += [g.update(1, 100, 300) for _ in range(L.GAIN_WINDOW_MS // 100 - 1)]
    results.append(g.update(1, 100, 300 + rise))
    assert (C.HEATING_GAIN in results) == trips


def test_heating_gain_not_demanded_when_hot():
    g = C.HeatingGainCheck()
    for _ in range(1000):
        assert g.update(1, 100, L.GAIN_BELOW_DC) == C.OK


@pytest.mark.parametrize("fall, trips", [(L.FALL_MAX_DC - 1, False), (L.FALL_MAX_DC, True)])
def test_fall_while_heating_boundary(fall, trips):
    g = C.HeatingGainCheck()
    g.update(1, 100, 1500)
    assert (g.update(1, 100, 1500 - fall) == C.HEATING_GAIN) == trips


def test_gain_check_resets_when_off():
    g = C.HeatingGainCheck()
    g.update(1, 100, 1500)
    assert g.update(0, 100, 0) == C.OK and g.fall.peak_dc == C.FLOOR_DC


@pytest.mark.parametrize("rise, trips", [(L.OFF_RISE_DC - 1, False), (L.OFF_RISE_DC, True)])
def test_rising_while_off_boundary(rise, trips):
    r = C.RisingWhileOffCheck()
    for _ in range(L.OFF_SETTLE_MS // 100):
        assert r.update(0, 100, 900) == C.OK
    r.update(0, 100, 800)
    assert (r.update(0, 100, 800 + rise) == C.RISING_WHILE_OFF) == trips
    assert r.update(1, 100, 2000) == C.OK and r.low_dc is None


def test_welded_relay_detected_through_the_guard():
    d = Drive()
    d.run(L.OFF_SETTLE_MS + 200)
    temp = 22.0
    for _ in range(100):
        temp += 0.1
        d.tick(temp=temp)
    assert d.g.fault == C.RISING_WHILE_OFF


# --- advice --------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [math.nan, math.inf, -math.inf, -1.0, 0.0, -0.0, 4.999,
                                    L.TIME_CAP_MS / 1000.0 + 0.001, 1e300, None, 100, "100", True])
def test_unusable_answers_fall_back(answer):
    assert advice_ms(3, answer, 0) == (fallback_ms(3), False)


@pytest.mark.parametrize("elapsed, from_model", [(L.MODEL_DEADLINE_MS, True), (L.MODEL_DEADLINE_MS + 1, False)])
def test_model_deadline_boundary(elapsed, from_model):
    assert advice_ms(3, 100.0, elapsed)[1] == from_model


@pytest.mark.parametrize("answer", [5.0, 100.0, L.TIME_CAP_MS / 1000.0])
def test_usable_answers_pass(answer):
    assert advice_ms(3, answer, 0) == (int(answer * 1000), True)


@pytest.mark.parametrize("start_dc, expected", [
    (L.HOT_DERATE_FROM_DC, L.DOSE_CAP_MS),
    (L.HOT_DERATE_FROM_DC + 1, L.DOSE_CAP_MS - L.HOT_DERATE_MS_PER_DC),
    (L.HOT_DERATE_FROM_DC - (-(L.DOSE_CAP_MS - L.MIN_CAP_MS) // L.HOT_DERATE_MS_PER_DC), L.MIN_CAP_MS),
    (5000, L.MIN_CAP_MS),
])
def test_cap_derating(start_dc, expected):
    assert cap_ms(start_dc) == expected


# --- exact boundaries the first mutation run found unswept ----------------------------------
@pytest.mark.parametrize("reading, fault", [
    (None, C.SENSOR_RANGE), (L.SENSOR_MIN_DC - 1, C.SENSOR_RANGE), (L.SENSOR_MIN_DC, C.OK),
    (L.SENSOR_MAX_DC, C.OK), (L.SENSOR_MAX_DC + 1, C.SENSOR_RANGE),
])
def test_sensor_range_exact_boundaries(reading, fault):
    assert C.sensor_range(reading) == fault


@pytest.mark.parametrize("reading, rearmed", [(L.REARM_DC - 1, True), (L.REARM_DC, False)])
def test_rearm_exact_boundary(reading, rearmed):
    g = Guard()
    g.mode, g.fault = FAULT, C.CUTOFF
    g._in_fault(True, C.OK, reading)
    assert (g.mode == IDLE) == rearmed and bool(g.events & EV_REARM_REFUSED) != rearmed


@pytest.mark.parametrize("idle_ms, starts", [(L.LOCKOUT_MS - 1, False), (L.LOCKOUT_MS, True)])
def test_lockout_exact_boundary(idle_ms, starts):
    g = Guard()
    g._end(EV_DONE)  # a batch just ended: the lockout counts from zero
    g._in_idle(idle_ms, False, 220)
    g._in_idle(0, True, 220)
    assert (g.mode == ARMING) == starts and bool(g.events & EV_LOCKOUT) != starts
