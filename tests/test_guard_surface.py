"""The guard's bread-surface layer (safety/surface.py): the reference check before each
press, each slot's channel while the carriage is down, the surface cut and the hot
budget, full and degraded batches — every limit swept at and around its boundary."""

import pytest

from safety import checks as C
from safety import limits as L
from safety import surface as S
from safety.guard import EV_DEGRADED, EV_DOSE_CAP, EV_SURFACE_CUT, HEATING, IDLE
from tests.helpers import Drive, adc


def verified_press(d, answer=300.0):
    d.press(shade=7, answer=answer)
    return d


# --- the reference check --------------------------------------------------------------------
def test_a_sound_toaster_toasts_in_full_mode():
    d = verified_press(Drive())
    assert d.g.mode == HEATING and d.g.surface_fault == S.OK and not d.g.degraded()
    assert d.g.batch_cap_ms() == L.FULL_DOSE_CAP_MS


def readings(obj=(2000, 2000), body=(300, 300), tab_c=200.0, purge=True):
    r = S.Readings()
    r.obj_dc[:] = list(obj)
    r.body_dc[:] = list(body)
    r.ref_adc = None if tab_c is None else adc(tab_c)
    r.purge_ok = purge
    return r


def tab_dc(tab_c=200.0):
    from safety import checks
    return checks.reading_dc(adc(tab_c))


COOL_DC = 220  # the chamber at 22 C: far below the tab


