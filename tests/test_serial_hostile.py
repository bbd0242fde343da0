"""A buggy or hostile board on a real pty: CRC-valid lines with missing keys, wrong types,
markup, oversized lines, a stale hello, an answer for the wrong time. `monitor`,
`pull-logs` and `hil` read it through pyserial, the CLI and the host's parsers as they
read a Pico: each either carries on with nothing lost or stops with one line on stderr
and exit 2, never a traceback.

The board is a thread on the pty's master end that frames its lines with
firmware/protocol.py; only what it says is scripted."""

import json
import os
import select
import threading
import time
import tty

import pytest

from firmware import protocol
from hil import host, logs
from host_sim.cli import main
from safety import limits, thermistor
from safety.guard import EVENT_NAMES, MODE_NAMES

SESSION = 4242
FEATURES = ",".join(["4.00"] * 8)
BAD_AT = 2  # the stream's message that the script spoils (0-based)
RECORDS = 5
MARKUP = "[bold red]BOOM[/] [/] [link=file:///etc/passwd]click[/link]"


def t_msg(i):
    return {"t": i * 100, "dc": 220, "h": 0, "l": 0, "m": 0, "f": 0, "ev": 0, "rej": 0, "os": 0}


def b_msg(n):
    return {"n": n, "sh": 4, "x": FEATURES, "p": "120.00", "on": 120000, "src": "model", "ev": 3}


def a_msg(t):
    return {"t": t, "h": 0, "l": 0, "led": 0, "m": 0, "f": 0, "ev": 0, "dc": 220, "rej": 0}


# Per kind: the key a "missing" board leaves out, and the key and value a "wrong" one sends.
SPOIL_KEY = {"T": "dc", "B": "on", "A": "led"}
SPOIL_VALUE = {"T": ("dc", "abc"), "B": ("on", "1.5"), "A": ("h", "yes")}


class HostileBoard:
    """Answers the host's lines as a board would, spoiling one of them as `how` says:
    "missing" (a key dropped), "wrong" (a value of the wrong type), "markup" (an M line
    of rich markup first), "oversize" (overlong lines first), "stale" (a hello of an
    earlier session before the real one), "late" (an A answering the previous frame),
    "advice" (a malformed advice message), "endless" (100 kB without a newline before
    the hello), "vanish" (the line goes dead instead), None (nothing); only messages of
    kind `target`, and only after `clean_sessions` sessions."""

    def __init__(self, how=None, target="T", clean_sessions=0):
        self.spoil, self.target, self.clean_sessions = how, target, clean_sessions
        self.hil = 1 if target == "A" else 0
        self.how = None
        self.seq = 0
        self.sessions = 0
        self.frames = 0
        self.last_t = None
        self._stop = threading.Event()

    def __enter__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return os.ttyname(self.slave)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(5)
        if self.master is not None:
            os.close(self.master)
        os.close(self.slave)

    def _serve(self):
        buf = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            buf += os.read(self.master, 4096)
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                kind, _, payload = protocol.decode(line)
                os.write(self.master, b"".join(self.answer(kind, payload)))
                if self.how == "vanish" and kind != "P":
                    time.sleep(0.5)  # what was sent is read; a hang-up drops what is not
                    os.close(self.master)  # unplugged: the host's end of the pty reads EIO
                    self.master = None
                    return

    def line(self, kind, payload):
        self.seq += 1
        return protocol.encode(kind, self.seq, payload)

    def answer(self, kind, payload):
        if kind == "P":
            return self.hello(int(payload["nonce"]))
        if kind == "L" and self.how == "vanish":
            return self.stream("B", b_msg, BAD_AT)
        if kind == "L":
            return self.stream("B", b_msg, RECORDS) + [self.line("Z", {"sent": RECORDS, "count": RECORDS})]
        self.frames += 1
        t = int(payload["t"])
        answered = self.last_t if self.how == "late" and self.frames == BAD_AT + 1 else t
        self.last_t = t
        out = [self.line("M", "advice [red]1[/] 2")] if self.how == "advice" and self.frames == BAD_AT + 1 else []
        return out + self.spoiled("A", a_msg(answered), self.frames - 1)

    def hello(self, nonce):
        self.sessions += 1
        self.how = self.spoil if self.sessions > self.clean_sessions else None
        self.frames = 0
        hello = {"v": protocol.VERSION, "hil": self.hil, "batches": RECORDS, "ses": SESSION, "nonce": nonce,
                 "t": -1 if self.last_t is None else self.last_t}
        first = []
        if self.how == "stale":
            first = [self.line("H", dict(hello, ses=1111, nonce=nonce + 1))]
        elif self.how == "endless":
            first = [b"z" * 100000 + b"\n"]
        return first + [self.line("H", hello)] + ([] if self.hil else self.stream("T", t_msg, 35))

    def stream(self, kind, make, count):
        return [line for i in range(count) for line in self.spoiled(kind, make(i), i)]

    def spoiled(self, kind, payload, i):
        if i != BAD_AT or kind != self.target:
            return [self.line(kind, payload)]
        if self.how == "missing":
            del payload[SPOIL_KEY[kind]]
        elif self.how == "wrong":
            key, value = SPOIL_VALUE[kind]
            payload[key] = value
        elif self.how == "markup":
            return [self.line("M", MARKUP), self.line(kind, payload)]
        elif self.how == "oversize":
            return [b"TG2 M 9 " + b"x" * 5000 + b"\n", self.line("M", "y")[:-1] + b"y" * 300 + b"\n",
                    self.line(kind, payload)]
        return [self.line(kind, payload)]


