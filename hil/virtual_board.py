"""A virtual board: the Pico firmware, unchanged, on a real interpreter, in lock-step
with the host_sim plant.

`BoardLink` boots one image (hil.image.pico_image) on the MicroPython VM (Node +
npm @micropython/micropython-webassembly-pyscript) or, as its differential twin, on
CPython, with the `machine` and clock of hil/vm/. The firmware talks to that `machine`;
every control tick is one frame each way (hil/vm/machine.py documents them).

`VirtualBoardController` plugs a BoardLink into host_sim.runner.Simulation in place of
the in-process Controller: the rig's sensors become the frame's ADC counts, pins and I2C
answers (the thermopiles' RAM words with their PEC, the ADS1115's conversion) and the
purge fan's tachometer edges; the frame's output pins drive the rig's relay, latch and LED.
"""

import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from firmware import presets, protocol
from firmware.hw import ads1115, mlx90614
from firmware.hw import pico_pins as pico
from host_sim import mpvm
from safety import limits
from safety.surface import Readings

HERE = Path(__file__).resolve().parent
VM_DIR = HERE / "vm"
FRAME = "@@frame "
INTERPRETERS = ("vm", "cpython")
FRAME_TIMEOUT_S = 30.0  # one tick takes milliseconds; this only catches a hung board
VM_LIB = ("machine.py", "vclock.py", "probe.py", "usb_serial.py")
VM_BOOT = "import probe\nimport main\n"
PWRON_RESET = 1
WDT_RESET = 3
FAN_RPM = 6000  # the rig's purge fan: a 25 mm 5 V fan well above its 1500 rpm minimum
FAN_PULSES_PER_REV = 2
FAN_PULSES_PER_TICK = FAN_RPM * FAN_PULSES_PER_REV * limits.TICK_MS // 60000


class BoardError(RuntimeError):
    """The board process died, hung, or sent something that is not a frame."""


class BoardReset(RuntimeError):
    """The firmware called machine.reset() (after an exception: main.py's finally)."""


def vm_files(image):
    """The VM's filesystem for a board image (and the virtual hardware in /lib), as the
    {path: base64} a Node job takes."""
    files = {"/" + path: data for path, data in image.items()}
    files.update({"/lib/" + name: (VM_DIR / name).read_bytes() for name in VM_LIB})
    return {p: base64.b64encode(d).decode() for p, d in files.items()}


