"""HIL over a real pty: the Pico image on the MicroPython VM behind pyserial, lock-step
with the plant; hostile serial input; the batch log, feedback and the round trip into
training."""

import contextlib
import copy
import json
import time

import pytest

from firmware import feedback, protocol
from firmware.batchlog import SLOT_BYTES, SLOTS, BatchLog
from hil import host, logs
from hil.serial_board import SerialBoard
from host_sim import mpvm, scenario
from host_sim.cli import main
from host_sim.rig import adc_counts
from host_sim.sensing import raw_word
from host_sim.runner import simulate

needs_vm = pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")


def frame(t, lever=0, counts=None, seen_c=200.0):
    """A sensor frame at t ms: the chamber at 22 C, both thermopiles seeing seen_c (the
    200 C tab while the carriage is up) with a live sensor's noise."""
    noise = t // 100 % 2
    return {"t": t, "adc": counts if counts is not None else int(round(adc_counts(22.0))), "lever": lever,
            "mains": 1000, "shade": 4, "bread": 0, "frozen": 0, "amb": 220,
            "s1": raw_word(seen_c) + noise, "s2": raw_word(seen_c) + noise, "b1": raw_word(25.0),
            "b2": raw_word(25.0), "ref": int(round(adc_counts(200.0))), "fan": 1}


@needs_vm
@pytest.mark.timeout(240)
def test_hil_virtual_runs_the_default_scenario_through_pyserial(tmp_path, capsys):
    out = tmp_path / "hil.json"
    assert main(["hil", "--virtual", "--json", str(out)]) == 0
    [result] = json.loads(out.read_text())
    assert not result["hazard"] and result["invariant_violations"] == []
    assert [b["source"] for b in result["batches"]] == ["model"] * 3
    expected, _ = simulate(scenario.load(scenario.DEFAULT_PATH))
    assert [b["shade_achieved"] for b in result["batches"]] == [b["shade_achieved"] for b in expected["batches"]]


@needs_vm
@pytest.mark.timeout(240)
def test_hil_virtual_survives_a_watchdog_reset():
    sc = scenario.load(scenario.DEFAULT_PATH)
    sc.batches = sc.batches[:1]
    sc.faults = [scenario.Fault("loop_stall", 50.0, 10.0)]
    result, _ = host.run_scenario(sc, virtual=True)
    assert result["watchdog_resets"] == 1 and not result["hazard"]


def hostile(seq, session):
    """Lines that must each be rejected once, numbered from the host's next seq."""
    return [
        b"garbage without framing\n",
        b"x" * 1000 + b"\n",  # oversized
        protocol.encode("S", seq, dict(frame(0), ses=session))[:-4] + b"0000\n",  # wrong CRC
        b"TG2 Q %d a=1*" % seq + protocol.crc(b"TG2 Q %d a=1" % seq).encode() + b"\n",  # unknown kind
        protocol.encode("A", seq, {"h": 1, "ses": session}),  # a board-to-host kind: in sequence, not allowed
        protocol.encode("S", seq, {"t": 1, "adc": 99999, "ses": session}),  # an out-of-range frame
    ]


@contextlib.contextmanager
def session(hil):
    """A virtual board on a pty and an open host link to it, past the hello."""
    with SerialBoard(hil=hil) as port:
        link = host.HostLink(port)
        try:
            assert link.start()["hil"] == (1 if hil else 0)
            yield link
        finally:
            link.close()


@needs_vm
@pytest.mark.timeout(120)
def test_hostile_input_is_rejected_counted_and_never_heats():
    with session(hil=True) as link:
        link.send("S", frame(0))
        assert link.wait_for("A")["h"] == 0
        t = 100
        for i in range(len(hostile(0, 0))):
            bad = hostile(link.seq + 1, link.session)[i]
            link.ser.write(bad)
            if bad.startswith(b"TG2 A") or b"99999" in bad:  # in sequence: the host's count moves on
                link.seq = protocol.decode(bad)[1]
            expected = i + 1
            link.send("S", frame(t))  # carriage up: nothing may heat
            answer = link.wait_for("A")
            assert answer["h"] == 0 and answer["rej"] == expected
            t += 100
        link.ser.write(protocol.encode("S", 5, dict(frame(t), ses=link.session)))  # a replay of an old seq
        link.ser.write(b"x\n" * 30)  # a burst: 8 lines a poll are read (and refused), the rest dropped
        time.sleep(0.5)
        link.send("S", frame(t))
        answer = link.wait_for("A")
        assert answer["rej"] == len(hostile(0, 0)) + 1 + 30 and answer["h"] == 0 and answer["m"] == 0


