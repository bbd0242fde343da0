"""`toastguard flash`: build the board image and deploy it.

Pico: the image of hil/image.py (.mpy for armv6m, main.py, manifests) is staged, copied
with mpremote, and read back: the board hashes every file with its own hashlib and the
host compares. Files in the image's directories that the image does not list are removed
first (a stale .py would shadow its .mpy; the boot self-test refuses them anyway).

Pi Zero: the CPython sources and the .onnx model go to ROOT/opt/toastguard with a systemd
unit; on the Pi itself (ROOT = /) the back-end's packages are installed in a venv and the
service enabled.
"""

import subprocess
import sys
from pathlib import Path

from hil import image as board_image

ZERO_HOME = "opt/toastguard"
ZERO_UNIT = "etc/systemd/system/toastguard.service"
ZERO_PACKAGES = ("gpiozero>=2.0", "smbus2>=0.4", "onnx>=1.16", "onnxruntime>=1.18", "numpy>=1.26")
ZERO_UNIT_TEXT = """[Unit]
Description=toastguard toaster controller
After=local-fs.target

[Service]
# The loop feeds /dev/watchdog; if it stops, the board resets with the heater pin low.
WorkingDirectory=/opt/toastguard
Environment=PYTHONPATH=/opt/toastguard
ExecStart=/opt/toastguard/.venv/bin/python -m firmware.main_zero
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
"""


class FlashError(RuntimeError):
    """mpremote failed, or the board's files differ from the image: one line for the user."""


def mpremote(port, *args):
    return [sys.executable, "-m", "mpremote", "connect", port] + list(args)


def image_dirs(files):
    dirs = set()
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs)


def prepare_code(files):
    """Board code: make the image's directories, remove what the image does not list."""
    return ("import os\nkeep = %r\nfor d in %r:\n"
            "    try:\n        os.mkdir(d)\n    except OSError:\n        pass\n"
            "    for name in os.listdir(d):\n"
            "        p = d + '/' + name\n"
            "        if p not in keep and (name.endswith('.py') or name.endswith('.mpy') or name.endswith('.json')):\n"
            "            os.remove(p)\n") % (sorted(files), image_dirs(files))


def verify_code(files):
    """Board code: print "path sha256" for every image file, hashed on the board."""
    return ("import hashlib, binascii\nfor p in %r:\n"
            "    h = hashlib.sha256()\n"
            "    try:\n        f = open(p, 'rb')\n    except OSError:\n        print(p, 'missing')\n        continue\n"
            "    while True:\n        b = f.read(512)\n        if not b:\n            break\n        h.update(b)\n"
            "    f.close()\n    print(p, binascii.hexlify(h.digest()).decode())\n") % sorted(files)


def pico_plan(files, port, staging):
    """(what, mpremote command line) steps that deploy `files` (staged under `staging`)."""
    copy = []
    for path in sorted(files):
        if copy:
            copy.append("+")
        copy += ["fs", "cp", str(staging / path), ":" + path]
    return [("make %s; remove files the image does not list" % ", ".join(image_dirs(files)),
             mpremote(port, "exec", prepare_code(files))),
            ("copy %d files" % len(files), mpremote(port, *copy)),
            ("hash every file on the board and compare with the image",
             mpremote(port, "exec", verify_code(files)))]


def stage(files, directory):
    for path, data in files.items():
        target = Path(directory) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def run_step(cmd, port):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "exit %d" % proc.returncode).splitlines()[-1]
        raise FlashError("mpremote on %s: %s" % (port, last))
    return proc.stdout


def compare(files, board_listing):
    """Lines of the board's "path sha256" listing that differ from the image."""
    on_board = dict(line.split(" ", 1) for line in board_listing.splitlines() if " " in line)
    bad = []
    for path, data in sorted(files.items()):
        if on_board.get(path) != board_image.sha256(data):
            bad.append("%s: %s" % (path, on_board.get(path, "not reported")))
    return bad


def flash_pico(files, port, staging):
    """Deploy and read back; returns the number of files verified."""
    stage(files, staging)
    (_, prepare), (_, copy), (_, verify) = pico_plan(files, port, staging)
    run_step(prepare, port)
    run_step(copy, port)
    bad = compare(files, run_step(verify, port))
    if bad:
        raise FlashError("%s: %d file(s) differ after copying, first %s" % (port, len(bad), bad[0]))
    return len(files)


def zero_plan():
    """(what, command) steps that finish a Pi Zero install on the Pi itself (ROOT = /)."""
    home = "/" + ZERO_HOME
    return [("a venv for the CPython back-end", ["python3", "-m", "venv", home + "/.venv"]),
            ("its packages", [home + "/.venv/bin/pip", "install", "--quiet"] + list(ZERO_PACKAGES)),
            ("load the unit", ["systemctl", "daemon-reload"]),
            ("start it now and at every boot", ["systemctl", "enable", "--now", "toastguard.service"])]


def install_zero(files, root):
    """Copy the Zero image and the unit under `root`; returns the paths written."""
    root = Path(root)
    stage(files, root / ZERO_HOME)
    unit = root / ZERO_UNIT
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(ZERO_UNIT_TEXT)
    bad = [p for p, data in files.items()
           if board_image.sha256((root / ZERO_HOME / p).read_bytes()) != board_image.sha256(data)]
    if bad:
        raise FlashError("%s: %d file(s) differ after copying, first %s" % (root, len(bad), bad[0]))
    return [str(root / ZERO_HOME / p) for p in sorted(files)] + [str(unit)]
