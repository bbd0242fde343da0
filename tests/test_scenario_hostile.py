"""Hostile scenario files: whatever the bytes, the loader answers with a Scenario or one
ScenarioError line naming the file and why, at once (issue 14)."""

import os
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host_sim import scenario
from host_sim.cli import main

GOOD = 'name = "t"\n[[batch]]\nbread = "white"\n'
FAULT = '[[fault]]\nkind = "adc_noise"\nat_s = 36000\n'


def refused(path):
    """The ScenarioError message for `path`, checked to be one short line naming it."""
    with pytest.raises(scenario.ScenarioError) as caught:
        scenario.load(path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message and len(message) < 400 + len(str(path)), message
    assert message.startswith(str(path)), message
    return message


def write(tmp_path, data):
    path = tmp_path / "s.toml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize("text, needle", [
    ("x = " + "[" * 3000 + "]" * 3000 + "\n" + GOOD, "nested too deeply"),
    ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n" + GOOD, "nested too deeply"),
    ("name = " + "[" * 50 + "]" * 50 + "\n[[batch]]\n", "nested 51 deep"),
    (GOOD + "[[batch]]\nslot2 = { bread = { x = 1 } }\n", "nested 5 deep"),
    (GOOD + FAULT * (scenario.MAX_FAULTS + 1), "key 'fault': 51 entries, at most 50"),
    ('name = "t"\n' + '[[batch]]\n' * (scenario.MAX_BATCHES + 1), "key 'batch': 21 entries, at most 20"),
    ("seed = " + "9" * 4400 + "\n" + GOOD, "invalid TOML"),
    (GOOD + "[toaster]\nambient_c = " + "9" * 400 + "\n", "key 'toaster.ambient_c': 999999"),
    ('name = "a\\u001b[31mred"\n[[batch]]\n', "key 'name': character U+001B is not allowed"),
    ('name = "evil\\u202Etxt.exe"\n[[batch]]\n', "key 'name': character U+202E is not allowed"),
    ('name = "two\\nlines"\n[[batch]]\n', "key 'name': character U+000A"),
    ('name = "%s"\n[[batch]]\n' % ("n" * (scenario.NAME_MAX + 1)), "key 'name': 81 characters, at most 80"),
    (GOOD + '[model]\npath = "m\\u0000.onnx"\n', "key 'model.path': character U+0000"),
    ('"a\\nb\\u001b" = 1\n' + GOOD, "key 'a\\nb\\x1b': unknown"),
    (GOOD + '"%s" = 1\n' % ("q" * 5000), "key 'batch[0].qqqqqqqqqqqqqqqqq...qqqqqqqqqqqqqqqqqq': unknown"),
    (GOOD + '[[fault]]\nkind = "%s"\nat_s = 1\n' % ("k" * 10000), "key 'fault[0].kind': 10000 characters"),
    ('name = "%s"\n[[batch]]\n' % ("x" * 5000), "5000 characters"),
    ("name = [%s]\n[[batch]]\n" % ", ".join(['"%s"' % ("y" * 100)] * 50), "must be a non-empty string, got ["),
])
def test_hostile_text_is_one_line(tmp_path, text, needle):
    assert needle in refused(write(tmp_path, text))


@pytest.mark.parametrize("data, needle", [
    (b'name = "t"\n[[batch]]\nbread = "wh\xffite"\n', "not UTF-8 (byte 0xff on line 3)"),
    (b'name = "t"\n\x00[[batch]]\n', "a NUL byte on line 2"),
    (b"\xef\xbb\xbf" + GOOD.encode(), "byte-order mark"),
    (GOOD.encode("utf-16"), "byte-order mark"),
])
def test_bad_bytes_are_one_line(tmp_path, data, needle):
    assert needle in refused(write(tmp_path, data))


def test_only_a_bounded_regular_file_is_read(tmp_path):
    t0 = time.monotonic()
    assert "not a regular file" in refused("/dev/zero")
    assert "not a regular file" in refused(tmp_path)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in refused(fifo)  # without waiting for a writer
    padded = GOOD + "#" * (scenario.MAX_BYTES - len(GOOD) - 1) + "\n"
    assert scenario.load(write(tmp_path, padded)).name == "t"
    assert "larger than 64 KiB" in refused(write(tmp_path, padded + "\n"))
    assert time.monotonic() - t0 < 5.0


def test_the_bounds_still_take_the_largest_scenario_the_schema_allows(tmp_path):
    batch = ('[[batch]]\nbread = "brioche"\nfrozen = true\nshade = 7\nthickness_mm = 30.0\n'
             'start_after_s = 3600.0\nslot2 = { bread = "gluten-free", frozen = true, thickness_mm = 10.0 }\n')
    fault = '[[fault]]\nkind = "surface_drift"\nat_s = 35999.9\nduration_s = 36000.0\nslot = 2\nseverity = 1.0\n'
    text = ('name = "%s"\nseed = 4294967295\n[model]\npath = "%s"\n' % ("n" * scenario.NAME_MAX, "p" * 200)
            + batch * scenario.MAX_BATCHES + fault * scenario.MAX_FAULTS)
    assert len(text) < scenario.MAX_BYTES // 4
    sc = scenario.load(write(tmp_path, text))
    assert len(sc.batches) == scenario.MAX_BATCHES and len(sc.faults) == scenario.MAX_FAULTS
    assert scenario.load(write(tmp_path, sc.to_toml())).to_toml() == sc.to_toml()


def test_ten_thousand_faults_are_refused_at_once():
    data = {"name": "t", "batch": [{}], "fault": [{"kind": "adc_noise", "at_s": 36000.0}] * 10000}
    t0 = time.monotonic()
    with pytest.raises(scenario.ScenarioError, match="at most 50"):
        scenario.parse(data)
    assert time.monotonic() - t0 < 1.0


def test_a_printable_name_of_any_script_is_kept(tmp_path):
    name = "Röstbrot 焼き [bold]$x$ " + "é" * 50
    assert scenario.load(write(tmp_path, GOOD.replace('"t"', '"%s"' % name))).name == name


@pytest.mark.parametrize("data", [
    "x = " + "[" * 3000 + "]" * 3000 + "\n",
    b"\xff\xfe\x00",
    GOOD + FAULT * 60,
])
def test_the_cli_says_one_line_and_exits_2(tmp_path, capsys, data):
    path = write(tmp_path, data)
    assert main(["sim", str(path)]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err


VALID = GOOD.encode() + b'[toaster]\nambient_c = 22.0\n[[fault]]\nkind = "lens_fouled"\nat_s = 1.0\nslot = 1\n'


@given(st.one_of(
    st.binary(max_size=200),
    # the valid file with a stretch of it replaced by arbitrary bytes
    st.tuples(st.integers(0, len(VALID)), st.integers(0, 20), st.binary(max_size=20)).map(
        lambda c: VALID[:c[0]] + c[2] + VALID[c[0] + c[1]:]),
    st.text(alphabet="[]{}=,\"'abc1.\n #", max_size=300).map(str.encode),
))
def test_any_bytes_load_or_give_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("any") / "s.toml"
    path.write_bytes(data)
    try:
        scenario.load(path)
    except scenario.ScenarioError as e:
        assert "\n" not in str(e) and "\r" not in str(e) and str(e).startswith(str(path))
