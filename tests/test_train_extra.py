"""`train --extra LOGS` (model/extra.py): pull-logs records are read back exactly, and
anything else in the file is one ExtraLogError line naming the file, the line and why."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware import hostport, protocol
from firmware.features import build_v2
from hil import host, logs
from model import extra, train
from safety.guard import EV_DONE, EV_START


def board_record(n=0, shade=4, asked=True, answer=151.37, on_ms=151400, events=EV_START | EV_DONE, fb=0):
    """A record as `toastguard pull-logs` writes it: the board's B payload (firmware/
    hostport.py) through the key=value text it is sent as, then hil/host.py and hil/logs.py."""
    features = build_v2((shade, 13.0, 0.38, 0.05, False), 220, 22.0, 230.0, None, 0) if asked else None
    batch = {"sh": shade, "x": hostport._floats(features), "p": hostport._answer(answer), "src": "model",
             "ev": events, "on": on_ms, "n": n}
    if fb is not None:  # the board adds it once the batch is rated
        batch["fb"] = fb
    return logs.record(host.parse_payload("B", protocol.fields(protocol.format_fields(batch))))


def pulled(tmp_path, records):
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records), encoding="utf-8")
    return path


def refused(path):
    with pytest.raises(extra.ExtraLogError) as caught:
        extra.read_extra(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)) and len(message) < 300 + len(str(path)), message
    return message


def test_a_pull_logs_file_round_trips(tmp_path):
    records = [board_record(0), board_record(1, fb=None), board_record(2, shade=6, answer=math.inf, fb=1),
               board_record(3, asked=False, answer=None, events=EV_START | 4)]
    assert records[2]["predicted_s"] is None  # a broken model's infinite answer
    assert records[3]["features"] is None  # no model asked
    path = pulled(tmp_path, records)
    path.write_text(path.read_text() + "\n\n")  # blank lines are skipped
    assert extra.read_extra(path) == records
    rows = train.usable_log_records(extra.read_extra(path))
    assert [y for _, y in rows] == [151.4]  # rated ok, ran its advised time


@pytest.mark.parametrize("line, needle", [
    ("not json", "line 2: not JSON"),
    ("[1, 2]", "line 2: a record is a JSON object, got an array of 2"),
    ('"n"', "line 2: a record is a JSON object, got a string"),
    ("null", "got null"),
    ("[" * 3000 + "]" * 3000, "line 2:"),
    (json.dumps(board_record(0)).replace('"n": 0', '"n": 1e999'), "line 2: key 'n': must be an integer, got a number"),
    ("x" * 5000, "line 2: 5000 characters, at most 4096"),
])
def test_lines_that_are_no_record(tmp_path, line, needle):
    path = pulled(tmp_path, [board_record(0)])
    path.write_text(path.read_text() + line + "\n")
    assert needle in refused(path)


def changed(key, value):
    record = board_record(0)
    record[key] = value
    return record


def feature(index, value):
    record = board_record(0)
    record["features"][index] = value
    return record


@pytest.mark.parametrize("record, needle", [
    (changed("heater_on_s", 1e30), "key 'heater_on_s': 1e+30 is outside 0-422"),
    (changed("heater_on_s", math.nan), "key 'heater_on_s': must be a finite number, got nan"),
    (changed("heater_on_s", -1.0), "key 'heater_on_s': -1.0 is outside"),
    (changed("heater_on_s", "151.4"), "key 'heater_on_s': must be a number, got a string"),
    (changed("heater_on_s", True), "must be a number, got true or false"),
    (changed("shade", 9), "key 'shade': 9 is outside 1-7"),
    (changed("shade", 4.0), "key 'shade': must be an integer"),
    (changed("n", -1), "key 'n': -1 is outside"),
    (changed("predicted_s", math.nan), "key 'predicted_s': must be a finite number, got nan"),
    (changed("predicted_s", -math.inf), "key 'predicted_s': must be a finite number, got -inf"),
    (changed("predicted_s", [1]), "key 'predicted_s': must be a number, got an array of 1"),
    (changed("features", [1.0] * 9), "key 'features': must be null or an array of 8 or 10 numbers, got an array of 9"),
    (changed("features", {"shade": 4}), "got an object"),
    (feature(7, 1e30), "key 'features[7] (supply_v)': 1e+30 is outside 80-264"),
    (feature(2, math.inf), "key 'features[2] (bread_start_c)': must be a finite number, got inf"),
    (feature(0, 1e30), "key 'features[0] (shade)': 1e+30 is outside 1-7"),
    (feature(9, None), "key 'features[9] (heater_on_s)': must be a number, got null"),
    (changed("events", ["start", "explode"]), "key 'events': 'explode' is not one of start, done"),
    (changed("events", ["start", "start"]), "key 'events': an event is named twice"),
    (changed("events", "start"), "key 'events': must be an array of event names, got a string"),
    (changed("events", [["start"]]), "key 'events': an array of 1 is not one of"),
    (changed("feedback", "meh"), "key 'feedback': must be null or one of too light, ok, too dark, got 'meh'"),
    (changed("source", "oracle\x1b[2J" + "x" * 100),
     "key 'source': must be null or one of model, fallback, got 'oracle\\x1b[2J"),
    (changed("colour", "brown"), "key 'colour': unknown"),
    ({k: v for k, v in board_record(0).items() if k != "events"}, "key 'events': missing"),
])
def test_rows_out_of_range_or_of_the_wrong_shape(tmp_path, record, needle):
    message = refused(pulled(tmp_path, [board_record(1), record]))
    assert "logs.jsonl: line 2: " in message and needle in message, message


@pytest.mark.parametrize("data, needle", [
    (b'{"n": 0}\n{"n": "\xff"}\n', "not UTF-8 (byte 0xff on line 2)"),
    (b"\x00\n", "a NUL byte on line 1"),
    (b"\xef\xbb\xbf{}\n", "byte-order mark"),
])
def test_bytes_that_are_no_text(tmp_path, data, needle):
    path = tmp_path / "logs.jsonl"
    path.write_bytes(data)
    assert needle in refused(path)


def test_only_a_bounded_regular_file_is_read(tmp_path):
    assert "not a regular file" in refused("/dev/zero")
    assert "no such file" in refused(tmp_path / "missing.jsonl")
    line = json.dumps(board_record(0)) + "\n"
    big = tmp_path / "big.jsonl"
    big.write_text(line * (extra.MAX_BYTES // len(line) + 1))
    assert "larger than 4096 KiB, the bound for batch logs" in refused(big)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=8)


@given(st.lists(st.one_of(JSON, st.builds(changed, st.sampled_from(extra.KEYS), JSON),  # one value off
                          st.builds(feature, st.integers(0, 9), JSON)), min_size=1, max_size=3))
def test_any_json_lines_read_or_give_one_line(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("logs") / "logs.jsonl"
    path.write_text("".join(json.dumps(v) + "\n" for v in values), encoding="utf-8")
    try:
        records = extra.read_extra(path)
    except extra.ExtraLogError as e:
        assert "\n" not in str(e) and str(e).startswith("%s: line " % path)
    else:
        train.usable_log_records(records)  # whatever passed, training can take
