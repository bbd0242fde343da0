"""Board entry point (copied to / as main.py): self-test, then the guarded control loop.

Order matters. The heater pin is driven low before any other import (only the pin map
precedes it); the image is checked against firmware/image.json before the firmware
and the guard are imported; the thermistor is checked before the first batch. A failed
check halts with the heater off and the fault LED lit, for good: only a reflash or a
power cycle restarts. The bread-surface sensors are checked next (both thermopiles
answer with plausible readings, the reference tab's thermistor reads a temperature); a
failure there is logged, not a halt: the guard runs every batch degraded, with the
fault LED, until both thermopiles pass its reference check. A refused model is not a
halt either: every batch runs on the guard's fallback table and the fault LED stays lit.
Any exception leaves the heater and latch off (Controller.tick) and resets the board,
which boots with both pins low and waits for a fresh lever press: after a power loss or
a watchdog reset nothing resumes by itself.

Service mode: with the bread button held at power-on the loop does not start and the
watchdog is not armed (the RP2040 cannot disarm it), so mpremote can reach the REPL to
reflash; the board prints its thermistor and mains readings, then (once the sensors have
settled) its thermopiles' and the reference tab's, for the first-boot checks
(docs/MAKER.md), and never drives the heater.
"""

import machine

from firmware.hw.pico_pins import PIN_BREAD, PIN_HEATER, PIN_HIL, PIN_LED  # constants only

machine.Pin(PIN_HEATER, machine.Pin.OUT, value=0)

import os  # noqa: E402
import time  # noqa: E402

from firmware import selftest  # noqa: E402

IMAGE_MANIFEST = "firmware/image.json"
MODEL_DIR = "firmware"  # relative to / (the working directory at boot)
BATCH_LOG = "batchlog.bin"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def halt(problems, board=None):
    """Never heat again this boot: outputs off, LED on, the reasons logged every minute."""
    if board is not None:
        board.all_off()
    machine.Pin(PIN_LED, machine.Pin.OUT, value=1)
    while True:
        for p in problems:
            print("log", time.ticks_ms(), "self-test failed: " + p)
        for _ in range(60):
            if board is not None:
                board.feed_watchdog()
            time.sleep_ms(1000)


def service_mode():
    from firmware.hw.pico import PicoBoard
    from safety import checks
    board = PicoBoard(None, watchdog=False)
    adc = board.read_adc()
    print("service mode: heater off, no loop; thermistor %s (%d counts), mains %d per-mille"
          % (shown_dc(checks.reading_dc(adc), "open/short"), adc, board.supply_pm()))
    time.sleep_ms(selftest.SENSOR_SETTLE_MS)
    sensors = board.sensors
    slots = ["slot %d %s (die %s)" % (slot + 1, shown_dc(sensor.object_dc(), "no answer"),
                                      shown_dc(sensor.die_dc(), "no answer"))
             for slot, sensor in enumerate(sensors.thermopiles)]
    counts = sensors.tab.tab_counts()
    tab = "no answer"
    if counts is not None:
        tab = "%s (%d counts)" % (shown_dc(checks.reading_dc(counts), "open/short"), counts)
    print("surface: %s; reference tab thermistor %s" % (", ".join(slots), tab))


def shown_dc(dc, missing):
    """A reading in deci-degrees C as text, or `missing` for None."""
    return missing if dc is None else selftest.celsius(dc)


def jumper_set(pin):
    return machine.Pin(pin, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0


def run():
    problems = selftest.check_image(IMAGE_MANIFEST, os.listdir)
    if selftest.fatal(problems):
        halt(problems)
    from firmware import model_pico
    from firmware.batchlog import BatchLog
    from firmware.feedback import Feedback
    from firmware.hostport import HostPort
    from firmware.hw.pico import PicoBoard
    from firmware.hw.usb_serial import UsbSerial
    from firmware.link import Link
    from firmware.model_check import ModelRefused
    from safety import checks, surface
    hil = jumper_set(PIN_HIL)
    link = Link(UsbSerial())
    board = PicoBoard(link)
    log = BatchLog(BATCH_LOG)
    feedback = Feedback(log.offset_q)
    port = HostPort(link, log, feedback)
    port.hello(hil)
    board.log("reset cause %d" % machine.reset_cause())
    for p in problems:
        board.log("self-test: " + p)
    if not hil:  # on the HIL bench the host's readings are checked by the guard each step
        problem = selftest.thermistor(board.read_adc, checks.reading_dc)
        if problem:
            halt([problem], board)
        selftest.log_surface(board, surface.plausible, checks.reading_dc)
    model, error = None, None
    try:
        model = model_pico.load(MODEL_DIR, exists)
    except ModelRefused as e:
        error = str(e)
    if hil:
        run_hil(board, link, port, model, error, feedback)
    run_loop(board, link, port, model, error, feedback)


def run_loop(board, link, port, model, error, feedback):
    from firmware.control import Controller
    from safety import limits
    ctl = Controller(board, model, error, feedback.shade_for_model)
    deadline = time.ticks_ms()
    while True:
        ctl.tick()
        for kind, payload in link.poll():
            port.handle(kind, payload)  # a sensor frame outside HIL mode: refused
        now = time.ticks_ms()
        port.after_tick(ctl, board.take_feedback_presses(), now)
        port.telemetry(ctl, now)
        deadline = time.ticks_add(deadline, limits.TICK_MS)
        board.sleep_until(deadline)


def run_hil(board, link, port, model, error, feedback):
    """Lock-step with the host: one sensor frame in, one tick, one answer out."""
    from firmware.control import Controller
    from firmware.hw.hil import HilBoard
    hil_board = HilBoard(board, link)
    ctl = None
    while True:
        hil_board.frame = wait_frame(link, port, board)
        if ctl is None:
            ctl = Controller(hil_board, model, error, feedback.shade_for_model)
        ctl.tick()
        port.after_tick(ctl, board.take_feedback_presses(), hil_board.frame["t"])
        link.send("A", port.hil_answer(ctl, hil_board.answer()))


def wait_frame(link, port, board):
    """The next valid sensor frame; other host messages are served meanwhile, invalid
    frames refused (counted)."""
    from firmware import protocol
    while True:
        frame = None
        for kind, payload in link.poll():
            if kind != "S":
                port.handle(kind, payload)
            elif frame is not None:
                link.reject("flood")  # the host sends one frame per answer
            else:
                try:
                    frame = port.take_frame(payload)  # its time, too, against the last frame's
                except protocol.Reject as e:
                    link.reject(e.reason)
        if frame is not None:
            return frame
        board.feed_watchdog()
        time.sleep_ms(1)


if machine.Pin(PIN_BREAD, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0:
    service_mode()
else:
    try:
        run()
    except BaseException as e:  # on the console for whoever is watching, then the reset
        print("fatal: %r" % e)
        raise
    finally:
        machine.Pin(PIN_HEATER, machine.Pin.OUT, value=0)
        machine.reset()
