"""The guard's state at construction and at each reset, every event a step raises, and
the exact edges of the windows and limits that mutation testing (`make mutation`) showed
were swept only around, not at."""

import pytest

from safety import advice, checks as C, limits as L, thermistor
from safety.guard import (ARMING, EV_DOSE_CAP, EV_NO_ADVICE, EV_REARM_REFUSED, EV_START_HOT, EV_TRIP, FAULT, HEATING,
                          IDLE, Guard)
from tests.helpers import NO_SURFACE, Drive, adc


def adc_reading(dc):
    """The lowest ADC count whose reading is exactly dc (deci-C)."""
    return next(a for a in range(thermistor.ADC_FULL_SCALE + 1) if C.reading_dc(a) == dc)


def test_a_new_guard_commands_nothing_and_holds_no_batch():
    g = Guard()
    assert (g.mode, g.fault, g.events, g.heater, g.latch, g.reading_dc) == (IDLE, C.OK, 0, 0, 0, None)
    assert (g.arming_ms, g.start_dc, g.shade, g.bad_shade, g.pending_ms, g.pending_from_model) == (0, 0, 0, False, 0, False)
    assert (g.budget_ms, g.cap_ms, g.on_ms, g.dose, g.fault_ms) == (0, 0, 0, 0, 0)


def test_time_in_fault_stops_counting_exactly_at_the_cool_down():
    g = Guard()
    g.mode, g.fault, g.fault_ms = FAULT, C.HEATING_GAIN, L.REARM_COOL_MS
    g.step(100, adc(22), False, 1000, NO_SURFACE)
    assert g.fault_ms == L.REARM_COOL_MS


def test_a_batch_starts_with_no_on_time_and_no_dose():
    d = Drive()
    d.press(shade=4, answer=100.0)
    d.run(5000)
    d.tick(lever=False)
    d.run(L.LOCKOUT_MS)
    d.press(shade=4, answer=100.0)
    assert d.g.mode == HEATING and (d.g.on_ms, d.g.dose) == (0, 0)


def test_every_adc_count_reads_as_an_integer():
    assert all(isinstance(C.reading_dc(a), (int, type(None))) for a in range(thermistor.ADC_FULL_SCALE + 1))


def test_a_trip_raises_its_event():
    d = Drive()
    d.tick(counts=0)  # shorted thermistor
    assert d.g.mode == FAULT and d.g.events & EV_TRIP


def test_a_fault_arising_under_a_held_press_raises_both_events():
    d = Drive()
    d.tick(counts=0, lever=True)
    assert d.g.events & EV_TRIP and d.g.events & EV_REARM_REFUSED


@pytest.mark.parametrize("shade", [L.SHADE_MIN, L.SHADE_MAX])
def test_the_extreme_shades_are_accepted(shade):
    d = Drive()
    d.press(shade=shade, answer=60.0)
    assert d.g.mode == HEATING and d.g.shade == shade


@pytest.mark.parametrize("dc, starts", [(L.START_MAX_DC - 1, True), (L.START_MAX_DC, False)])
def test_start_max_exact_reading(dc, starts):
    g = Guard()
    g.step(100, adc(22), False, 1000, NO_SURFACE)
    g.rate.reset()  # jump straight to the reading under test
    g.step(100, adc_reading(dc), False, 1000, NO_SURFACE)
    g.step(100, adc_reading(dc), True, 1000, NO_SURFACE)
    assert (g.mode == ARMING) == starts and bool(g.events & EV_START_HOT) != starts


def test_arming_times_out_exactly_at_its_limit():
    d = Drive()
    d.tick(lever=True)
    d.tick(dt=L.STALL_MS)
    d.tick(dt=L.ARMING_TIMEOUT_MS - L.STALL_MS - 1)
    d.tick(dt=1)
    assert d.g.mode == ARMING  # arming_ms has just reached the limit
    d.tick(dt=1)
    assert d.g.mode == IDLE and d.g.events & EV_NO_ADVICE