class BoardLink:
    """One boot of a board image on an interpreter; `exchange` is one frame each way."""

    def __init__(self, image, interpreter="vm", cause=PWRON_RESET, boot=VM_BOOT):
        if interpreter not in INTERPRETERS:
            raise ValueError("interpreter must be one of %s" % ", ".join(INTERPRETERS))
        self.cause = cause
        self.console = []
        self._buf = b""
        self._tmp = tempfile.TemporaryDirectory(prefix="toastguard-board-")
        self.proc = self._start(image, interpreter, Path(self._tmp.name), boot)
        self.frame = self._read()  # the boot request: outputs as the firmware set them up

    def _start(self, image, interpreter, tmp, boot):
        if interpreter == "vm":
            if not mpvm.available():
                raise BoardError("MicroPython VM missing: run `npm ci` (needs Node 20)")
            job = {"code": boot, "heapsize": 4 * 1024 * 1024, "files": vm_files(image)}
            (tmp / "job.json").write_text(json.dumps(job))
            cmd = ["node", str(VM_DIR / "board.mjs"), str(tmp / "job.json")]
        else:
            for path, data in image.items():
                (tmp / path).parent.mkdir(parents=True, exist_ok=True)
                (tmp / path).write_bytes(data)
            cmd = [sys.executable, str(VM_DIR / "cpython" / "board.py"), str(tmp)]
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=mpvm.ROOT)

    def exchange(self, inputs):
        """Send the inputs for this tick; the frame the board sends when it next sleeps."""
        inputs = dict(inputs, cause=self.cause)
        try:
            self.proc.stdin.write((json.dumps(inputs) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise BoardError(self._died()) from None
        self.frame = self._read()
        return self.frame

    def _read(self):
        deadline = time.monotonic() + FRAME_TIMEOUT_S
        while True:
            line = self._line(deadline)
            if line.startswith(FRAME):
                return json.loads(line[len(FRAME):])
            self.console.append(line)

    def _line(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise BoardError("board sent no frame within %.0f s" % FRAME_TIMEOUT_S)
            chunk = os.read(fd, 65536)
            if not chunk:
                raise BoardError(self._died())
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def _died(self):
        self.proc.wait(timeout=10)
        err = self.proc.stderr.read().decode("utf-8", "replace").strip()
        return "board exited (%s): %s" % (self.proc.returncode, err.splitlines()[-1] if err else "")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()
        self._tmp.cleanup()


# --- encoding the rig's world as the Pico's pins and ADC counts ---------------------------
def mains_u16(supply_pm):
    """The ADC1 value PicoBoard.supply_pm decodes back to exactly supply_pm."""
    u = -(-supply_pm * 65535 // pico.MAINS_FULL_SCALE_PM)
    return max(0, min(65535, u))


def shade_u16(shade):
    """The middle of the shade potentiometer's band for this shade."""
    return (2 * shade - 1) * 65536 // 14


def die_u16(ambient_c):
    """The RP2040 temperature sensor's reading at ambient_c (datasheet 4.9.5)."""
    volts = 0.706 - (ambient_c - 27.0) * 0.001721
    return max(0, min(65535, int(round(volts * 65535 / 3.3))))


def read_surface(rig):
    """([each slot's (object word, die word) or None], tab counts or None, purge fan
    turning) from the rig, in the order the in-process board reads them (the rig's noise
    is drawn in call order, so every board sees the same readings)."""
    words = [rig.surface_words(slot) for slot in range(len(pico.SURFACE_ADDRESSES))]
    return words, rig.tab_adc(), rig.purge_ok()


def mlx_answer(address, command, word):
    """The bytes an MLX90614 answers a Read Word with: the word, low byte first, and PEC."""
    lsb, msb = word & 0xFF, word >> 8
    return [lsb, msb, mlx90614.pec(address, command, lsb, msb)]


def ads_code(counts):
    """The ADS1115 conversion code that ads1115.code_to_counts turns back into counts."""
    full = ads1115.COUNTS_FULL_SCALE
    return (2 * counts * ads1115.CODE_AT_FULL_SCALE + full) // (2 * full)


def garbled_slots(rig):
    """Per slot, whether its thermopile answers with a bad PEC (a surface_pec_error
    fault, not also an open sensor): the rig gives no words for it, and the VM's bus
    answers a plausible word with a wrong PEC, which the board's driver must refuse."""
    return [rig.severity("surface_pec_error", slot) is not None
            and rig.severity("surface_open", slot) is None
            for slot in range(len(pico.SURFACE_ADDRESSES))]


GARBLED_WORD = 0x3AF7  # 28.75 C: what a board that skipped the PEC check would read


def i2c_answers(words, tab_counts, garbled=None):
    """The frame's "i2c": every register the Pico reads, as bytes, or None (no answer).
    A slot without words whose `garbled` flag is set answers GARBLED_WORD with a wrong PEC."""
    garbled = garbled or [False] * len(words)
    out = {}
    for slot, address in enumerate(pico.SURFACE_ADDRESSES):
        for command, index in ((mlx90614.RAM_OBJECT, 0), (mlx90614.RAM_DIE, 1)):
            if words[slot] is not None:
                answer = mlx_answer(address, command, words[slot][index])
            elif garbled[slot]:
                answer = mlx_answer(address, command, GARBLED_WORD)
                answer[2] ^= 0xFF
            else:
                answer = None
            out["%d:%d" % (address, command)] = answer
    code = None if tab_counts is None else ads_code(tab_counts)
    conversion = None if code is None else [code >> 8, code & 0xFF]
    out["%d:%d" % (pico.ADDR_ADS1115, ads1115.REG_CONVERSION)] = conversion
    return out


def deliver_message(rig, text):
    """A board's M message to the simulation: its advice, or a log line."""
    if text.startswith("advice "):
        _, answer, elapsed = text.split(" ")
        rig.on_advice(None if answer == "None" else float(answer), int(elapsed))
    else:
        rig.log(text)


class ObservedGuard:
    """What the probe reported of the board's guard after its last tick."""

    def __init__(self):
        self.mode, self.heater, self.latch, self.events, self.fault, self.reading_dc = 0, 0, 0, 0, 0, None

    def update(self, obs):
        self.mode, self.heater, self.latch, self.events, self.fault, self.reading_dc = obs


class VirtualBoardController:
    """A BoardLink bound to a host_sim Rig, ticked by the Simulation like a Controller."""

    def __init__(self, rig, image, interpreter="vm", cause=PWRON_RESET):
        self.rig = rig
        self.guard = ObservedGuard()
        self.surface = Readings()  # the surface readings the board's guard last stepped on
        self.program, self.frozen = 0, False  # the panel's state after a boot
        self.console = []  # every line the board printed outside the protocol
        self.serial_lines = []  # every protocol line it sent
        self.link = BoardLink(image, interpreter, cause)
        self._apply(self.link.frame)

    def tick(self):
        frame = self.link.exchange(self._inputs())
        self._apply(frame)
        if frame.get("reset"):
            raise BoardReset(self.link.console[-1] if self.link.console else "machine.reset()")
        if frame.get("obs") is not None:
            obs = frame["obs"]
            self.guard.update(obs[:6])
            s = self.surface
            s.obj_dc, s.body_dc, s.ref_adc, s.purge_ok = obs[6:]
            if self.guard.events:
                self.rig.on_guard_events(self.guard.events, self.guard.fault)

    def _inputs(self):
        rig = self.rig
        shade, _, _, _, frozen = rig.selected
        words, tab_counts, purge_ok = read_surface(rig)
        return {"ms": rig.now_ms % (1 << 30),
                "adc": {str(pico.ADC_THERMISTOR): rig.read_adc() << 4,
                        str(pico.ADC_MAINS): mains_u16(rig.supply_pm()),
                        str(pico.ADC_SHADE): shade_u16(shade),
                        str(pico.INTERNAL_TEMP_ADC): die_u16(rig.ambient_sensor_c())},
                "pins": {str(pico.PIN_LEVER): 0 if rig.carriage_down else 1},
                "i2c": i2c_answers(words, tab_counts, garbled_slots(rig)),
                "press": self._presses(frozen, purge_ok)}

    def _presses(self, frozen, purge_ok):
        """Button presses that bring the panel to the rig's bread and frozen setting, and
        the purge fan's tachometer edges for this tick."""
        names = [p[0] for p in presets.PRESETS]
        want = names.index(self.rig.selected_bread)
        press = {str(pico.PIN_FAN_TACH): FAN_PULSES_PER_TICK} if purge_ok else {}
        if want != self.program:
            press[str(pico.PIN_BREAD)] = (want - self.program) % len(names)
            self.program = want
        if frozen != self.frozen:
            press[str(pico.PIN_FROZEN)] = 1
            self.frozen = frozen
        return press

    def _apply(self, frame):
        rig, pins = self.rig, frame["pins"]
        rig.relay_cmd = pins.get(str(pico.PIN_HEATER), 0)
        rig.latch_cmd = pins.get(str(pico.PIN_LATCH), 0)
        rig.fault_led = pins.get(str(pico.PIN_LED), 0)
        if frame.get("wdt"):
            rig.feed_watchdog()
        lines, self.link.console = self.link.console, []
        self.console.extend(lines)
        for line in frame.get("tx", "").splitlines():
            self.serial_lines.append(line)
            self._serial_line(line)

    def messages(self):
        """The text of every M (log) message the board sent."""
        out = []
        for line in self.serial_lines:
            try:
                kind, _, payload = protocol.decode(line.encode())
            except protocol.Reject:
                continue
            if kind == "M":
                out.append(payload)
        return out

    def _serial_line(self, line):
        """The board's protocol messages: advice and logs feed the simulation's hooks."""
        try:
            kind, _, payload = protocol.decode(line.encode())
        except protocol.Reject:
            return
        if kind == "M":
            deliver_message(self.rig, payload)

    def close(self):
        self.link.close()


def board_factory(image, interpreter="vm"):
    """A Simulation `board` that boots `image` on `interpreter` at every board reset."""
    def make(rig, cause):
        return VirtualBoardController(rig, image, interpreter, WDT_RESET if cause == "watchdog" else PWRON_RESET)
    return make


def board_model(spec, base_dir=None):
    """The compiled module of a scenario's [model] path, or None for the shipped one."""
    from host_sim import models
    if spec is None:
        return None
    if spec == models.STAND_IN or spec.startswith("adversarial:"):
        raise models.ModelRefused("%s: the board runs ONNX models only (adversaries run on --board host)" % spec)
    from model.compile import compile_model
    return compile_model(models.resolve(spec, base_dir))


def simulate(scenario, interpreter="vm", image=None, base_dir=None):
    """(result, simulation) of a scenario with the Pico firmware on `interpreter`,
    running the scenario's [model] compiled for the board as `toastguard export` compiles
    it (refused as export refuses it: ModelRefused), else the shipped compiled model."""
    from hil.image import pico_image
    from host_sim.runner import Simulation
    if image is None:
        image = pico_image(mpy=interpreter == "vm", model_source=board_model(scenario.model, base_dir))
    sim = Simulation(scenario, model_spec="stand-in", board=board_factory(image, interpreter))
    return sim.run(), sim
