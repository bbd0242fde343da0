"""`toastguard monitor`: a board's telemetry, live — a row per second of control ticks,
every guard event, log message and batch record as it arrives. Ctrl-C stops it."""

import time

from firmware import protocol
from safety import checks
from safety.guard import MODE_NAMES, event_names

ROW_EVERY = 10  # ticks: one row a second at 100 ms


def run(link, seconds=None):
    from rich.console import Console
    console = Console(highlight=False)
    link.start()
    console.print("[bold]%s[/]  t s | chamber C | heater latch | mode | fault | rejected | offset q" % link.port)
    end = None if seconds is None else time.monotonic() + seconds
    ticks = 0
    try:
        while end is None or time.monotonic() < end:
            msg = link.receive(time.monotonic() + 0.5 if end is None else min(end, time.monotonic() + 0.5))
            if msg is not None:
                ticks = show(console, msg, ticks)
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0


def show(console, msg, ticks):
    kind, payload = msg
    if kind == "T":
        events = event_names(int(payload["ev"]))
        if ticks % ROW_EVERY == 0 or events:
            console.print(row(payload, events))
        return ticks + 1
    if kind == "M":
        console.print("[cyan]log[/] %s" % payload)
    elif kind == "B":
        console.print("[green]batch %s[/] shade %s, %s s on, advised %s s (%s), events %s, feedback %s" % (
            payload.get("n"), payload.get("sh"), int(payload.get("on", 0)) / 1000.0, payload.get("p"),
            payload.get("src"), ",".join(event_names(int(payload.get("ev", 0)))) or "-", payload.get("fb", "-")))
    elif kind == "H":
        console.print("[bold]hello[/] %s" % protocol.format_fields(payload))
    return ticks


def row(p, events):
    dc = p["dc"]
    chamber = "open/short" if dc == "-" else "%.1f" % (int(dc) / 10.0)
    fault = checks.NAMES[int(p["f"])] if int(p["f"]) < len(checks.NAMES) else p["f"]
    return "%8.1f | %9s | %6s %5s | %-7s | %-12s | %8s | %s%s" % (
        int(p["t"]) / 1000.0, chamber, p["h"], p["l"], MODE_NAMES[int(p["m"])], fault, p["rej"], p["os"],
        ("  [yellow]" + ",".join(events) + "[/]") if events else "")
