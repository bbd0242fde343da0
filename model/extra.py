"""`toastguard train --extra LOGS`: the batch logs `toastguard pull-logs` writes (JSON
lines, one record per line, hil/logs.py), read and checked before any row reaches training.

The file is bounded and strictly UTF-8 (host_sim/scenario.read_text); every line must
be one record exactly as pull-logs writes it, each value of the right type and within
what a working board can log. Anything else raises ExtraLogError with one line naming
the file, the line and why: one bad row refuses the file, so nothing is trained on a
guess. Which of the good records make training rows is model/train.py's choice.
"""

import json
import math

from firmware import feedback, protocol
from firmware.features import FEATURES_V2, FROZEN_C, WIDTHS
from host_sim.scenario import read_text
from safety import limits
from safety.guard import EVENT_NAMES

# ~20,000 records of ~200 bytes: some 300 full pulls of the board's 64-record ring, years
# of toasting; reading and checking them takes about a second.
MAX_BYTES = 4 * 1024 * 1024
MAX_LINE = 4096  # characters; a record is ~200 (the board stores at most 199 bytes of it)
KEYS = ("n", "shade", "features", "predicted_s", "heater_on_s", "source", "events", "feedback")
SOURCES = ("model", "fallback")
FEEDBACK = tuple(feedback.NAMES.values())
# The time cap ends every batch; a longer step than the watchdog's resets the board.
HEATER_ON_S = (0.0, (limits.TIME_CAP_MS + limits.WATCHDOG_MS) / 1000.0)
# What the board can log at the press (firmware/features.py), not the training envelope:
# a real kitchen outside the simulated one is still a real batch.
SUPPLY_V = (limits.SUPPLY_MIN_PM * 100 / 1000.0, limits.SUPPLY_MAX_PM * 240 / 1000.0)  # rated 100-240 V
AMBIENT_C = (-20.0, 85.0)  # the RP2040's rated operating range (its die sensor is the ambient)
FEATURE_RANGES = dict(zip(FEATURES_V2, (
    (limits.SHADE_MIN, limits.SHADE_MAX),  # the dial's shade plus the learnt offset, clamped
    (10.0, 30.0),  # the slot's rated slices (the presets are 12-20 mm)
    (min(FROZEN_C, AMBIENT_C[0]), AMBIENT_C[1]),  # frozen, else the ambient
    (0.0, 1.0), (0.0, 1.0),  # water and sugar mass fractions
    (limits.SENSOR_MIN_DC / 10.0, limits.START_MAX_DC / 10.0),  # the guard starts no batch outside
    AMBIENT_C,
    SUPPLY_V,
    (limits.SURF_MIN_DC / 10.0, limits.SURF_MAX_DC / 10.0),  # the thermopile's calibrated range
    HEATER_ON_S,
)))


class ExtraLogError(ValueError):
    """Batch logs that cannot be trained on; the message is the one line the user sees."""


def read_extra(path):
    """The records of a pull-logs file, every one checked (blank lines skipped)."""
    text = read_text(path, MAX_BYTES, "batch logs", ExtraLogError)
    records = []
    # split on "\n" only: JSON strings may hold other line separators (U+2028)
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                records.append(check_record(_parse(line)))
            except ExtraLogError as e:
                raise ExtraLogError("%s: line %d: %s" % (path, number, e)) from None
    return records


def _parse(line):
    if len(line) > MAX_LINE:
        raise ExtraLogError("%d characters, at most %d (a record is one short JSON object)" % (len(line), MAX_LINE))
    try:
        return json.loads(line)
    except RecursionError:  # the decoder recurses once per level of nesting
        raise ExtraLogError("not JSON: arrays or objects nested too deeply") from None
    except ValueError as e:
        raise ExtraLogError("not JSON: %s" % e) from None


def check_record(record):
    """`record` if it is one pull-logs record with every value in range; else
    ExtraLogError saying which key and why."""
    if not isinstance(record, dict):
        raise ExtraLogError("a record is a JSON object, got %s" % _kind(record))
    for key in record:
        if key not in KEYS:
            raise ExtraLogError("key %s: unknown (expected %s)" % (_shown(key), ", ".join(KEYS)))
    for key in KEYS:
        if key not in record:
            raise ExtraLogError("key '%s': missing" % key)
    _integer(record, "n", 0, protocol.SEQ_MAX)
    _integer(record, "shade", limits.SHADE_MIN, limits.SHADE_MAX)
    _features(record["features"])
    _predicted(record["predicted_s"])
    _number("heater_on_s", record["heater_on_s"], *HEATER_ON_S)
    _choice(record, "source", SOURCES)
    _events(record["events"])
    _choice(record, "feedback", FEEDBACK)
    return record


def _integer(record, key, lo, hi):
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExtraLogError("key '%s': must be an integer, got %s" % (key, _kind(value)))
    if not lo <= value <= hi:
        raise ExtraLogError("key '%s': %s is outside %d-%d" % (key, _shown(value), lo, hi))


def _number(key, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExtraLogError("key '%s': must be a number, got %s" % (key, _kind(value)))
    if isinstance(value, float) and not math.isfinite(value):  # JSON lines may say NaN, Infinity, 1e999
        raise ExtraLogError("key '%s': must be a finite number, got %s" % (key, _shown(value)))
    if not lo <= value <= hi:
        raise ExtraLogError("key '%s': %s is outside %g-%g" % (key, _shown(value), lo, hi))


def _features(values):
    if values is None:  # the board logs none when no model was asked
        return
    if not isinstance(values, list) or len(values) not in WIDTHS:
        raise ExtraLogError("key 'features': must be null or an array of %s numbers, got %s"
                            % (" or ".join(map(str, WIDTHS)), _kind(values)))
    for i, (name, value) in enumerate(zip(FEATURES_V2, values)):
        _number("features[%d] (%s)" % (i, name), value, *FEATURE_RANGES[name])


def _predicted(value):
    # the model's first answer as logged, whatever its size (the guard bounds it, and it
    # is no training value); null when there was none, or it was NaN or infinite
    if value is not None:
        _number("predicted_s", value, -math.inf, math.inf)


def _choice(record, key, allowed):
    value = record[key]
    if value is not None and value not in allowed:
        raise ExtraLogError("key '%s': must be null or one of %s, got %s" % (key, ", ".join(allowed), _shown(value)))


def _events(names):
    if not isinstance(names, list):
        raise ExtraLogError("key 'events': must be an array of event names, got %s" % _kind(names))
    for name in names:
        if name not in EVENT_NAMES:
            raise ExtraLogError("key 'events': %s is not one of %s" % (_shown(name), ", ".join(EVENT_NAMES)))
    if len(set(names)) < len(names):
        raise ExtraLogError("key 'events': an event is named twice")


def _kind(value):
    """The JSON type of a parsed value, for a message (the value itself may be huge)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array of %d" % len(value)
    return "a number"


def _shown(value):
    """A value for a message: a scalar by repr (escaped, so one line) cut to 40
    characters; an array or object by its kind (its repr could be long or deep)."""
    if isinstance(value, (list, dict)):
        return _kind(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