def one_line(err):
    return err.count("\n") == 1 and "Traceback" not in err


FATAL = {"missing": "no %s", "wrong": "%s=%r is not"}
CLASSES = ("missing", "wrong", "markup", "oversize", "stale")


# --- monitor -----------------------------------------------------------------------------
@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", CLASSES)
def test_monitor_against_a_hostile_board(how, capsys):
    with HostileBoard(how) as port:
        code = main(["monitor", "--port", port, "--seconds", "1.5"])
    out, err = capsys.readouterr()
    rows = [line for line in out.splitlines() if "| idle" in line]
    assert rows and rows[0].split()[0] == "0.0"  # what arrived before the bad line is shown
    if how in FATAL:
        key, value = SPOIL_VALUE["T"] if how == "wrong" else (SPOIL_KEY["T"], None)
        assert code == 2 and one_line(err) and "bad T message from the board" in err
        assert (FATAL[how] % ((key,) if value is None else (key, value))) in err
        return
    assert code == 0 and err == ""
    assert [r.split()[0] for r in rows] == ["0.0", "1.0", "2.0", "3.0"]  # every tenth tick, none lost
    if how == "markup":
        assert "log " + MARKUP in out  # shown as the text it is
    if how == "oversize":
        assert "dropped board lines: 2 oversized" in out


# --- pull-logs ---------------------------------------------------------------------------
@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", CLASSES)
def test_pull_logs_against_a_hostile_board(how, tmp_path, capsys):
    out = tmp_path / "logs.jsonl"
    with HostileBoard(how, "B") as port:
        code = main(["pull-logs", "--port", port, "--out", str(out)])
    err = capsys.readouterr().err
    assert one_line(err)
    if how in FATAL:
        assert code == 2 and "bad B message from the board" in err
        return
    assert code == 0 and "%d batch records" % RECORDS in err
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == list(range(RECORDS))


@pytest.mark.timeout(30)
@pytest.mark.timeout(30)
@pytest.mark.parametrize("how, needle", [("missing", "B message"), ("wrong", "B message"), ("vanish", "cannot read")])
def test_a_pull_that_fails_is_one_line_and_keeps_the_records_that_arrived(how, needle):
    with HostileBoard(how, "B") as port:
        link = host.HostLink(port)
        try:
            with pytest.raises(logs.PartialLog) as e:
                logs.pull(link)
        finally:
            link.close()
    assert [r["n"] for r in e.value.records] == list(range(BAD_AT))
    assert isinstance(e.value, host.LinkError) and needle in str(e.value) and "\n" not in str(e.value)


@pytest.mark.timeout(30)
def test_pull_logs_writes_the_records_that_arrived_before_the_error(tmp_path, capsys):
    out = tmp_path / "logs.jsonl"
    with HostileBoard("missing", "B") as port:
        assert main(["pull-logs", "--port", port, "--out", str(out)]) == 2
    assert one_line(capsys.readouterr().err)
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == list(range(BAD_AT))


