"""The Pico's USB CDC serial port (MicroPython's stdin/stdout), without blocking."""

import select
import sys

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

READ_CHUNK = const(64)  # bytes per poll; the link bounds lines and bursts


class UsbSerial:
    def __init__(self):
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)

    def read_available(self):
        data = b""
        while len(data) < READ_CHUNK and self._poll.poll(0):
            data += sys.stdin.buffer.read(1)
        return data

    def write(self, data):
        sys.stdout.write(data.decode())