def check_after(r, ms=L.REF_SETTLE_MS):
    ref = S.ReferenceCheck()
    for _ in range(ms // 100):
        ref.update(100, r, COOL_DC)
    return ref.passed()


@pytest.mark.parametrize("offset, passes", [
    (L.REF_TOL_DC, True), (L.REF_TOL_DC + 1, False), (-L.REF_TOL_DC, True), (-L.REF_TOL_DC - 1, False)])
def test_each_thermopile_must_read_the_tab_within_its_tolerance(offset, passes):
    good = tab_dc()
    for slot in range(S.SLOTS):
        obj = [good, good]
        obj[slot] = good + offset
        assert check_after(readings(obj=obj)) == passes


@pytest.mark.parametrize("tab_c, passes", [(L.REF_MIN_DC / 10.0 + 0.5, True), (L.REF_MIN_DC / 10.0 - 0.5, False)])
def test_the_tab_must_be_hot(tab_c, passes):
    t = tab_dc(tab_c)
    assert check_after(readings(obj=(t, t), tab_c=tab_c)) == passes


def test_the_tab_must_stand_far_above_the_sensor_body():
    t = tab_dc()
    edge = t - L.REF_CONTRAST_DC
    assert check_after(readings(obj=(t, t), body=(edge, edge)))
    assert not check_after(readings(obj=(t, t), body=(edge + 1, edge)))


@pytest.mark.parametrize("below_dc, passes", [(L.REF_BACKGROUND_DC, True), (L.REF_BACKGROUND_DC - 1, False)])
def test_the_tab_must_stand_far_above_the_chamber(below_dc, passes):
    t = tab_dc()
    ref = S.ReferenceCheck()
    for _ in range(L.REF_SETTLE_MS // 100):
        ref.update(100, readings(obj=(t, t)), t - below_dc)
    assert ref.passed() == passes
    ref = S.ReferenceCheck()
    for _ in range(L.REF_SETTLE_MS // 100):
        ref.update(100, readings(obj=(t, t)), None)  # no chamber reading: no check
    assert not ref.passed()


def test_a_stopped_purge_an_absent_tab_or_a_silent_sensor_fail_the_check():
    t = tab_dc()
    assert not check_after(readings(obj=(t, t), purge=False))
    assert not check_after(readings(obj=(t, t), tab_c=None))
    assert not check_after(readings(obj=(t, None)))
    r = readings(obj=(t, t))
    r.ref_adc = 4095  # the tab's thermistor open
    assert not check_after(r)


def test_the_check_needs_its_settle_time_and_expires_before_a_late_press():
    r = readings(obj=(tab_dc(), tab_dc()))
    assert not check_after(r, L.REF_SETTLE_MS - 100)
    ref = S.ReferenceCheck()
    for _ in range(L.REF_SETTLE_MS // 100):
        ref.update(100, r, COOL_DC)
    assert ref.passed()
    bad = readings(obj=(tab_dc() + 500, tab_dc()))
    for _ in range(L.REF_FRESH_MS // 100 - 1):
        ref.update(100, bad, COOL_DC)
    assert ref.passed()  # the carriage falling: the last good second still counts...
    ref.update(100, bad, COOL_DC)
    assert not ref.passed()  # ...for REF_FRESH_MS, no longer


def test_a_press_without_the_check_is_a_degraded_batch():
    d = Drive()
    d.tab_c = L.REF_MIN_DC / 10.0 - 5.0  # the tab's heater has failed
    d.run(L.REF_FRESH_MS + 200)
    d.tick(lever=True)
    assert d.g.surface_fault == S.UNVERIFIED and d.g.events & EV_DEGRADED and d.g.degraded()
    assert d.g.batch_cap_ms() == d.g.cap_ms


# --- a slot's channel while the carriage is down ---------------------------------------------
@pytest.mark.parametrize("obj, body, problem", [
    (None, 300, S.NO_READING), (2000, None, S.NO_READING),
    (L.SURF_MIN_DC, 300, S.OK), (L.SURF_MIN_DC - 1, 300, S.RANGE),
    (L.SURF_MAX_DC, 300, S.OK), (L.SURF_MAX_DC + 1, 300, S.RANGE),
    (2000, L.BODY_MIN_DC, S.OK), (2000, L.BODY_MIN_DC - 1, S.RANGE),
    (2000, L.BODY_MAX_DC, S.OK), (2000, L.BODY_MAX_DC + 1, S.RANGE),
])
def test_a_reading_must_be_an_answer_within_the_sensors_ranges(obj, body, problem):
    assert S.plausible(obj, body) == problem
    assert S.Channel().update(100, obj, body) == problem


def settled(first=1000):
    """A channel whose view has settled on a slice, now reading about `first`."""
    c = S.Channel()
    for i in range(L.SURF_SETTLE_MS // 100):
        assert c.update(100, 200 + (i & 1), 300) == S.OK
    c.last_dc = first  # the slice has since warmed (the channel's state, set directly)
    return c


def test_the_view_settles_before_any_trend_is_judged():
    c = S.Channel()
    assert c.update(100, 200, 300) == S.OK
    assert c.update(100, 2500, 300) == S.OK  # the slice slides into view: no jump yet
    assert c.settle_ms == 200


@pytest.mark.parametrize("step, problem", [(0, None), (1, None), (2, S.JUMP)])
def test_a_jump_between_two_ticks(step, problem):
    allowed = L.SURF_MAX_RATE_DC_PER_S * 100 // 1000 + L.SURF_RATE_SLACK_DC
    for sign in (1, -1):
        c = settled()
        code = c.update(100, c.last_dc + sign * (allowed + step - 1), 300)
        assert code == (problem or S.OK) or (sign < 0 and code == S.FALL and problem is None)


@pytest.mark.parametrize("same_ms, problem", [(L.SURF_STUCK_MS - 100, S.OK), (L.SURF_STUCK_MS, S.STUCK)])
def test_a_reading_that_never_changes_is_stuck(same_ms, problem):
    c = settled()
    value = c.last_dc + 1
    c.update(100, value, 300)
    codes = [c.update(100, value, 300) for _ in range(same_ms // 100)]
    assert codes[-1] == problem and S.STUCK not in codes[:-1]
    assert c.update(100, value + 1, 300) == S.OK and c.same_ms == 0


@pytest.mark.parametrize("fall, problem", [(L.SURF_FALL_DC - 1, S.OK), (L.SURF_FALL_DC, S.FALL)])
def test_a_slice_under_a_glowing_element_never_falls(fall, problem):
    c = settled(2000)
    c.update(100, 2001, 300)  # the fall window's reference
    steps = 10
    codes = [c.update(100, 2001 - fall * (i + 1) // steps, 300) for i in range(steps)]
    assert codes[-1] == problem and S.FALL not in codes[:-1]


def test_a_slow_fall_is_not_a_fall():
    c = settled(2000)
    value = 2000
    for i in range(6 * L.SURF_FALL_WINDOW_MS // 100):  # 0.5 C/s: under the limit over two windows
        value -= i & 1
        assert c.update(100, value, 300) != S.FALL


def test_the_rise_is_measured_over_whole_windows_and_never_negative():
    c = settled(2000)
    window = L.RISE_WINDOW_MS // 100
    value = 2000
    for _ in range(window + 1):
        value += 3
        c.update(100, value, 300)
    assert c.rise_dc == 3 * window
    for _ in range(window):
        value -= 1
        c.update(100, value, 300)
    assert c.rise_dc == 0


def test_hot_time_counts_from_hot_dc_on():
    c = settled(L.HOT_DC - 2)
    c.update(100, L.HOT_DC - 1, 300)
    assert c.hot_ms == 0
    c.update(100, L.HOT_DC, 300)
    c.update(100, L.HOT_DC + 1, 300)
    assert c.hot_ms == 200


# --- the surface cut ------------------------------------------------------------------------
@pytest.mark.parametrize("below, cut", [(1, False), (0, True)])
def test_the_cut_projects_the_reading_ahead(below, cut):
    c = S.Channel()
    c.rise_dc = 40
    reading = L.SURFACE_CUT_DC - 40 * L.CUT_LEAD_MS // L.RISE_WINDOW_MS - below
    assert S.over_cut(reading, c) == cut
    assert not S.over_cut(None, c)


@pytest.mark.parametrize("hot_ms, cut", [(L.HOT_BUDGET_MS - 1, False), (L.HOT_BUDGET_MS, True)])
def test_the_hot_budget(hot_ms, cut):
    c = S.Channel()
    c.hot_ms = hot_ms
    assert S.over_cut(None, c) == cut


@pytest.mark.parametrize("slot", [0, 1])
def test_either_slice_at_the_cut_ends_the_batch(slot):
    d = verified_press(Drive())
    reading = L.SURFACE_CUT_DC
    d.surface.obj_dc[slot] = reading
    assert d.g.mode == HEATING
    d.g.step(100, adc(d.temp), True, 1000, d.surface)
    assert d.g.mode == IDLE and d.g.events & EV_SURFACE_CUT and d.g.heater == 0


def test_a_batch_ends_as_soon_as_a_slice_reaches_the_cut_while_heating():
    d = verified_press(Drive())
    temps = [40.0 + i * 0.5 for i in range(600)]
    for t in temps:
        d.tick(slice_c=t)
        if d.g.mode != HEATING:
            break
    assert d.g.events & EV_SURFACE_CUT and d.g.mode == IDLE
    c = d.g.channels[0]
    assert S.projected_dc(d.surface.obj_dc[0], c.rise_dc) >= L.SURFACE_CUT_DC


# --- degraded batches -----------------------------------------------------------------------
def test_a_channel_problem_mid_batch_degrades_it_once_and_for_the_batch():
    d = verified_press(Drive())
    d.run(2000)
    d.g.step(100, adc(d.temp), True, 1000, readings(obj=(None, 401)))  # slot 1 stops answering
    assert d.g.surface_fault == S.NO_READING and d.g.events & EV_DEGRADED
    d.tick()
    assert d.g.surface_fault == S.NO_READING and not d.g.events & EV_DEGRADED  # sticky, raised once
    assert d.g.degraded() and d.g.batch_cap_ms() == d.g.cap_ms


def test_degrading_past_the_bread_agnostic_cap_ends_the_batch():
    d = verified_press(Drive(), answer=L.TIME_CAP_MS / 1000.0)
    while d.g.mode == HEATING and d.g.dose < d.g.cap_ms * 1000:
        d.tick(temp=d.temp + 0.01, slice_c=d.slice_c + 0.01)
    assert d.g.mode == HEATING  # full mode: past the degraded cap and still heating
    d.sensing = False
    d.tick()
    assert d.g.mode == IDLE and d.g.events & EV_DOSE_CAP and d.g.events & EV_DEGRADED


def test_a_stopped_purge_degrades_the_batch():
    d = verified_press(Drive())
    d.run(1000)
    d.g.step(100, adc(d.temp), True, 1000, readings(obj=(400, 401), purge=False))
    assert d.g.surface_fault == S.PURGE


def test_only_the_tab_brings_back_full_mode():
    d = verified_press(Drive())
    d.sensing = False
    d.tick()
    d.tick(lever=False)
    d.run(L.LOCKOUT_MS)
    d.sensing = True  # the sensors answer again: the next press must pass the tab first
    d.tick(lever=True)
    assert d.g.surface_fault == S.UNVERIFIED
    d.tick(lever=False)
    d.run(L.LOCKOUT_MS + L.REF_SETTLE_MS)
    d.press()
    assert d.g.surface_fault == S.OK


def test_each_batch_needs_a_reference_pass_of_its_own():
    d = verified_press(Drive(), answer=60.0)
    d.tick(lever=False)
    d.tick()
    assert not d.g.ref.passed()  # the pass before the last press does not carry over
    d.run(L.REF_SETTLE_MS)
    assert d.g.ref.passed()


def test_no_reference_pass_counts_with_the_carriage_down():
    d = Drive()
    assert d.g.ref.passed() and d.g.mode == IDLE
    d.g.lever_was_down = True  # held down outside a batch: the thermopiles see the slots
    d.g._sense(100, readings())  # the tab's own reading: it would pass with the carriage up
    assert not d.g.ref.passed()


# --- re-advice while heating (a v2 model) ---------------------------------------------------
def test_readvice_moves_the_end_only_within_the_caps():
    d = verified_press(Drive(), answer=60.0)
    assert d.g.budget_ms == 60000
    d.g.readvise(90.0, 5)
    assert d.g.budget_ms == 90000  # longer
    d.g.readvise(30.0, 5)
    assert d.g.budget_ms == 30000  # shorter
    for unusable in (None, float("nan"), float("inf"), -1.0, L.TIME_CAP_MS / 1000.0 + 1.0, 4.0):
        d.g.readvise(unusable, 5)
        assert d.g.budget_ms == 30000  # an unusable answer changes nothing
    d.g.readvise(80.0, L.MODEL_DEADLINE_MS + 1)
    assert d.g.budget_ms == 30000  # nor does a late one
    d.tick(lever=False)
    d.g.readvise(200.0, 5)
    assert d.g.mode == IDLE and d.g.budget_ms == 30000  # only while heating


@pytest.mark.parametrize("advised_ms, capped", [(L.TIME_CAP_MS, False), (L.TIME_CAP_MS + 1, True)])
def test_the_guard_itself_caps_a_readvice_at_the_time_cap(monkeypatch, advised_ms, capped):
    from safety import guard
    d = verified_press(Drive(), answer=60.0)
    monkeypatch.setattr(guard, "advice_ms", lambda shade, answer_s, elapsed_ms: (advised_ms, True))
    d.g.events = EV_DEGRADED  # raised by this step before the firmware re-advises
    d.g.readvise(1.0, 5)  # advice_ms is proven never to exceed the cap; the guard does not rely on it
    assert d.g.budget_ms == L.TIME_CAP_MS and bool(d.g.events & guard.EV_TIME_CAP) == capped
    assert d.g.events & EV_DEGRADED


def test_a_batch_that_degrades_as_it_starts_on_the_fallback_logs_both():
    from safety import guard
    d = Drive()
    d.tick(lever=True)
    d.g.advise(4, float("nan"), 10)  # an unusable answer: the fallback table
    d.sensing = False  # and the thermopiles stop answering in the same step
    d.tick()
    assert d.g.mode == HEATING
    assert d.g.events & EV_DEGRADED and d.g.events & guard.EV_FALLBACK and d.g.events & guard.EV_START


# --- exact edges and states the mutation run asked for ----------------------------------------
def test_fresh_surface_state():
    g = S.Readings()
    assert (g.obj_dc, g.body_dc, g.ref_adc, g.purge_ok) == ([None, None], [None, None], None, False)
    c = S.Channel()
    assert (c.settle_ms, c.hot_ms, c.last_dc, c.same_ms, c.rise_ref, c.rise_ms, c.rise_dc) == (0, 0, None, 0, None, 0, 0)
    assert (c.fall.window_ms, c.fall.max_dc, c.fall.peak_dc, c.fall.prev_peak_dc, c.fall.bucket_ms) == (
        L.SURF_FALL_WINDOW_MS, L.SURF_FALL_DC, C.FLOOR_DC, C.FLOOR_DC, 0)
    ref = S.ReferenceCheck()
    assert ref.good_ms == [0, 0] and ref.since_ms == L.REF_FRESH_MS and not ref.passed()
    from safety.guard import Guard
    guard = Guard()
    assert guard.surface_fault == S.UNVERIFIED and guard.cut is False


def test_a_restarted_check_counts_from_zero():
    good = readings(obj=(tab_dc(), tab_dc()))
    ref = S.ReferenceCheck()
    ref.update(L.REF_SETTLE_MS, good, COOL_DC)
    ref.restart()
    assert (ref.good_ms, ref.since_ms) == ([0, 0], L.REF_FRESH_MS) and not ref.passed()
    ref.update(L.REF_SETTLE_MS - 1, good, COOL_DC)
    assert not ref.passed()
    ref.update(1, good, COOL_DC)
    assert ref.passed()


def test_the_check_counts_exact_milliseconds():
    good = readings(obj=(tab_dc(), tab_dc()))
    bad = readings(obj=(tab_dc() + 500, tab_dc()))
    ref = S.ReferenceCheck()
    ref.update(L.REF_SETTLE_MS - 1, good, COOL_DC)
    assert not ref.passed()
    ref.update(1, good, COOL_DC)
    assert ref.passed() and ref.since_ms == 0
    ref.update(100, bad, COOL_DC)
    ref.update(L.REF_SETTLE_MS - 1, good, COOL_DC)
    assert ref.good_ms == [L.REF_SETTLE_MS - 1, L.REF_SETTLE_MS]  # only slot 1 misread
    assert ref.passed()  # the last pass is still fresh
    ref.update(1, good, COOL_DC)
    ref.update(L.REF_FRESH_MS - 1, bad, COOL_DC)
    assert ref.passed()
    ref.update(1, bad, COOL_DC)
    assert not ref.passed()


@pytest.mark.parametrize("tab, sees", [(L.REF_MIN_DC, True), (L.REF_MIN_DC - 1, False)])
def test_the_tab_at_exactly_its_minimum(tab, sees):
    body = tab - L.REF_CONTRAST_DC
    assert S._sees_tab(tab, tab - L.REF_BACKGROUND_DC, tab, body, True) == sees


def test_a_pass_vouches_for_one_press_only():
    assert L.REF_FRESH_MS < L.LOCKOUT_MS  # what lets a pass from before a batch expire
    d = verified_press(Drive(), answer=10.0)
    while d.g.mode == HEATING:
        d.tick()
    d.tick(lever=False)
    d.fouled_c = 30.0  # the windows fouled during the batch: both read the tab 30 C low
    d.run(L.LOCKOUT_MS)
    d.tick(lever=True)
    assert d.g.surface_fault == S.UNVERIFIED  # the pass before the last batch no longer counts


@pytest.mark.parametrize("up_ms, fault", [(L.REF_SETTLE_MS - 200, S.UNVERIFIED), (L.REF_SETTLE_MS, S.OK)])
def test_a_press_held_in_the_lockout_resets_the_check(up_ms, fault):
    d = verified_press(Drive(), answer=10.0)
    while d.g.mode == HEATING:
        d.tick()
    d.tick(lever=False)
    d.run(1000)  # the tab check passes again, carriage up
    d.tick(lever=True)  # pressed again inside the lockout: refused, the lever stays down
    d.run(L.LOCKOUT_MS, lever=True)  # the bread in view: the tab is not
    d.tick(lever=False)  # the first step with the tab in view
    d.run(up_ms)
    d.tick(lever=True)
    assert d.g.mode != IDLE and d.g.surface_fault == fault  # a new pass needs the tab in view again


@pytest.mark.parametrize("seen_c, fault", [(L.SLICE_MAX_DC / 10.0 - 0.2, S.OK), (L.SLICE_MAX_DC / 10.0, S.NO_SLICE),
                                           (200.0, S.NO_SLICE)])
def test_a_slot_that_still_sees_the_tab_once_settled_degrades_the_batch(seen_c, fault):
    d = Drive()
    d.slice_c = seen_c  # an empty slot, or a slice that misses the view, reads the tab
    verified_press(d)  # two steps with the carriage down
    d.run(L.SURF_SETTLE_MS - 300)
    assert d.g.surface_fault == S.OK  # the carriage is still falling
    d.tick()
    assert d.g.surface_fault == fault


def test_a_clean_step_raises_no_degraded_event_and_degrading_keeps_other_events():
    d = verified_press(Drive())
    d.tick()
    assert not d.g.events & EV_DEGRADED and d.g.surface_fault == S.OK
    from safety import checks as C
    from safety.guard import EV_REARM, FAULT
    d = Drive(sensing=False)
    d.g.mode, d.g.fault = FAULT, C.CUTOFF
    d.tick(lever=True)  # a re-arm press that also starts a batch, unverified
    assert d.g.events & EV_REARM and d.g.events & EV_DEGRADED


def test_a_fall_across_a_window_edge_is_seen():
    """A view knocked off the slice mid-batch: 19.8 C over 5.1 s, whatever the alignment."""
    for offset in range(L.SURF_FALL_WINDOW_MS // 100):
        c = settled(2000)
        for _ in range(offset):
            c.update(100, 2000, 300)
        codes = [c.update(100, 2000 - 198 * i // 51, 300) for i in range(1, 52)]
        assert S.FALL in codes, offset


def test_rise_windows_are_exact():
    c = settled(2000)
    window = L.RISE_WINDOW_MS // 100
    value = 2000
    for _ in range(window):  # the first update after settling is the window's reference
        value += 2
        c.update(100, value, 300)
    assert c.rise_dc == 0
    value += 2
    c.update(100, value, 300)
    assert c.rise_dc == 2 * window
    for _ in range(window - 1):
        value += 3
        c.update(100, value, 300)
    assert c.rise_dc == 2 * window
    value += 3
    c.update(100, value, 300)
    assert c.rise_dc == 3 * window


def test_a_fall_window_counts_exact_milliseconds():
    c = settled(2000)
    c.update(100, 2001, 300)  # the window's reference, at 0 ms
    c.update(L.SURF_FALL_WINDOW_MS - 1, 2002, 300)  # 1 ms short of the window's end
    assert c.update(100, 2001 - L.SURF_FALL_DC, 300) == S.FALL


def test_rise_windows_count_exact_milliseconds():
    c = settled(2000)
    c.update(100, 2000, 300)  # the first window's reference, at 0 ms
    c.update(L.RISE_WINDOW_MS - 1, 2010, 300)
    assert c.rise_dc == 0  # 1 ms short: no rise measured yet
    c.update(1, 2011, 300)
    assert c.rise_dc == 11  # the window closed; the next one starts at 0 ms
    c.update(L.RISE_WINDOW_MS - 1, 2030, 300)
    assert c.rise_dc == 11
