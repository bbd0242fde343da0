"""The serial protocol: framing, every rejection reason, bounds, sessions against replay,
and a Hypothesis fuzz of the parser and the line assembler (CPython), with the VM decoding
the same lines alike."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware import protocol
from firmware.link import MAX_LINES_PER_POLL, Link
from host_sim import mpvm

GOOD = protocol.encode("S", 7, {"t": 100, "adc": 2718})


def reason(line):
    with pytest.raises(protocol.Reject) as e:
        protocol.decode(line)
    return e.value.reason


def test_round_trip_and_format():
    assert GOOD.startswith(b"TG2 S 7 adc=2718 t=100*") and GOOD.endswith(b"\n") and len(GOOD) == 32
    assert protocol.decode(GOOD) == ("S", 7, {"adc": "2718", "t": "100"})
    assert protocol.decode(protocol.encode("M", 3, "advice 146.38 2")) == ("M", 3, "advice 146.38 2")
    assert protocol.decode(protocol.encode("M", 4, "a*b\nc")) == ("M", 4, "a?b?c")


def test_long_messages_are_cut_to_the_line_limit():
    line = protocol.encode("M", 1, "x" * 1000)
    assert len(line) == protocol.MAX_LINE and protocol.decode(line)[0] == "M"


def with_crc(body):
    return body + b"*" + protocol.crc(body).encode() + b"\n"


@pytest.mark.parametrize("line, why", [
    (b"x" * 300, "oversized"),
    (GOOD[:-2] + b"\n", "framing"),
    (b"TG1 S 7 t=1", "framing"),
    (GOOD.replace(b"2718", b"2719"), "crc"),
    (with_crc(b"TG2 S 7 t=\xff"), "encoding"),
    (with_crc(b"TG2 S 7 t=\x01"), "encoding"),
    (with_crc(b"TG1 S 7 t=1"), "version"),
    (with_crc(b"TG2 Q 7 t=1"), "kind"),
    (with_crc(b"TG2 SS 7 t=1"), "kind"),
    (with_crc(b"TG2 S -7 t=1"), "seq"),
    (with_crc(b"TG2 S 99999999999 t=1"), "seq"),
    (with_crc(b"TG2 S 7 t"), "payload"),
    (with_crc(b"TG2 S 7 =1"), "payload"),
    (with_crc(b"TG2 S 7 t=1=2"), "payload"),
])
def test_every_rejection_names_its_reason(line, why):
    assert reason(line) == why


def test_int_field_bounds():
    p = {"a": "5", "b": "-3", "c": "x", "d": "1e3"}
    assert protocol.int_field(p, "a", 5, 5) == 5 and protocol.int_field(p, "b", -3, 0) == -3
    for key, lo, hi in (("a", 6, 9), ("a", 0, 4), ("c", 0, 9), ("d", 0, 9999), ("missing", 0, 9)):
        with pytest.raises(protocol.Reject):
            protocol.int_field(p, key, lo, hi)


def draws(*numbers):
    """A deterministic Inbox.draw: these numbers, in turn."""
    it = iter(numbers)
    return lambda: next(it)


def ping(seq, nonce):
    return protocol.encode("P", seq, {"nonce": nonce})


def in_session(kind, seq, session, **payload):
    return protocol.encode(kind, seq, dict(payload, ses=session))


def test_inbox_rejects_replays_within_a_session():
    inbox = protocol.Inbox(draws(11))
    assert (inbox.session, inbox.nonce) == (11, 0)  # the boot session, announced in the boot hello
    assert inbox.take(in_session("S", 5, 11, t=1)) == ("S", {"t": "1"})
    assert inbox.take(in_session("S", 5, 11)) is None and inbox.rejected == {"replay": 1}
    assert inbox.take(in_session("S", 4, 11)) is None
    assert inbox.take(in_session("S", 6, 11)) == ("S", {}) and inbox.total_rejected() == 2


def test_a_new_session_never_readmits_an_old_line():
    inbox = protocol.Inbox(draws(11, 42, 42, 0, 5))
    old = in_session("S", 1, 11)
    assert inbox.take(old) == ("S", {})
    assert inbox.take(ping(0, 777)) == ("P", {"nonce": "777"}) and (inbox.session, inbox.nonce) == (42, 777)
    assert inbox.take(old) is None and inbox.rejected == {"session": 1}  # seq 1 is fresh here, ses 11 is not
    assert inbox.take(in_session("S", 1, 42)) == ("S", {})
    assert inbox.take(ping(0, 778)) is not None and inbox.session == 43  # the same draw again: moved on
    assert inbox.take(ping(0, 779)) is not None and inbox.session == 44  # 0 is never a session
    assert inbox.take(in_session("S", 2, 42)) is None
    assert inbox.take(ping(0, 777)) is not None and inbox.session == 5  # a replayed Ping: yet another session
    assert inbox.take(in_session("S", 2, 42)) is None and inbox.rejected == {"session": 3}


@pytest.mark.parametrize("line, why", [
    (protocol.encode("S", 1, {}), "session"),  # no session number
    (protocol.encode("S", 1, {"ses": "011"}), "session"),  # not its text
    (protocol.encode("P", 0, {}), "payload"),  # a Ping without its nonce
    (protocol.encode("P", 0, {"nonce": 0}), "payload"),
    (protocol.encode("P", 0, {"nonce": protocol.SESSION_MAX + 1}), "payload"),
    (protocol.encode("M", 1, "ses=11"), "not_allowed"),  # free text is the board's
])
def test_inbox_refuses_lines_outside_the_session(line, why):
    inbox = protocol.Inbox(draws(11))
    assert inbox.take(line) is None and inbox.rejected == {why: 1} and inbox.session == 11


class Pipe:
    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.sent = b""

    def read_available(self):
        return self.chunks.pop(0) if self.chunks else b""

    def write(self, data):
        self.sent += data


def test_link_bounds_oversized_lines_and_floods():
    flood = b"".join(in_session("F", i, 9) for i in range(8, 28))
    good = in_session("S", 7, 9, t=100, adc=2718)
    link = Link(Pipe([b"y" * 300, b"y" * 300 + b"\n" + good, flood]), draws(9))
    assert link.poll() == []
    assert link.poll() == [("S", {"adc": "2718", "t": "100"})]
    assert len(link.poll()) == MAX_LINES_PER_POLL
    assert link.inbox.rejected == {"oversized": 1, "flood": 20 - MAX_LINES_PER_POLL}


def test_link_sessions_are_random_and_small_integers():
    sessions = {Link(Pipe([])).inbox.session for _ in range(50)}
    assert len(sessions) > 45 and all(0 < s <= protocol.SESSION_MAX for s in sessions)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_decode_raises_only_reject(data):
    try:
        kind, seq, payload = protocol.decode(data)
    except protocol.Reject as e:
        assert e.reason in protocol.REASONS
    else:
        assert kind in protocol.KINDS and 0 <= seq <= protocol.SEQ_MAX


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(GOOD) - 2), st.integers(1, 255))
def test_fuzz_a_corrupted_byte_is_never_accepted(pos, flip):
    line = bytearray(GOOD)
    line[pos] ^= flip
    with pytest.raises(protocol.Reject):
        protocol.decode(bytes(line))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=300), st.just(GOOD), st.just(b"\n")), max_size=30))
def test_fuzz_link_never_crashes_and_stays_bounded(chunks):
    link = Link(Pipe(chunks))
    for _ in range(len(chunks) + 1):
        for kind, _ in link.poll():
            assert kind in protocol.KINDS
        assert len(link._buf) <= protocol.MAX_LINE


FUZZ_LINES = [GOOD, GOOD[:-3] + b"00\n", b"TG2 M 1 hello*00000000\n", b"", b"*", b"\xff\xfe*12345678",
              protocol.encode("M", 9, "x" * 400), with_crc(b"TG2 F 3 n=1 v=-1"), with_crc(b"TG2 F 3 n=1 v")]


def outcome(line):
    try:
        return list(protocol.decode(line))
    except protocol.Reject as e:
        return e.reason


@pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")
@settings(max_examples=1, deadline=None)
@given(st.lists(st.binary(max_size=120), min_size=40, max_size=40))
def test_the_vm_decodes_lines_as_cpython_does(random_lines):
    lines = FUZZ_LINES + random_lines
    code = ("import json, sys\nsys.path.insert(0, '/')\nfrom firmware import protocol\n"
            "def outcome(line):\n    try:\n        return list(protocol.decode(line))\n"
            "    except protocol.Reject as e:\n        return e.reason\n"
            "for line in %r:\n    print(json.dumps(outcome(line)))\n" % lines)
    files = mpvm.board_files("firmware")
    out = mpvm.run(code, {k: v for k, v in files.items() if k.endswith(("/__init__.py", "/protocol.py"))})
    assert [json.loads(x) for x in out.splitlines()] == [outcome(line) for line in lines]
