"""Filesystem errors as a real board reports them.

The WebAssembly port's files live in Emscripten's MEMFS, whose errno numbers are not
MicroPython's (ENOENT is 44, not 2), so a missing file printed "OSError: 44" and mpremote
could not tell it from a failure. `open` and `os` are wrapped to raise the board's codes.
"""

import builtins
import os as _os
import sys

EMSCRIPTEN_TO_MICROPYTHON = {44: 2, 20: 17, 54: 20, 31: 21, 28: 22, 2: 13}  # ENOENT, EEXIST,
# ENOTDIR, EISDIR, EINVAL, EACCES


def _board_errno(fn):
    def call(*args):
        try:
            return fn(*args)
        except OSError as e:
            code = EMSCRIPTEN_TO_MICROPYTHON.get(e.errno)
            if code is None:
                raise
            raise OSError(code)
    return call


class _BoardOS:
    pass


board_os = _BoardOS()
for _name in dir(_os):
    _value = getattr(_os, _name)
    setattr(board_os, _name, _board_errno(_value) if callable(_value) else _value)
sys.modules["os"] = board_os
builtins.open = _board_errno(builtins.open)