def heat(link, until_t):
    """Frames from t=0: the reference check with the carriage up, then the lever down on a
    30 C slice; the answers, once heating, up to until_t."""
    answers = []
    for t in range(0, until_t + 1, 100):
        lever = 1 if t >= 1000 else 0
        link.send("S", frame(t, lever, seen_c=30.0 if lever else 200.0))
        answers.append(link.wait_for("A"))
    assert answers[-1]["m"] == 2 and answers[-1]["h"] == 1  # heating
    return answers


@needs_vm
@pytest.mark.timeout(120)
def test_hil_refuses_a_frame_clock_that_runs_backwards_stands_or_leaps():
    with session(hil=True) as link:
        answers = heat(link, 1500)
        first_on = next(a["t"] for a in answers if a["h"])
        for t in (500, 1500, 1500 + 2001):  # backwards, standing still, a leap no loop can take
            link.send("S", frame(t, 1, seen_c=30.0))
        link.send("S", frame(1600, 1, seen_c=30.0))
        a = link.wait_for("A")  # the refused frames got no answer: the first is the good frame's
        assert (a["t"], a["rej"]) == (1600, 3)
        assert (a["m"], a["f"], a["ev"]) == (2, 0, 0)  # the guard never stepped on them: no stall, no trip
        link.send("S", frame(1700, 0))  # the carriage up: the batch ends, its record comes first
        _, record = link.next_of("BA", 10)
        assert record["on"] == 1700 - first_on  # heater time from the good steps alone, none lost
        assert link.wait_for("A")["h"] == 0
        link.send("S", frame(1700 + 2000, 0))  # the longest step a loop can take is still a step
        assert link.wait_for("A")["t"] == 3700


@needs_vm
@pytest.mark.timeout(120)
def test_a_line_replayed_after_a_new_session_is_refused():
    with session(hil=True) as link:
        pull = protocol.encode("L", link.seq + 1, {"from": 0, "ses": link.session})
        link.seq += 1
        link.ser.write(pull)
        assert link.wait_for("Z") == {"sent": 0, "count": 0}
        old_session = link.session
        link.start()  # a new session: the host numbers its lines from 1 again
        assert link.session != old_session
        link.ser.write(pull)  # seq 1 is fresh in this session; its session is not
        link.send("S", frame(0))
        kind, a = link.next_of("ZA", 10)
        assert kind == "A" and a["rej"] == 1  # no Z: the old pull was not served again
        link.ser.write(protocol.encode("P", 0, {"nonce": 12345}))  # someone's (or a replayed) Ping
        link.send("S", frame(100))
        with pytest.raises(host.LinkError, match="left this session"):  # the host says so, in one line
            link.wait_for("A")


FRAME_CLOCK = [((1 << 30) - 50, "ok"), (50, "ok"), ((1 << 30) - 10, "time"), (150, "ok"), (150, "time"),
               (149, "time"), (2150, "ok"), (4151, "time"), (4150, "ok"), ("adc", "payload"), (4250, "ok")]
TAKE_FRAMES = """
def outcomes(port, clock, frame):
    out = []
    for t, _ in clock:
        payload = dict(frame, t=str(t)) if t != "adc" else dict(frame, adc="4096")
        try:
            out.append("ok" if port.take_frame(payload)["t"] == t else "wrong")
        except protocol.Reject as e:
            out.append(e.reason)
    return out
"""


def test_hil_frame_clock_bounds_and_wrap():
    from firmware.hostport import HostPort
    namespace = {"protocol": protocol}
    exec(TAKE_FRAMES, namespace)
    fields = {k: str(v) for k, v in frame(0).items()}
    assert namespace["outcomes"](HostPort(None, None, None), FRAME_CLOCK, fields) == [o for _, o in FRAME_CLOCK]


