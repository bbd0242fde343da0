"""What the board tells the host and how it answers: telemetry every tick, a record of
every batch (to the batch log and the host), the log on request, the user's feedback.

Nothing here reaches the heater: the host's messages can rate a batch (which moves the
model's shade offset within +-1 shade) or read the log. Sensor frames (S) are accepted
only by the HIL loop (take_frame); anywhere else they, and any board-to-host kind, are
refused.
"""

from firmware import protocol
from firmware.hw.base import ticks_diff
from safety import limits
from safety.guard import EV_START, HEATING

LOG_PULL_MAX = 64  # records per L request (the ring holds no more)
PRESS_SETTLE_MS = 3000  # the verdict is the number of presses with no gap this long
# A HIL frame's time must move on from the last frame's by 1 ms up to this: a longer gap
# is one the board's own loop cannot take without its watchdog resetting it.
MAX_FRAME_STEP_MS = limits.WATCHDOG_MS
NO_FRAME = -1  # the frame clock before the first HIL frame of this boot


class HostPort:
    def __init__(self, link, log, feedback):
        self.link = link
        self.log = log
        self.feedback = feedback
        self.batch = None  # type: dict | None  # the record of the batch being made
        self.last_n = None  # the batch feedback applies to
        self.was_heating = False
        self.last_press_ms = 0
        self.hil = False
        self.frame_t = NO_FRAME  # the time of the last HIL frame taken

    def hello(self, hil):
        """The session's number and the nonce of the Ping that opened it, and the frame
        clock a HIL host continues from (a new session never winds it back)."""
        self.hil = hil
        inbox = self.link.inbox
        self.link.send("H", {"v": protocol.VERSION, "hil": 1 if hil else 0, "batches": self.log.count,
                             "ses": inbox.session, "nonce": inbox.nonce, "t": self.frame_t})

    def take_frame(self, payload):
        """A HIL sensor frame's fields, or Reject: any field out of bounds ("payload"), or
        a time that runs backwards, stands still or leaps ("time"). A refused frame is
        not ticked: the guard never steps on it."""
        from firmware.hw.hil import parse_frame
        frame = parse_frame(payload)
        if self.frame_t != NO_FRAME:
            step = ticks_diff(frame["t"], self.frame_t)
            if step < 1 or step > MAX_FRAME_STEP_MS:
                raise protocol.Reject("time")
        self.frame_t = frame["t"]
        return frame

    def handle(self, kind, payload):
        try:
            if kind == "F":
                self._feedback(protocol.int_field(payload, "n", 0, protocol.SEQ_MAX),
                               protocol.int_field(payload, "v", -1, 1))
            elif kind == "L":
                self._pull(protocol.int_field(payload, "from", 0, protocol.SEQ_MAX))
            elif kind == "P":
                self.hello(self.hil)
            else:
                self.link.reject("not_allowed")
        except protocol.Reject as e:
            self.link.reject(e.reason)

    def after_tick(self, ctl, presses, now_ms):
        g = ctl.guard
        self._count_presses(presses, now_ms, g.events & EV_START)
        if g.events & EV_START:
            self.batch = {"sh": g.shade, "x": _floats(ctl.last_features), "p": _answer(ctl.last_answer),
                          "src": "model" if g.pending_from_model else "fallback", "ev": 0}
        if self.batch is not None:
            self.batch["ev"] |= g.events
            if self.was_heating and g.mode != HEATING:
                self._end_batch(self.batch, g)
        self.was_heating = g.mode == HEATING

    def _count_presses(self, presses, now_ms, new_batch):
        for _ in range(presses):
            self.feedback.press()
            self.last_press_ms = now_ms
        if self.feedback.presses and (new_batch or ticks_diff(now_ms, self.last_press_ms) >= PRESS_SETTLE_MS):
            verdict = self.feedback.take_presses()
            if self.last_n is not None:
                try:
                    self._feedback(self.last_n, verdict)
                except protocol.Reject:
                    pass  # the batch left the ring: nothing to rate

    def telemetry(self, ctl, t_ms):
        g = ctl.guard
        self.link.send("T", {"t": t_ms, "dc": "-" if g.reading_dc is None else g.reading_dc,
                             "h": g.heater, "l": g.latch, "m": g.mode, "f": g.fault, "ev": g.events,
                             "rej": self.link.inbox.total_rejected(), "os": self.feedback.offset_q})

    def hil_answer(self, ctl, outputs):
        g = ctl.guard
        outputs.update({"m": g.mode, "f": g.fault, "ev": g.events, "rej": self.link.inbox.total_rejected(),
                        "dc": "-" if g.reading_dc is None else g.reading_dc})
        return outputs

    def _end_batch(self, batch, g):
        batch["on"] = g.on_ms
        self.last_n = self.log.append(batch)
        self.link.send("B", batch)
        self.batch = None

    def _feedback(self, n, verdict):
        record = self.log.record(n)
        if record is None:
            raise protocol.Reject("payload")
        record["fb"] = verdict
        self.log.update(n, record)
        if n == self.log.count - 1:  # only the latest batch teaches the offset
            self.feedback.learn(verdict)
            self.log.set_offset(self.feedback.offset_q)

    def _pull(self, since):
        sent = 0
        n = max(since, self.log.count - LOG_PULL_MAX)
        while n < self.log.count:
            record = self.log.record(n)
            if record is not None:
                self.link.send("B", record)
                sent += 1
            n += 1
        self.link.send("Z", {"sent": sent, "count": self.log.count})


def _floats(values):
    return "-" if values is None else ",".join("%.2f" % v for v in values)


def _answer(answer):
    return "-" if answer is None or answer != answer else "%.2f" % answer