# --- hil ---------------------------------------------------------------------------------
TINY = """name = "tiny"
seed = 1
[[batch]]
bread = "white"
shade = 4
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", CLASSES + ("late", "advice"))
def test_hil_against_a_hostile_board(how, tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "hil.json"
    with HostileBoard(how, "A") as port:
        code = main(["hil", "--port", port, str(tmp_path / "tiny.toml"), "--json", str(out)])
    err = capsys.readouterr().err
    if how in ("missing", "wrong", "late", "advice"):
        why = {"missing": "bad A message from the board: no led",
               "wrong": "bad A message from the board: h='yes'",
               "late": "the board's answer to the frame at t=200 ms is for t=100 ms",
               "advice": "bad M message from the board: malformed advice"}[how]
        assert code == 2 and one_line(err) and why in err
        assert not out.exists()
        return
    assert code == 0 and err == ""
    [result] = json.loads(out.read_text())
    assert result["scenario"] == "tiny" and len(result["batches"]) == 1 and result["watchdog_resets"] == 0


@pytest.mark.timeout(60)
def test_hil_keeps_the_results_of_the_scenarios_before_a_link_error(tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "hil.json"
    with HostileBoard("missing", "A", clean_sessions=1) as port:  # it goes bad in the second scenario
        code = main(["hil", "--port", port, str(tmp_path / "tiny.toml"), str(tmp_path / "tiny.toml"),
                     "--json", str(out)])
    assert code == 2 and one_line(capsys.readouterr().err)
    assert [r["scenario"] for r in json.loads(out.read_text())] == ["tiny"]


# --- the host's parsers, line by line ---------------------------------------------------------
GOOD = {"H": {"v": "2", "hil": "1", "batches": "3", "ses": "7", "nonce": "9", "t": "-1"},
        "T": {k: str(v) for k, v in t_msg(1).items()},
        "A": {k: str(v) for k, v in a_msg(100).items()},
        "B": {k: str(v) for k, v in b_msg(0).items()},
        "Z": {"sent": "1", "count": "1"}}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_key_of_every_kind_is_required_and_typed(kind):
    assert set(host.parse_payload(kind, GOOD[kind])) == set(GOOD[kind])
    for key in GOOD[kind]:
        missing = {k: v for k, v in GOOD[kind].items() if k != key}
        with pytest.raises(ValueError, match="^no %s$" % key):
            host.parse_payload(kind, missing)
        for bad in ("x", "1.5", "99999999999", "[b]1[/b]"):
            if (kind, key) == ("B", "p") and bad[0].isdigit():
                continue  # a number where a number (the model's answer) belongs
            with pytest.raises(ValueError, match="^%s=" % key):
                host.parse_payload(kind, dict(GOOD[kind], **{key: bad}))
    with pytest.raises(ValueError, match="unknown key 'zz'"):
        host.parse_payload(kind, dict(GOOD[kind], zz="1"))


DC_MIN, DC_MAX = thermistor.adc_to_dc(thermistor.ADC_MAX), thermistor.adc_to_dc(thermistor.ADC_MIN)
HEATER_MS = limits.TIME_CAP_MS + limits.WATCHDOG_MS


@pytest.mark.parametrize("kind, key, value, why", [
    ("T", "dc", "-", None), ("T", "dc", str(DC_MAX), None), ("T", "dc", str(DC_MAX + 1), "out of range"),
    ("T", "dc", str(DC_MIN - 1), "out of range"), ("T", "m", str(len(MODE_NAMES)), "out of range"),
    ("T", "os", "-5", "out of range -4..4"), ("T", "t", str(1 << 30), "out of range"),
    ("A", "ev", str(1 << len(EVENT_NAMES)), "out of range"), ("H", "v", "1", "out of range 2..2"),
    ("H", "ses", "0", "out of range"), ("H", "t", "-2", "out of range"),
    ("B", "p", "inf", None), ("B", "p", "1e+30", None), ("B", "p", "nan", "is not a number"),
    ("B", "x", "1,2", "has 2 features"), ("B", "x", ",".join(["1.00"] * 10), None),
    ("B", "x", ",".join(["nan"] * 8), "is not a number"), ("B", "fb", "2", "out of range"),
    ("B", "src", "[red]model[/red]", "is not one of model, fallback"), ("B", "sh", "8", "out of range 1..7"),
    ("B", "on", str(HEATER_MS), None), ("B", "on", str(HEATER_MS + 1), "out of range"),
    ("Z", "sent", "65", "out of range"),
])
def test_values_are_checked_against_their_ranges(kind, key, value, why):
    payload = dict(GOOD[kind], **{key: value})
    if why is None:
        host.parse_payload(kind, payload)
    else:
        with pytest.raises(ValueError, match=why):
            host.parse_payload(kind, payload)


def test_the_host_refuses_its_own_kinds_and_malformed_advice():
    with pytest.raises(ValueError, match="host's kind"):
        host.parse_payload("S", {"t": "1"})
    for text in ("advice 146.38 2", "advice None 0", "advice inf 3", "advice 1e+30 4", "reset cause 1", MARKUP):
        host.check_advice(text)
    for text in ("advice 1", "advice x 2", "advice 1 2 3", "advice 1 -2", "advice [b]1[/b] 2"):
        with pytest.raises(ValueError, match="malformed advice"):
            host.check_advice(text)


@pytest.mark.timeout(30)
def test_an_endless_line_is_dropped_and_memory_stays_bounded():
    with HostileBoard("endless") as port:
        link = host.HostLink(port)
        longest = []
        read = link._read

        def watched():
            read()
            longest.append(len(link._buf))

        link._read = watched
        try:
            hello = link.start()
        finally:
            link.close()
    assert hello["ses"] == SESSION and link.rejected == {"oversized": 1}
    assert max(longest) <= protocol.MAX_LINE + 4096  # a line's worth and one read, never the 100 kB
