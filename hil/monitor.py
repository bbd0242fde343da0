"""`toastguard monitor`: a board's telemetry, live — a row per second of control ticks,
every guard event, log message and batch record as it arrives. Ctrl-C stops it.

Every payload has passed its schema (hil/host.py) before it is shown, and whatever the
board wrote is printed as rich Text: a board's "[bold]" is shown as it is, never styled.
"""

import time

from rich.text import Text

from firmware import feedback, protocol
from safety import checks
from safety.guard import MODE_NAMES, event_names

ROW_EVERY = 10  # ticks: one row a second at 100 ms


def run(link, seconds=None):
    from rich.console import Console
    console = Console(highlight=False)
    end = None if seconds is None else time.monotonic() + seconds
    ticks = 0
    try:
        hello = link.start()
        console.print(Text.assemble((link.port, "bold"), "  t s | chamber C | heater latch | mode | fault | "
                                    "rejected | offset q"))
        show(console, ("H", hello), ticks, link.session)
        while end is None or time.monotonic() < end:
            msg = link.receive(time.monotonic() + 0.5 if end is None else min(end, time.monotonic() + 0.5))
            if msg is not None:
                ticks = show(console, msg, ticks, link.session)
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    if link.dropped():
        console.print(Text("dropped board lines: " + link.dropped(), "yellow"))
    return 0


def show(console, msg, ticks, session):
    kind, payload = msg
    if kind == "T":
        events = event_names(payload["ev"])
        if ticks % ROW_EVERY == 0 or events:
            console.print(row(payload, events))
        return ticks + 1
    if kind == protocol.FREE_TEXT:
        console.print(Text.assemble(("log", "cyan"), " ", payload))
    elif kind == "B":
        console.print(batch(payload))
    elif kind == "H":
        other = "" if payload["ses"] == session else "  (another session: the board restarted, or another host)"
        console.print(Text.assemble(("hello", "bold"), " ", protocol.format_fields(payload), other))
    return ticks


def row(p, events):
    chamber = "open/short" if p["dc"] is None else "%.1f" % (p["dc"] / 10.0)
    text = Text("%8.1f | %9s | %6d %5d | %-7s | %-12s | %8d | %d" % (
        p["t"] / 1000.0, chamber, p["h"], p["l"], MODE_NAMES[p["m"]], checks.NAMES[p["f"]], p["rej"], p["os"]))
    if events:
        text.append("  " + ",".join(events), "yellow")
    return text


def batch(p):
    advised = "-" if p["p"] is None else "%.2f" % p["p"]
    fb = p.get("fb")
    return Text.assemble(("batch %d" % p["n"], "green"), " shade %d, %.1f s on, advised %s s (%s), events %s, "
                         "feedback %s" % (p["sh"], p["on"] / 1000.0, advised, p["src"],
                                          ",".join(event_names(p["ev"])) or "-",
                                          "-" if fb is None else feedback.NAMES[fb]))
