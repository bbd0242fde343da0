"""A virtual Pico on a real pty: the MicroPython VM's REPL (hil/vm/serial_repl.mjs) as
a serial device that mpremote and pyserial open like /dev/ttyACM0.

    with VirtualPico() as port:
        subprocess.run(["mpremote", "connect", port, "fs", "ls"])

Its filesystem (the board's /, kept under /flash in the VM) lasts as long as the process.
"""

import os
import subprocess
import tty
from pathlib import Path

from host_sim import mpvm

SCRIPT = Path(__file__).resolve().parent / "vm" / "serial_repl.mjs"


class VirtualPico:
    def __init__(self):
        self.proc = None
        self.port = None
        self._fds = ()

    def __enter__(self):
        if not mpvm.available():
            raise mpvm.VMError("MicroPython VM missing: run `npm ci` (needs Node 20)")
        master, slave = os.openpty()
        tty.setraw(slave)  # a USB CDC port has no line discipline
        self.proc = subprocess.Popen(["node", str(SCRIPT)], stdin=master, stdout=master,
                                     stderr=subprocess.DEVNULL, cwd=mpvm.ROOT)
        self._fds = (master, slave)
        self.port = os.ttyname(slave)
        return self.port

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        for fd in self._fds:
            os.close(fd)
