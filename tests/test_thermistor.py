"""The integer ADC table against the Beta equation it was generated from."""

import math

import pytest

from safety import thermistor as T
from safety.checks import reading_dc


def beta_c(counts):
    r = T.PULLUP_OHM * counts / (T.ADC_FULL_SCALE - counts)
    return 1.0 / (1.0 / 298.15 + math.log(r / T.R25_OHM) / T.BETA_K) - 273.15


def test_table_is_the_beta_equation():
    expected = tuple(int(round(beta_c(T.ADC_STEP * (i + 1)) * 10)) for i in range(len(T.TABLE_DC)))
    assert T.TABLE_DC == expected


@pytest.mark.parametrize("lo, hi, max_error", [(60.0, 250.0, 0.2), (-5.0, 350.0, 1.2)])
def test_interpolation_error(lo, hi, max_error):
    worst = 0.0
    for counts in range(T.ADC_MIN, T.ADC_MAX + 1):
        exact = beta_c(counts)
        if lo <= exact <= hi:
            worst = max(worst, abs(T.adc_to_dc(counts) / 10.0 - exact))
    assert worst < max_error


@pytest.mark.parametrize("counts, none", [(T.ADC_MIN - 1, True), (T.ADC_MIN, False),
                                          (T.ADC_MAX, False), (T.ADC_MAX + 1, True)])
def test_adc_window(counts, none):
    assert (reading_dc(counts) is None) == none


def test_monotonic():
    values = [T.adc_to_dc(c) for c in range(T.ADC_MIN, T.ADC_MAX + 1)]
    assert all(a >= b for a, b in zip(values, values[1:]))
