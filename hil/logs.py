"""`toastguard pull-logs`: the board's batch log (firmware/batchlog.py) as JSON records,
the format `toastguard train --extra` reads.

A pull that fails part-way raises PartialLog, a LinkError that still carries every
record that arrived whole, so the caller can write them before it reports the error.
"""

from firmware import feedback
from hil.host import LinkError
from safety.guard import event_names

PULL_TIMEOUT_S = 20.0


class PartialLog(LinkError):
    """PartialLog(message, records): the pull failed; `records` arrived whole first."""

    def __init__(self, message, records):
        LinkError.__init__(self, message)
        self.records = records


def pull(link, since=0):
    """The board's batch records from batch number `since`, oldest first."""
    got = {}  # n: record; a batch that ended just before the pull may come twice
    try:
        link.start()
        link.send("L", {"from": since})
        while True:
            kind, payload = link.next_of("BZ", PULL_TIMEOUT_S)
            if kind == "Z":
                break
            if payload["n"] >= since:
                got[payload["n"]] = record(payload)
    except LinkError as e:
        raise PartialLog(str(e), _oldest_first(got)) from None
    records = _oldest_first(got)
    if len(records) < payload["sent"]:
        raise PartialLog("%s: %d of the %d batch records the board sent arrived; dropped: %s" % (
            link.port, len(records), payload["sent"], link.dropped() or "nothing"), records)
    return records


def _oldest_first(got):
    return [got[n] for n in sorted(got)]


def record(payload):
    """A B message's payload (typed by hil.host.parse_payload) as the JSON record."""
    fb = payload.get("fb")
    return {
        "n": payload["n"],
        "shade": payload["sh"],
        "features": payload["x"],
        "predicted_s": payload["p"],
        "heater_on_s": payload["on"] / 1000.0,
        "source": payload["src"],
        "events": event_names(payload["ev"]),
        "feedback": None if fb is None else feedback.NAMES[fb],
    }
