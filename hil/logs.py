"""`toastguard pull-logs`: the board's batch log (firmware/batchlog.py) as JSON records,
the format `toastguard train --extra` reads."""

from firmware import feedback
from hil.host import LinkError
from safety.guard import event_names

PULL_TIMEOUT_S = 20.0


def pull(link, since=0):
    """The board's batch records from batch number `since`, oldest first."""
    link.start()
    link.send("L", {"from": since})
    records = []
    while True:
        kind, payload = _next(link)
        if kind == "Z":
            return records
        if kind == "B" and int(payload.get("n", -1)) >= since:
            records.append(record(payload))


def _next(link):
    import time
    deadline = time.monotonic() + PULL_TIMEOUT_S
    while True:
        msg = link.receive(deadline)
        if msg is None:
            raise LinkError("%s: the batch log did not arrive within %.0f s" % (link.port, PULL_TIMEOUT_S))
        if msg[0] in ("B", "Z"):
            return msg


def record(payload):
    """A B message's payload as the JSON record."""
    def number(key):
        value = payload.get(key, "-")
        return None if value in ("-", "None", "nan") else float(value)

    features = payload.get("x", "-")
    fb = payload.get("fb")
    return {
        "n": int(payload["n"]),
        "shade": int(payload.get("sh", 0)),
        "features": None if features == "-" else [float(v) for v in features.split(",")],
        "predicted_s": number("p"),
        "heater_on_s": int(payload.get("on", 0)) / 1000.0,
        "source": payload.get("src"),
        "events": event_names(int(payload.get("ev", 0))),
        "feedback": None if fb is None else feedback.NAMES.get(int(fb)),
    }
