"""The real MicroPython VM (npm @micropython/micropython-webassembly-pyscript, pinned in
package.json and installed by `npm ci`), driven by Node: board files in, stdout out.

Its floats are double precision; the Pico's are single. Code that must match the Pico
bit for bit rounds through array('f') itself (see model/compile.py).
"""

import base64
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("mpvm.mjs")
PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"


class VMError(RuntimeError):
    """The VM could not run, or the code raised (the message is the VM's traceback)."""


def available():
    return shutil.which("node") is not None and PACKAGE.is_dir()


def run(code, files=None, heapsize=8 * 1024 * 1024, timeout=120):
    """Run `code` on a fresh VM with `files` ({vm path: bytes}); returns its stdout."""
    if not available():
        raise VMError("MicroPython VM missing: run `npm ci` (needs Node 20) in %s" % ROOT)
    job = {"code": code, "heapsize": heapsize,
           "files": {p: base64.b64encode(b).decode() for p, b in (files or {}).items()}}
    proc = subprocess.run(["node", str(SCRIPT)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise VMError(proc.stderr.strip() or "node exited with %d" % proc.returncode)
    return proc.stdout


def board_files(*dirs):
    """{"/name/...": bytes} for every .py file under the given source directories."""
    files = {}
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            files["/" + str(path.relative_to(ROOT))] = path.read_bytes()
    return files
