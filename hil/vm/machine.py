"""`machine` for a virtual board: the firmware's pins and ADCs, driven by the host.

Runs on the MicroPython VM (and, for differential tests, on CPython). The host process
owns the physics: at the first input the firmware reads, and whenever it sleeps, this
module sends the output pins (plus watchdog feeds, UART bytes and what the guard did)
and blocks until the host answers with the next inputs and the time. `hostlink` is the
channel: a JS function on the VM, stdin/stdout on CPython.

Frame to the host:  {"pins": {id: level}, "pwm": {id: duty}, "wdt": feeds, "sleep": ms,
                     "tx": "uart bytes", "i2c_w": [[addr, reg, [bytes]], ...], "obs": [...],
                     "reset": 0/1}; the first frame of a boot has "boot": 1 and
                     "first_out": [the first output pin, its level]
Frame from the host: {"ms": ticks, "adc": {ch: u16}, "pins": {id: level},
                      "press": {id: n falling edges}, "i2c": {"addr:reg": [bytes] or null},
                      "rx": "bytes", "cause": reset cause}

I2C register reads are answered from the frame's "i2c" (addresses and registers in
decimal); a register it does not list, or lists as null, is a device that does not
acknowledge: OSError(EIO), as MicroPython raises for a NACK. A write is acknowledged by
an address the frame lists with any register answering, and reported in "i2c_w".
"""

import json

import hostlink

PWRON_RESET = 1
WDT_RESET = 3
EIO = 5  # MicroPython's errno for a NACK on the bus

_outputs = {}
_pwm = {}
_irqs = {}
_state = {"inputs": None, "feeds": 0, "tx": "", "obs": None, "timers": [], "first_out": None,
          "i2c_w": []}


class ResetRequested(SystemExit):
    """machine.reset(): the board restarts; the host boots a fresh interpreter."""


def _send(extra):
    frame = {"pins": _outputs, "pwm": _pwm, "wdt": _state["feeds"], "tx": _state["tx"],
             "i2c_w": _state["i2c_w"], "obs": _state["obs"]}
    frame.update(extra)
    _state["feeds"] = 0
    _state["tx"] = ""
    _state["i2c_w"] = []
    _state["obs"] = None
    return json.loads(hostlink.exchange(json.dumps(frame)))


def _apply(inputs):
    _state["inputs"] = inputs
    for pin_id, n in inputs.get("press", {}).items():
        handler = _irqs.get(int(pin_id))
        for _ in range(n):
            if handler is not None:
                handler[0](handler[1])


def inputs():
    """The host's latest inputs; the first call of a boot asks for them."""
    if _state["inputs"] is None:
        _apply(_send({"boot": 1, "first_out": _state["first_out"]}))
    return _state["inputs"]


def wait(ms):
    """Sleep `ms` of board time: report the outputs, take the next inputs, run timers."""
    _apply(_send({"sleep": ms}))
    _run_timers()


def observe(values):
    """Attach what the firmware decided this tick to the next frame (test probe)."""
    _state["obs"] = values


def take_rx():
    """Bytes the host sent to the board's serial port since the last call."""
    return inputs().pop("rx", "").encode()


def send_tx(text):
    _state["tx"] += text


def reset_cause():
    return inputs().get("cause", PWRON_RESET)


def reset():
    _send({"reset": 1})
    raise ResetRequested()


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, pin_id, mode=IN, pull=None, value=None):
        self.id = pin_id
        self.mode = mode
        if mode == Pin.OUT:
            _outputs[str(pin_id)] = 1 if value else 0
            if _state["first_out"] is None:
                _state["first_out"] = [pin_id, _outputs[str(pin_id)]]

    def value(self, level=None):
        if level is None:
            if self.mode == Pin.OUT:
                return _outputs[str(self.id)]
            return inputs()["pins"].get(str(self.id), 1)
        _outputs[str(self.id)] = 1 if level else 0
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=IRQ_FALLING):
        _irqs[self.id] = (handler, self)


class ADC:
    def __init__(self, channel):
        self.channel = channel.id if isinstance(channel, Pin) else channel

    def read_u16(self):
        return inputs()["adc"].get(str(self.channel), 0)


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.id = str(pin.id)
        self.frequency = freq
        _pwm[self.id] = duty_u16

    def freq(self, value=None):
        if value is None:
            return self.frequency
        self.frequency = value
        return None

    def duty_u16(self, value=None):
        if value is None:
            return _pwm[self.id]
        _pwm[self.id] = value
        return None

    def deinit(self):
        _pwm[self.id] = 0


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        _outputs["wdt_timeout_ms"] = timeout

    def feed(self):
        _state["feeds"] += 1


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, mode=PERIODIC, period=-1, callback=None):
        self.callback = None
        if callback is not None:
            self.init(mode=mode, period=period, callback=callback)

    def init(self, mode=PERIODIC, period=-1, freq=-1, callback=None):
        if freq > 0:
            period = 1000 // freq
        self.mode, self.period, self.callback = mode, period, callback
        self.due = inputs()["ms"] + period
        if self not in _state["timers"]:
            _state["timers"].append(self)

    def deinit(self):
        if self in _state["timers"]:
            _state["timers"].remove(self)


def _run_timers():
    now = _state["inputs"]["ms"]
    for t in list(_state["timers"]):
        while t in _state["timers"] and now - t.due >= 0:
            t.callback(t)
            if t.mode == Timer.ONE_SHOT:
                t.deinit()
            else:
                t.due += t.period


class I2C:
    def __init__(self, id=0, scl=None, sda=None, freq=400000):
        self.id = id
        self.freq = freq

    def readfrom_mem_into(self, addr, memaddr, buf):
        data = inputs().get("i2c", {}).get("%d:%d" % (addr, memaddr))
        if data is None:
            raise OSError(EIO)
        for i in range(len(buf)):
            buf[i] = data[i]

    def writeto_mem(self, addr, memaddr, buf):
        answers = inputs().get("i2c", {})
        prefix = "%d:" % addr
        if not [key for key in answers if key.startswith(prefix) and answers[key] is not None]:
            raise OSError(EIO)
        _state["i2c_w"].append([addr, memaddr, list(buf)])


class UART:
    def __init__(self, id, baudrate=115200, **kw):
        self.id = id
        self.rx = ""

    def write(self, data):
        text = data.decode() if isinstance(data, bytes) else data
        send_tx(text)
        return len(text)

    def any(self):
        self.rx += take_rx().decode()
        return len(self.rx)

    def read(self, n=-1):
        self.any()
        if n < 0:
            n = len(self.rx)
        data, self.rx = self.rx[:n], self.rx[n:]
        return data.encode() if data else None