@needs_vm
def test_the_vm_takes_frames_as_cpython_does():
    fields = {k: str(v) for k, v in frame(0).items()}
    code = ("import sys\nsys.path.insert(0, '/')\nfrom firmware import protocol\n"
            "from firmware.hostport import HostPort\n" + TAKE_FRAMES +
            "print(outcomes(HostPort(None, None, None), %r, %r))\n" % (FRAME_CLOCK, fields))
    out = mpvm.run(code, mpvm.board_files("firmware", "safety"))
    assert out.strip() == repr([o for _, o in FRAME_CLOCK])


@needs_vm
@pytest.mark.timeout(120)
def test_sensor_frames_are_refused_outside_hil_mode():
    with session(hil=False) as link:
        for i in range(3):
            link.send("S", frame(i * 100, lever=1))
        deadline = time.monotonic() + 10
        telemetry = link.wait_for("T")
        while telemetry["rej"] != 3 and time.monotonic() < deadline:
            telemetry = link.wait_for("T")
        assert telemetry["rej"] == 3 and telemetry["h"] == 0 and telemetry["m"] == 0


@needs_vm
@pytest.mark.timeout(300)
def test_batch_logs_round_trip_into_training(tmp_path, capsys):
    sc = scenario.load(scenario.DEFAULT_PATH)
    sc.batches[0].shade = 2  # a batch that runs the model's whole time, so training can use it
    expected = simulate(copy.deepcopy(sc))[0]["batches"][0]
    with SerialBoard(hil=True) as port:
        link = host.HostLink(port)
        try:
            result, _ = host.run_scenario(sc, link=link)
            assert len(result["batches"]) == 3
            hello = link.start()  # a new session: the frame clock runs on from the scenario's
            assert hello["t"] == int(result["sim_s"] * 1000) - 100 and hello["batches"] == 3
            link.send("F", {"n": 0, "v": feedback.OK})
            link.send("F", {"n": 2, "v": feedback.TOO_DARK})  # the latest: teaches the offset
            link.send("F", {"n": 99, "v": 0})  # no such batch: refused
            link.send("S", frame(hello["t"] + 100))
            assert link.wait_for("A")["rej"] == 1
        finally:
            link.close()
        out = tmp_path / "logs.jsonl"
        assert main(["pull-logs", "--port", port, "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["n"] for r in records] == [0, 1, 2]
    assert [r["feedback"] for r in records] == ["ok", None, "too dark"]
    first = records[0]
    assert first["source"] == "model" and first["heater_on_s"] == pytest.approx(expected["heater_on_s"], abs=0.1)
    assert len(first["features"]) == 10 and first["features"][0] == 2.0
    assert first["predicted_s"] == pytest.approx(expected["predicted_s"], abs=0.01)
    assert main(["train", "--out", str(tmp_path), "--samples", "60", "--jobs", "1", "--extra", str(out)]) == 0
    manifest = json.loads((tmp_path / "toast_time.manifest.json").read_text())
    assert manifest["dataset"]["extra_records"] == 1
    assert "1 of 3 logged batches used" in capsys.readouterr().out


def test_train_extra_refuses_a_broken_log_file(tmp_path, capsys):
    bad = tmp_path / "logs.jsonl"
    bad.write_text('{"n": 0}\nnot json\n')
    assert main(["train", "--out", str(tmp_path), "--samples", "60", "--extra", str(bad)]) == 2
    assert "logs.jsonl: line 1: key 'shade': missing" in capsys.readouterr().err


def test_hil_port_that_does_not_exist_is_one_line(tmp_path, capsys):
    assert main(["hil", "--port", str(tmp_path / "ttyACM9")]) == 2
    err = capsys.readouterr().err
    assert "cannot open" in err and err.count("\n") == 1


# --- the batch log and feedback, on the host --------------------------------------------------
def test_batch_log_is_a_bounded_ring_that_survives_a_reboot(tmp_path):
    path = str(tmp_path / "batchlog.bin")
    log = BatchLog(path)
    for i in range(SLOTS + 5):
        assert log.append({"sh": 4, "on": i}) == i
    assert (tmp_path / "batchlog.bin").stat().st_size == (SLOTS + 1) * SLOT_BYTES
    assert log.record(4) is None and log.record(5)["on"] == "5" and log.record(SLOTS + 5) is None
    log.update(SLOTS + 4, {"sh": 4, "on": 1, "fb": 0})
    log.set_offset(-3)
    again = BatchLog(path)
    assert (again.count, again.offset_q) == (SLOTS + 5, -3) and again.record(SLOTS + 4)["fb"] == "0"


def test_a_corrupt_batch_log_is_reformatted(tmp_path):
    path = tmp_path / "batchlog.bin"
    path.write_bytes(b"\xff" * 50)
    assert BatchLog(str(path)).count == 0 and path.stat().st_size == (SLOTS + 1) * SLOT_BYTES


def test_feedback_offset_is_bounded_to_one_shade():
    f = feedback.Feedback()
    for _ in range(10):
        f.learn(feedback.TOO_LIGHT)
    assert f.offset_q == feedback.MAX_OFFSET_Q and f.shade_for_model(4) == 5.0 and f.shade_for_model(7) == 7.0
    for _ in range(20):
        f.learn(feedback.TOO_DARK)
    assert f.offset_q == -feedback.MAX_OFFSET_Q and f.shade_for_model(1) == 1.0
    assert [feedback.verdict_of_presses(n) for n in range(5)] == [None, -1, 0, 1, 1]
    assert feedback.Feedback(99).offset_q == feedback.MAX_OFFSET_Q


def test_pull_log_records_parse():
    x = "5.00,13.00,22.00,0.35,0.04,22.00,22.00,230.00"
    r = logs.record(host.parse_payload("B", {"n": "3", "sh": "5", "x": x, "p": "-", "on": "1500",
                                             "src": "fallback", "ev": "257", "fb": "1"}))
    assert r == {"n": 3, "shade": 5, "features": [5.0, 13.0, 22.0, 0.35, 0.04, 22.0, 22.0, 230.0],
                 "predicted_s": None, "heater_on_s": 1.5, "source": "fallback", "events": ["start", "fallback"],
                 "feedback": "too dark"}


class _Guard:
    def __init__(self, mode, events, on_ms=0):
        self.mode, self.events, self.on_ms = mode, events, on_ms
        self.shade, self.pending_from_model, self.reading_dc = 4, True, 220


class _Ctl:
    def __init__(self, guard):
        self.guard, self.last_features, self.last_answer = guard, [4.0] * 8, 120.0


def test_feedback_button_presses_rate_the_last_batch(tmp_path):
    from firmware.hostport import PRESS_SETTLE_MS, HostPort
    from firmware.link import Link
    from safety.guard import EV_DONE, EV_START, HEATING, IDLE
    from tests.test_protocol import Pipe

    pipe = Pipe([])
    log = BatchLog(str(tmp_path / "batchlog.bin"))
    fb = feedback.Feedback()
    port = HostPort(Link(pipe), log, fb)
    port.after_tick(_Ctl(_Guard(HEATING, EV_START)), 0, 0)
    port.after_tick(_Ctl(_Guard(IDLE, EV_DONE, on_ms=120000)), 0, 100)
    assert log.count == 1 and b"TG2 B " in pipe.sent
    port.after_tick(_Ctl(_Guard(IDLE, 0)), 1, 1000)  # one press: too light...
    port.after_tick(_Ctl(_Guard(IDLE, 0)), 0, 1000 + PRESS_SETTLE_MS - 100)  # ...still counting
    assert "fb" not in log.record(0)
    port.after_tick(_Ctl(_Guard(IDLE, 0)), 0, 1000 + PRESS_SETTLE_MS)
    assert log.record(0)["fb"] == "-1" and fb.offset_q == 1 and BatchLog(log.path).offset_q == 1
    assert log.record(0)["on"] == "120000" and log.record(0)["x"] == ",".join(["4.00"] * 8)


@needs_vm
@pytest.mark.timeout(60)
def test_monitor_shows_live_telemetry(capsys):
    assert main(["monitor", "--virtual", "--seconds", "2.5"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "| idle" in line]
    assert len(rows) >= 2 and "22.0" in rows[0] and "hello" in out
