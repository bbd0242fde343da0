"""The Pico firmware, unchanged and compiled by mpy-cross, on the real MicroPython VM in
lock-step with the plant; the same image on CPython as its differential twin."""

import copy
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.presets import PRESETS
from hil import image as board_image
from hil import virtual_board as vb
from host_sim import mpvm, scenario
from host_sim.rig import adc_counts
from host_sim.sensing import raw_word
from host_sim.runner import simulate as simulate_in_process
from safety import checks, limits

pytestmark = pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")

VM_FAULTS = [k for k in scenario.FAULT_KINDS if k != "model_nan"]  # the VM runs its own model


@pytest.fixture(scope="module")
def mpy_image():
    return board_image.pico_image(mpy=True)


@pytest.fixture(scope="module")
def py_image():
    return board_image.pico_image(mpy=False)


def default(batches=None, faults=()):
    sc = scenario.load(scenario.DEFAULT_PATH)
    if batches is not None:
        sc.batches = sc.batches[:batches]
    sc.faults = list(faults)
    return sc


def run(sc, interpreter, img):
    return vb.simulate(sc, interpreter, img)


def assert_same_decisions(sc, mpy_image, py_image):
    # the two boards run in their own processes: side by side, each on a core
    with ThreadPoolExecutor(2) as pool:
        vm_run = pool.submit(run, copy.deepcopy(sc), "vm", mpy_image)
        cp_result, cp_sim = run(sc, "cpython", py_image)
        vm_result, vm_sim = vm_run.result()
    assert len(vm_sim.segments) == len(cp_sim.segments)
    for vm_rows, cp_rows in zip(vm_sim.segments, cp_sim.segments):
        assert len(vm_rows) == len(cp_rows)
        for i, (a, b) in enumerate(zip(vm_rows, cp_rows)):
            assert a == b, "tick %d differs: VM %s, CPython %s" % (i, a, b)
    assert [b["guard_events"] for b in vm_result["batches"]] == [b["guard_events"] for b in cp_result["batches"]]
    assert vm_result["hazard"] is False and cp_result["hazard"] is False, vm_result["hazard_reasons"]
    return vm_result, vm_sim


@pytest.mark.timeout(300)
def test_default_scenario_on_the_vm_matches_cpython_and_the_host_loop(mpy_image, py_image):
    vm_result, _ = assert_same_decisions(default(), mpy_image, py_image)
    host_result, _ = simulate_in_process(default())
    keys = ("shade_achieved", "heater_on_s", "source", "guard_events")
    assert [[b[k] for k in keys] for b in vm_result["batches"]] == \
        [[b[k] for k in keys] for b in host_result["batches"]]
    # the host runs the .onnx in onnxruntime, the board its compiled module (parity 0.05 s)
    for vm_batch, host_batch in zip(vm_result["batches"], host_result["batches"]):
        assert abs(vm_batch["predicted_s"] - host_batch["predicted_s"]) <= 0.05


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", VM_FAULTS)
def test_faults_give_the_same_guard_decisions_tick_for_tick(kind, mpy_image, py_image):
    duration = 30.0 if kind in scenario.TRANSIENT_FAULTS else None
    sc = default(2, [scenario.Fault(kind, 60.0, duration), scenario.Fault(kind, 200.0, duration)])
    vm_result, _ = assert_same_decisions(sc, mpy_image, py_image)
    host_result, _ = simulate_in_process(sc)
    assert layers(vm_result) == layers(host_result)


def layers(result):
    return sorted({e["layer"] for e in result["events"]})


BREADS = [p[0] for p in PRESETS]
batches = st.lists(st.builds(
    scenario.Batch, st.sampled_from(BREADS), st.booleans(), st.integers(1, 7),
    st.none(), st.floats(0.0, 120.0)), min_size=1, max_size=2)
faults = st.lists(st.builds(
    scenario.Fault, st.sampled_from(VM_FAULTS), st.floats(0.0, 300.0),
    st.one_of(st.none(), st.floats(1.0, 40.0))), max_size=2)