def test_rate_check_exact_fall():
    r = C.RateCheck()
    allowed = L.MAX_RATE_DC_PER_S * 100 // 1000 + L.RATE_SLACK_DC
    r.update(100, 2000)
    assert r.update(100, 2000 - allowed) == C.OK
    assert r.update(100, 2000 - 2 * allowed - 1) == C.SENSOR_RATE


# --- the fall check both thermistor and thermopiles use (checks.FallCheck) ------------------
W, M = 5000, 100  # a window and a fall, as the limits set them


@pytest.mark.parametrize("fall, trips", [(M - 1, False), (M, True)])
def test_a_fall_trips_at_its_limit(fall, trips):
    f = C.FallCheck(W, M)
    f.update(100, 1000)
    assert f.update(100, 1000 - fall) == trips


def test_a_fall_a_whole_window_after_its_peak_is_seen_at_any_alignment():
    for offset in range(W // 100):  # every alignment of the buckets to the peak
        f = C.FallCheck(W, M)
        for _ in range(offset):
            assert not f.update(100, 1000)
        assert not f.update(100, 1000 + M)  # the peak...
        for _ in range(W // 100 - 1):
            assert not f.update(100, 1000 + 1)  # ...a fall of M - 1 held...
        assert f.update(100, 1000), offset  # ...and the fall of M, W after the peak


def test_a_peak_two_whole_windows_old_is_forgotten():
    f = C.FallCheck(W, M)
    f.update(0, 1000)
    assert not f.update(W, 999)  # the bucket closes exactly at W: 1000 is the previous one's peak
    assert not f.update(W, 1000 - M)  # closed again: 1000 is gone, 999 is M - 1 above


def test_a_closed_bucket_counts_from_zero():
    f = C.FallCheck(W, M)
    f.update(0, 1000)
    f.update(W, 999)  # closes the bucket: 1000 is the previous one's peak
    assert f.update(W - 1, 1000 - M)  # 1 ms short of closing again: 1000 still counts


def test_a_rise_then_a_fall_inside_one_window_is_a_fall_from_the_peak():
    f = C.FallCheck(W, M)
    f.update(100, 1000)
    assert not f.update(100, 1100)
    assert f.update(100, 1000)


def test_a_fall_check_reset_forgets_its_peaks():
    f = C.FallCheck(W, M)
    f.update(100, 1000)
    f.update(W, 1000)
    f.reset()
    assert (f.peak_dc, f.prev_peak_dc, f.bucket_ms) == (C.FLOOR_DC, C.FLOOR_DC, 0)
    assert not f.update(100, 1000 - M)


def gain_check():
    c = C.HeatingGainCheck()
    c.update(True, 100, 1000)  # sets the fall reference
    return c


def test_heating_gain_reset_clears_every_window():
    c = gain_check()
    for _ in range(300):
        c.update(True, 100, 1000 + _)
    c.update(False, 100, 1000)
    assert (c.on_ms, c.gain_ref, c.gain_ms) == (0, None, 0)
    assert (c.fall.peak_dc, c.fall.prev_peak_dc, c.fall.bucket_ms) == (C.FLOOR_DC, C.FLOOR_DC, 0)


def test_the_gain_check_watches_falls_with_its_own_limits():
    c = gain_check()
    assert (c.fall.window_ms, c.fall.max_dc) == (L.FALL_WINDOW_MS, L.FALL_MAX_DC)


def test_a_fall_just_inside_the_window_trips():
    c = gain_check()
    c.update(True, L.FALL_WINDOW_MS - 1, 1000)
    assert c.update(True, 100, 1000 - L.FALL_MAX_DC) == C.HEATING_GAIN


def test_a_slow_fall_across_windows_never_adds_up():
    c = gain_check()
    reading = 1000
    per_step = (L.FALL_MAX_DC - 1) / (2 * L.FALL_WINDOW_MS // 100)  # under the limit over two windows
    for i in range(6 * L.FALL_WINDOW_MS // 100):
        assert c.update(True, 100, reading - int(i * per_step)) != C.HEATING_GAIN or c.on_ms >= L.GAIN_DELAY_MS


def test_the_gain_window_closes_exactly_at_its_length():
    c = C.HeatingGainCheck()
    c.update(True, L.GAIN_DELAY_MS, 500)  # warmed up, below GAIN_BELOW_DC: the gain reference
    assert c.update(True, L.GAIN_WINDOW_MS - 1, 500) == C.OK  # one ms short of the window
    assert c.update(True, 1, 500) == C.HEATING_GAIN  # the window is full and nothing rose


def test_rising_while_off_reset_and_settle_edge():
    c = C.RisingWhileOffCheck()
    c.update(False, L.OFF_SETTLE_MS, 1000)
    c.update(True, 100, 1000)
    assert (c.off_ms, c.low_dc) == (0, None)
    assert c.update(False, L.OFF_SETTLE_MS - 1, 1000) == C.OK
    assert c.update(False, 100, 1000) == C.OK  # still settling: off_ms was one short
    assert c.update(False, 100, 1000 + L.OFF_RISE_DC) == C.OK  # the first reading after settling is the low
    assert c.update(False, 100, 1000 + 2 * L.OFF_RISE_DC) == C.RISING_WHILE_OFF


def test_cap_at_the_derating_and_floor_edges():
    assert advice.cap_ms(L.HOT_DERATE_FROM_DC) == L.DOSE_CAP_MS
    span = L.DOSE_CAP_MS - L.MIN_CAP_MS
    floor_dc = L.HOT_DERATE_FROM_DC - (-span // L.HOT_DERATE_MS_PER_DC)  # the first reading at the floor
    assert advice.cap_ms(floor_dc) == L.MIN_CAP_MS == advice.cap_ms(floor_dc + 1)
    assert advice.cap_ms(floor_dc - 1) == L.DOSE_CAP_MS - (floor_dc - 1 - L.HOT_DERATE_FROM_DC) * L.HOT_DERATE_MS_PER_DC
    assert advice.cap_ms(floor_dc - 1) > L.MIN_CAP_MS


def test_a_quiet_step_raises_no_event():
    d = Drive()
    d.tick()
    assert d.g.events == 0


def test_a_jump_in_the_reading_trips_the_guard():
    d = heating_drive()
    allowed = L.MAX_RATE_DC_PER_S * 100 // 1000 + L.RATE_SLACK_DC
    d.tick(counts=adc_reading(d.g.reading_dc + allowed + 1))
    assert d.g.mode == FAULT and d.g.fault == C.SENSOR_RATE and d.g.heater == 0


@pytest.mark.parametrize("supply", [L.SUPPLY_MIN_PM - 1, L.SUPPLY_MAX_PM + 1])
def test_mains_out_of_range_trips_the_guard(supply):
    d = heating_drive()
    d.tick(supply=supply)
    assert d.g.mode == FAULT and d.g.fault == C.SUPPLY and d.g.heater == 0


def test_the_dose_cap_ends_heating_at_the_step_the_dose_reaches_it():
    d = Drive(sensing=False)  # a degraded batch: the bread-agnostic cap
    d.press(shade=7, answer=239.0)
    while d.g.mode == HEATING:
        d.tick(temp=d.temp + 0.01)  # a chamber that warms, so no other layer trips
    assert d.g.events & EV_DOSE_CAP and d.g.on_ms == L.DOSE_CAP_MS and d.g.dose == L.DOSE_CAP_MS * 1000


def heating_drive():
    d = Drive()
    d.press(shade=4, answer=100.0)
    d.run(1000, temp=22.5)
    assert d.g.mode == HEATING
    return d
