"""Each invariant predicate catches a hand-made violation and accepts a correct trace."""

import pytest

from safety import checks as C
from safety import invariants as I
from safety import limits as L
from safety.guard import FAULT, HEATING, IDLE
from tests.helpers import Drive, adc

A22 = adc(22.0)


NO_SURFACE = (None, None, None, None, None, False)  # degraded: the bread-agnostic cap


def row(t, heater=1, lever=True, counts=A22, mode=HEATING, shade=4, supply=1000, fault=C.OK, surface=NO_SURFACE):
    return (t, counts, lever, supply, shade, mode, heater, fault) + surface


def guard_row(t, d):
    r = d.surface
    return (t, adc(d.temp), d.lever, d.supply, 4, d.g.mode, d.g.heater, d.g.fault) + tuple(r.obj_dc) \
        + tuple(r.body_dc) + (r.ref_adc, r.purge_ok)


def ids(rows):
    return sorted({v[0] for v in I.check(rows)})


def test_real_guard_trace_is_clean():
    d = Drive()
    rows = []
    d.tick(lever=True)
    d.g.advise(4, 20.0, 5)
    temp = 22.0
    for i in range(400):
        temp += 0.02
        d.tick(temp=temp, lever=i < 300 and d.g.mode != IDLE or i < 2)
        rows.append(guard_row(i * 100, d))
    assert I.check(rows) == []


def test_i1_and_i6_time_caps():
    rows = [row(0, heater=0, mode=IDLE)] + [row(t) for t in range(100, L.TIME_CAP_MS + 300, 100)]
    assert ids(rows) == ["I1", "I6"]


def test_i6_dose_cap_and_invalid_shade():
    cap = L.DOSE_CAP_MS
    rows = [row(0, heater=0, lever=False, mode=IDLE)] + [row(t, shade=1) for t in range(100, cap + 300, 100)]
    assert ids(rows) == ["I6"]
    # at 1.1 x rated the dose reaches the cap after cap / 1.21 of on-time
    over = [row(0, heater=0, lever=False, mode=IDLE)] + [row(t, shade=1, supply=L.SUPPLY_MAX_PM)
                                                          for t in range(100, int(cap / 1.21) + 300, 100)]
    assert ids(over) == ["I6"]
    assert ids([row(0, lever=False, heater=0), row(100, shade=9)]) == ["I6"]


def test_i2_cutoff():
    assert "I2" in ids([row(0, heater=0, lever=False), row(100, counts=adc(L.CUTOFF_DC / 10.0 + 0.5))])


def test_i3_fault_mode_and_rearm():
    cut = C.CUTOFF
    assert ids([row(0, mode=FAULT, fault=cut)]) == ["I3"]
    rows = [row(0, heater=0, lever=False, mode=FAULT, fault=cut), row(100, heater=0, lever=False, mode=IDLE)]
    assert ids(rows) == ["I3"]
    hot = adc(L.REARM_DC / 10.0 + 1)
    rows = [row(0, heater=0, lever=False, mode=FAULT, counts=hot, fault=cut), row(100, heater=0, mode=IDLE, counts=hot)]
    assert ids(rows) == ["I3"]
    rows = [row(0, heater=0, lever=False, mode=FAULT, fault=cut), row(100, heater=0, mode=IDLE)]
    assert ids(rows) == []


@pytest.mark.parametrize("in_fault_ms, violated", [(L.REARM_COOL_MS - 200, True), (L.REARM_COOL_MS - 100, False)])
def test_i3_a_thermistor_fault_rearms_only_after_the_cool_down(in_fault_ms, violated):
    gain = C.HEATING_GAIN
    rows = [row(0, heater=0, mode=FAULT, fault=gain), row(in_fault_ms, heater=0, lever=False, mode=FAULT, fault=gain),
            row(in_fault_ms + 100, heater=0, mode=IDLE)]
    assert (ids(rows) == ["I3"]) == violated


def test_i4_carriage_up():
    assert ids([row(0, lever=False, heater=1, mode=IDLE)]) == ["I4", "I6"]


def test_i5_implausible_sensor():
    assert "I5" in ids([row(0, heater=0, lever=False), row(100, counts=4095)])
    jump = [row(0, heater=0, lever=False), row(100, counts=adc(40.0))]
    assert ids(jump) == ["I5"]
    after_open = [row(0, heater=0, lever=False, counts=4095), row(100, counts=A22)]
    assert "I5" not in ids(after_open)


@pytest.mark.parametrize("t_ms, flagged", [(-1, True), (0, False), (L.STALL_MS, False), (L.STALL_MS + 1, True)])
def test_i5_heater_on_after_a_step_backwards_or_a_stall(t_ms, flagged):
    trace = [row(0, heater=0, lever=False), row(t_ms)]
    assert ("I5" in ids(trace)) == flagged


def full_mode_trace(slice_c_at):
    """The real guard in full mode, the slices reading slice_c_at(i) at tick i."""
    d = Drive()
    rows = []
    for i in range(-L.REF_SETTLE_MS // 100 - 1, 0):  # the reference check, carriage up
        d.tick()
        rows.append(guard_row(i * 100, d))
    d.tick(lever=True)
    rows.append(guard_row(0, d))
    d.g.advise(7, L.TIME_CAP_MS / 1000.0, 5)
    for i in range(1, 3000):
        d.tick(temp=22.0 + i * 0.02, slice_c=slice_c_at(i), lever=d.g.mode != IDLE or i < 1)
        rows.append(guard_row(i * 100, d))
        if d.g.mode == IDLE:
            break
    return rows


def test_i6_i7_a_full_mode_batch_past_the_degraded_cap_is_clean():
    rows = full_mode_trace(lambda i: 40.0 + i * 0.05)
    heated = sum(r[6] for r in rows) * 100
    assert heated > L.DOSE_CAP_MS and I.check(rows) == []


def test_i7_heating_on_past_the_surface_cut():
    rows = full_mode_trace(lambda i: 40.0 + i * 0.2)
    last = list(rows[-1])
    assert last[6] == 0 and I.check(rows) == []
    last[6] = 1  # the guard's last step had heated on at the cut
    assert "I7" in ids(rows[:-1] + [tuple(last)])


def test_i6_a_degraded_batch_keeps_the_bread_agnostic_cap():
    rows = full_mode_trace(lambda i: 40.0 + i * 0.05)
    broken = [r[:8] + (None, None) + r[10:] if r[0] >= 5000 else r for r in rows]  # a thermopile stops answering
    assert "I6" in ids(broken)


def test_names_are_numbered():
    assert [name for name, _ in I.INVARIANTS] == ["I1", "I2", "I3", "I4", "I5", "I6", "I7"]