@pytest.mark.timeout(600)
@settings(max_examples=4, deadline=None)
@given(batches=batches, faults=faults, supply_v=st.floats(190.0, 250.0), ambient_c=st.floats(5.0, 40.0))
def test_hypothesis_scenarios_same_on_vm_and_cpython(batches, faults, supply_v, ambient_c, mpy_image, py_image):
    sc = default()
    sc.toaster = scenario.Toaster(ambient_c, supply_v, 230.0, 900.0)
    sc.batches, sc.faults = batches, faults
    assert_same_decisions(sc, mpy_image, py_image)


# --- boot and self-test ---------------------------------------------------------------------
def halted_run(img, faults=()):
    result, sim = run(default(1, faults), "vm", img)
    heater_ever_on = any(row[1] for row in sim.trace)
    return result, sim, heater_ever_on


def test_boot_drives_the_heater_pin_low_first(mpy_image):
    link = vb.BoardLink(mpy_image, "vm")
    try:
        assert link.frame["boot"] == 1 and link.frame["first_out"] == [15, 0]
    finally:
        link.close()


@pytest.mark.parametrize("victim", ["safety/guard.mpy", "firmware/control.mpy", "main.py"])
def test_a_corrupt_firmware_file_never_heats(victim, mpy_image):
    img = dict(mpy_image)
    img[victim] = img[victim][:-1] + bytes([img[victim][-1] ^ 1])
    result, sim, heater_ever_on = halted_run(img)
    assert not heater_ever_on and sim.rig.fault_led
    assert any("self-test failed: %s: SHA-256 differs" % victim in line for line in sim.ctl.console)
    assert result["batches"][0]["heater_on_s"] == 0.0


def test_a_missing_image_manifest_never_heats(mpy_image):
    img = {k: v for k, v in mpy_image.items() if k != board_image.IMAGE_MANIFEST}
    _, sim, heater_ever_on = halted_run(img)
    assert not heater_ever_on
    assert any("firmware/image.json: missing or unreadable" in line for line in sim.ctl.console)


def test_a_corrupt_model_falls_back_with_the_fault_led(mpy_image):
    img = dict(mpy_image)
    img["firmware/toast_model.mpy"] = img["firmware/toast_model.mpy"] + b"\0"
    result, sim = run(default(1), "vm", img)
    assert result["batches"][0]["source"] == "fallback" and sim.rig.fault_led
    assert any("model refused" in line for line in sim.ctl.messages())


def test_an_open_thermistor_at_boot_halts(mpy_image):
    _, sim, heater_ever_on = halted_run(mpy_image, [scenario.Fault("thermistor_open", 0.0)])
    assert not heater_ever_on
    assert any("self-test failed: thermistor open or shorted" in line for line in sim.ctl.console)


def test_watchdog_reset_is_logged_and_never_resumes_heating(mpy_image):
    sc = default(1, [scenario.Fault("loop_stall", 50.0, 10.0)])
    result, sim = run(sc, "vm", mpy_image)
    assert result["watchdog_resets"] == 1 and not result["hazard"]
    assert "reset cause %d" % vb.WDT_RESET in sim.ctl.messages()
    # stalled, the board holds its last outputs until the watchdog resets it
    reset_s = 50.0 + limits.WATCHDOG_MS / 1000.0 + 0.2
    assert [row for row in sim.trace if row[0] > reset_s and row[1]] == []


def test_power_loss_never_resumes_by_itself(mpy_image):
    result, sim = run(default(1, [scenario.Fault("power_loss", 60.0, 5.0)]), "vm", mpy_image)
    assert [row for row in sim.trace if row[0] > 65.0 and row[1]] == []
    assert result["batches"][0]["heater_on_s"] < 61.0


