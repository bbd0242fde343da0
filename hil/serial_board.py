"""A virtual board on a real pty: the Pico image on the MicroPython VM with its USB CDC
port as the pty, so `toastguard hil`, `monitor` and `pull-logs` talk to it through
pyserial exactly as to a Pico on /dev/ttyACM0.

    with SerialBoard(hil=True) as port:
        ...  # serial.Serial(port)

With hil=True the HIL jumper is set: the board takes its sensors from the host's frames.
Otherwise it runs its normal loop on fixed inputs (a 22 C chamber, rated mains, both
thermopiles reading the 200 C reference tab, the purge fan turning).
"""

import json
import os
import subprocess
import tempfile
import tty
from pathlib import Path

from firmware.hw import pico_pins as P
from hil import virtual_board as vb
from host_sim import mpvm
from host_sim.rig import adc_counts
from host_sim.sensing import TAB_C, raw_word

SCRIPT = vb.VM_DIR / "serial_board.mjs"


class SerialBoard:
    def __init__(self, image=None, hil=True, chamber_c=22.0):
        self.image = image
        self.inputs = {"adc": {str(P.ADC_THERMISTOR): int(round(adc_counts(chamber_c))) << 4,
                               str(P.ADC_MAINS): vb.mains_u16(1000), str(P.ADC_SHADE): vb.shade_u16(4),
                               str(P.INTERNAL_TEMP_ADC): vb.die_u16(22.0)},
                       "pins": {str(P.PIN_HIL): 0 if hil else 1},
                       "i2c": vb.i2c_answers([(raw_word(TAB_C), raw_word(chamber_c))] * len(P.SURFACE_ADDRESSES),
                                             int(round(adc_counts(TAB_C))))}
        if not hil:  # in HIL mode the board polls every millisecond, and reads the fan from the frames
            self.inputs["press"] = {str(P.PIN_FAN_TACH): vb.FAN_PULSES_PER_TICK}
        self.proc = None
        self.port = None
        self._slave = None
        self._tmp = None

    def __enter__(self):
        if not mpvm.available():
            raise mpvm.VMError("MicroPython VM missing: run `npm ci` (needs Node 20)")
        from hil.image import pico_image
        image = self.image if self.image is not None else pico_image()
        self._tmp = tempfile.TemporaryDirectory(prefix="toastguard-serial-")
        job = Path(self._tmp.name) / "job.json"
        job.write_text(json.dumps({"inputs": self.inputs, "files": vb.vm_files(image)}))
        master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(master, False)
        self.proc = subprocess.Popen(["node", str(SCRIPT), str(job)], stdin=master, stdout=master,
                                     stderr=subprocess.DEVNULL, cwd=mpvm.ROOT)
        os.close(master)
        self.port = os.ttyname(self._slave)
        return self.port

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        os.close(self._slave)
        self._tmp.cleanup()
