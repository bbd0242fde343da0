"""Each invariant predicate catches a hand-made violation and accepts a correct trace."""

import pytest

from safety import checks as C
from safety import invariants as I
from safety import limits as L
from safety.guard import FAULT, HEATING, IDLE
from tests.helpers import Drive, adc

A22 = adc(22.0)


def row(t, heater=1, lever=True, counts=A22, mode=HEATING, shade=4, supply=1000, fault=C.OK):
    return (t, counts, lever, supply, shade, mode, heater, fault)


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
        rows.append((i * 100, adc(temp), d.lever, 1000, 4, d.g.mode, d.g.heater, d.g.fault))
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


def test_names_are_numbered():
    assert [name for name, _ in I.INVARIANTS] == ["I1", "I2", "I3", "I4", "I5", "I6"]
