"""The Pico's USB CDC port on a virtual board (replaces firmware/hw/usb_serial.py there:
MicroPython's stdin cannot be redirected on the WebAssembly port).

Behind a pty (hil/vm/serial_board.mjs) the bytes go through the `serialport` JS module;
in lock-step with the plant (hil/vm/board.mjs) they ride in the machine frames.
"""

import machine

try:
    import serialport
except ImportError:
    serialport = None


class UsbSerial:
    def read_available(self):
        if serialport is not None:
            return serialport.read().encode()
        return machine.take_rx()

    def write(self, data):
        if serialport is not None:
            serialport.write(data.decode())
        else:
            machine.send_tx(data.decode())
