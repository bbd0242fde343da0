"""`toastguard flash`: the image, the dry run, mpremote to a virtual Pico on a real pty,
read-back verification, and the Pi Zero install (run on gpiozero's MockFactory)."""

import subprocess
import sys

import pytest

from hil import flash
from hil import image as board_image
from hil.virtual_pico import VirtualPico
from host_sim import mpvm
from host_sim.cli import main
from tests.helpers import zero_run

needs_vm = pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")


@pytest.fixture(scope="module")
def pico_files():
    return board_image.pico_image()


def board_exec(port, code):
    proc = subprocess.run(flash.mpremote(port, "exec", code), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_image_is_mpy_for_the_rp2040_with_manifests(pico_files):
    code = [p for p in pico_files if p.endswith((".py", ".mpy"))]
    assert [p for p in code if p.endswith(".py")] == ["main.py"]  # MicroPython boots /main.py
    assert all(pico_files[p][:2] == b"M\x06" for p in code if p.endswith(".mpy"))  # .mpy v6
    image = __import__("json").loads(pico_files[board_image.IMAGE_MANIFEST])["files"]
    assert set(image) == set(pico_files) - {board_image.IMAGE_MANIFEST}
    assert all(board_image.sha256(pico_files[p]) == h for p, h in image.items())
    model = __import__("json").loads(pico_files[board_image.MODEL_MANIFEST])
    assert model["sha256"] == board_image.sha256(pico_files["firmware/toast_model.mpy"])  # hashes the .mpy


def test_dry_run_lists_the_image_and_the_steps_without_a_board(capsys):
    assert main(["flash", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "safety/guard.mpy" in out and "firmware/toast_model.mpy" in out
    assert "%d files" % len(board_image.pico_image()) in out
    assert "mpremote connect auto fs cp" in out and "hash every file on the board" in out


@needs_vm
@pytest.mark.timeout(180)
def test_flash_to_a_virtual_pico_verifies_and_removes_strays(capsys):
    with VirtualPico() as port:
        board_exec(port, "import os\nos.mkdir('safety')\nf = open('safety/guard.py', 'w')\n"
                         "f.write('HEATER = 1')\nf.close()")  # a stale source would shadow the .mpy
        assert main(["flash", "--port", port]) == 0
        assert "SHA-256 read back from the board matches" in capsys.readouterr().out
        check = "import os\nfrom firmware import selftest\nprint(selftest.check_image('firmware/image.json', os.listdir))"
        assert board_exec(port, check) == "[]"
        assert "guard.py" not in board_exec(port, "import os\nprint(os.listdir('safety'))")
        board_exec(port, "f = open('safety/limits.mpy', 'ab')\nf.write(b'x')\nf.close()")
        assert "safety/limits.mpy: SHA-256 differs" in board_exec(port, check)


def test_read_back_mismatch_is_reported():
    files = {"a.mpy": b"1", "b.mpy": b"2"}
    listing = "a.mpy %s\nb.mpy %s\n" % (board_image.sha256(b"1"), board_image.sha256(b"x"))
    assert flash.compare(files, listing) == ["b.mpy: %s" % board_image.sha256(b"x")]
    assert flash.compare(files, "a.mpy missing\n")[0] == "a.mpy: missing"


def test_a_port_that_does_not_exist_is_one_line_exit_2(tmp_path, capsys):
    assert main(["flash", "--port", str(tmp_path / "ttyACM9")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toastguard: flash: mpremote on ") and err.count("\n") == 1


def test_zero_install_writes_the_unit_and_an_image_that_runs(tmp_path, zero_pins, capsys):
    assert main(["flash", "--target", "zero", "--root", str(tmp_path)]) == 0
    home = tmp_path / flash.ZERO_HOME
    unit = (tmp_path / flash.ZERO_UNIT).read_text()
    assert "ExecStart=/opt/toastguard/.venv/bin/python -m firmware.main_zero" in unit and "Restart=always" in unit
    # the installed tree imports on its own (no checkout, no simulator)...
    probe = "import firmware.main_zero, firmware.hw.zero, firmware.model_onnx, safety.guard, firmware\nprint(firmware.__file__)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=home, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith(str(home)), out.stderr
    # ...and its model passes the board's checks and drives the heater through the guard
    ctl, _, logged = zero_run(zero_pins, home / "model" / "toast_time.onnx")
    assert ctl.model is not None and zero_pins.pin(17).state and 100.0 < logged[0] < 200.0


def test_zero_dry_run_names_the_systemd_steps(capsys):
    assert main(["flash", "--target", "zero", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "systemctl enable --now toastguard.service" in out and "firmware/main_zero.py" in out
