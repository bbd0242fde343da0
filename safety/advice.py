"""The model's answer is advice: validated here, replaced by the time table when unusable.

Nothing the model returns can lengthen a batch beyond the caps: the guard holds the
batch under `TIME_CAP_MS` of on-time and under `cap_ms` of rated-voltage-equivalent
on-time, neither of which looks at the model at all.
"""

from safety import limits as L


def fallback_ms(shade):
    """The non-ML time table (cold start, white bread, rated voltage)."""
    return L.FALLBACK_MS[shade - 1]


def advice_ms(shade, answer_s, elapsed_ms):
    """(heater-on ms, from_model) for a model answer in seconds that took elapsed_ms.

    NaN, +-inf, negative, zero, too short, beyond the time cap, not a float, missing
    (None: the model raised) or late all give the fallback table's time.
    """
    if answer_s is None or not isinstance(answer_s, float):
        return fallback_ms(shade), False
    if elapsed_ms > L.MODEL_DEADLINE_MS:
        return fallback_ms(shade), False
    ms = answer_s * 1000.0
    # Written so that NaN (every comparison false) also takes the fallback.
    if not (ms >= L.MODEL_MIN_MS and ms <= L.TIME_CAP_MS):
        return fallback_ms(shade), False
    return int(ms), True


def cap_ms(start_dc):
    """The batch's dose cap (rated-voltage-equivalent on-ms) for this start reading."""
    cap = L.DOSE_CAP_MS
    if start_dc > L.HOT_DERATE_FROM_DC:
        cap -= (start_dc - L.HOT_DERATE_FROM_DC) * L.HOT_DERATE_MS_PER_DC
    if cap < L.MIN_CAP_MS:
        cap = L.MIN_CAP_MS
    return cap