def test_service_mode_starts_no_loop_and_prints_the_readings(mpy_image):
    link = vb.BoardLink(mpy_image, "vm")
    try:
        counts = int(round(adc_counts(21.5)))
        inputs = {"ms": 0, "pins": {"12": 0}, "adc": {"26": counts << 4, "27": vb.mains_u16(1000)}}
        frame = link.exchange(inputs)  # the thermistor line, then it lets the sensors settle
        assert frame["sleep"] == 1000 and frame["pins"]["15"] == 0 and "wdt_timeout_ms" not in frame["pins"]
        shown = "%.1f C (%d counts)" % (checks.reading_dc(counts) / 10, counts)
        assert link.console == ["service mode: heater off, no loop; thermistor %s, mains 1000 per-mille" % shown]
        assert frame["i2c_w"] == []  # the ADS1115 did not answer its configuration
        tab = int(round(adc_counts(200.0)))
        answers = vb.i2c_answers([(raw_word(201.3), raw_word(24.0)), None], tab)
        with pytest.raises(vb.BoardError, match=r"board exited \(0\)"):  # main.py returned to the REPL
            link.exchange(dict(inputs, ms=1000, i2c=answers))
        tab_shown = "%.1f C (%d counts)" % (checks.reading_dc(tab) / 10, tab)
        assert link.console[1:] == ["surface: slot 1 201.3 C (die 24.0 C), slot 2 no answer (die no answer); "
                                    "reference tab thermistor %s" % tab_shown]
    finally:
        link.close()


# --- the machine module's other peripherals -------------------------------------------------
PERIPHERALS = """
import sys, vclock
sys.modules["time"] = vclock
import machine, time
pwm = machine.PWM(machine.Pin(16), freq=2000, duty_u16=1000)
pwm.duty_u16(30000)
ticks = []
t = machine.Timer(period=250, mode=machine.Timer.PERIODIC, callback=lambda tm: ticks.append(time.ticks_ms()))
uart = machine.UART(0, baudrate=115200)
uart.write(b"hello")
time.sleep_ms(1000)
print("pwm", pwm.duty_u16(), pwm.freq(), "timer", ticks, "uart", uart.read())
t.deinit()
time.sleep_ms(1000)
machine.reset()
"""


def test_pwm_timer_and_uart_of_the_vm_machine_module():
    link = vb.BoardLink({"main.py": PERIPHERALS.encode()}, "vm", boot="import main\n")
    try:
        assert link.frame["pwm"] == {"16": 30000}  # the Timer asked for the time first
        frame = link.exchange({"ms": 0, "adc": {}, "pins": {}})
        assert frame["sleep"] == 1000 and frame["tx"] == "hello" and frame["pwm"] == {"16": 30000}
        frame = link.exchange({"ms": 1000, "adc": {}, "pins": {}, "rx": "ping"})
        assert frame["sleep"] == 1000
        assert link.console == ["pwm 30000 2000 timer [1000, 1000, 1000, 1000] uart b'ping'"]
        assert link.exchange({"ms": 2000, "adc": {}, "pins": {}})["reset"] == 1
    finally:
        link.close()


@pytest.mark.timeout(120)
def test_sim_cli_runs_the_board_on_the_vm(tmp_path, capsys):
    from host_sim.cli import main
    out = tmp_path / "vm.json"
    assert main(["sim", "--board", "vm", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert [b["source"] for b in result["batches"]] == ["model"] * 3 and not result["hazard"]
    assert main(["sim", "--board", "vm", "--model", "adversarial:nan"]) == 2
    assert "--model: the vm board runs the scenario's [model]" in capsys.readouterr().err


@pytest.mark.timeout(300)
def test_the_vm_board_runs_the_scenarios_own_model(tmp_path, capsys):
    from host_sim.cli import main
    from tests.onnx_models import linear
    linear(tmp_path / "m.onnx", bias=123.0)
    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text('name = "own"\n[model]\npath = "m.onnx"\n[[batch]]\nbread = "white"\nshade = 3\n')
    out = tmp_path / "vm.json"
    assert main(["sim", str(scenario_file), "--board", "vm", "--json", str(out)]) == 0
    assert [b["predicted_s"] for b in json.loads(out.read_text())["batches"]] == [2.0 * 3 + 123.0]  # 2 s per shade
    scenario_file.write_text(scenario_file.read_text().replace("m.onnx", "adversarial:nan"))
    assert main(["sim", str(scenario_file), "--board", "vm"]) == 2
    assert "the board runs ONNX models only" in capsys.readouterr().err
