"""The bread-surface hardware: the MLX90614 and ADS1115 drivers on the real MicroPython VM
and under CPython (against the device models of tests/i2c_devices.py), the shared
surface reader, its heap use on the VM, the Pi Zero's smbus2 adapter on gpiozero's
MockFactory, the HIL frames' surface fields, the VM's I2C bus and its CPython twin, the
boot self-test, and the commissioning script of docs/MAKER.md."""

import subprocess
import sys
from pathlib import Path

import pytest

from firmware import protocol, selftest
from firmware.hw import ads1115, hil, mlx90614
from firmware.hw import pico_pins as pico
from firmware.hw import surface_sensors as ss
from firmware.hw import zero
from hil import host
from hil import image as board_image
from hil import virtual_board as vb
from host_sim import mpvm, scenario
from host_sim.rig import adc_counts
from host_sim.sensing import raw_word
from safety import checks, surface
from safety import limits as L
from tests.helpers import adc, healthy_bus
from tests.i2c_devices import ADS_RUNNING_CONFIG, ADS1115Model, Bus, FakeSMBus, MLX90614Model, smbus_pec

ROOT = mpvm.ROOT
needs_vm = pytest.mark.skipif(not mpvm.available(), reason="MicroPython VM not installed (npm ci)")
pytestmark = pytest.mark.timeout(120)

DRIVER_FILES = ("firmware/__init__.py", "firmware/hw/__init__.py", "firmware/hw/base.py",
                "firmware/hw/mlx90614.py", "firmware/hw/ads1115.py", "firmware/hw/surface_sensors.py",
                "firmware/presets.py", "firmware/hw/pico_pins.py", "firmware/hw/pico.py",
                "safety/__init__.py", "safety/checks.py", "safety/limits.py", "safety/surface.py",
                "safety/thermistor.py", "tests/i2c_devices.py")


def board_files(extra=None):
    """{path relative to the board's root: bytes}: the drivers, the device models as a
    top-level module, and `extra`."""
    files = {}
    for path in DRIVER_FILES:
        name = "i2c_devices.py" if path.startswith("tests/") else path
        files[name] = (ROOT / path).read_bytes()
    files.update(extra or {})
    return files


def on_vm(code, extra=None):
    files = {"/" + name: data for name, data in board_files(extra).items()}
    return mpvm.run("import sys\nsys.path.insert(0, '/')\n" + code, files).strip()


def on_cpython(code, tmp_path, extra=None):
    for name, data in board_files(extra).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    proc = subprocess.run([sys.executable, "-c", "import sys\nsys.path.insert(0, '.')\n" + code],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# --- the drivers, on both interpreters ------------------------------------------------------------
DRIVERS = """
from i2c_devices import Bus, MLX90614Model, ADS1115Model
from firmware.hw.mlx90614 import MLX90614, pec, word_to_dc
from firmware.hw.ads1115 import ADS1115
slot1 = MLX90614Model(0x5A, 201.3, 24.0)
tab = ADS1115Model(0x48)
bus = Bus(slot1, tab)
sensor = MLX90614(bus, 0x5A)
out = [sensor.object_dc(), sensor.die_dc()]
slot1.set(201.3, 24.0, bad_pec=True)
out.append(sensor.object_dc())
slot1.set(201.3, 24.0, error=True)
out.append(sensor.die_dc())
slot1.present = False
out.append(sensor.object_dc())
out.append(MLX90614(bus, 0x5B).object_dc())
slot1.present = True
slot1.set_word(0x07, 0x3AF7)
out += [sensor.object_dc(), word_to_dc(0x3AF7), pec(0x5A, 0x07, 0xD2, 0x3A)]
adc = ADS1115(bus, 0x48)
out += [adc.configured, tab.config]
for code in (0, 1, 13200, 26399, 26400, 32767, 0xFFFF, 0x8000):
    tab.set_code(code)
    out.append(adc.tab_counts())
tab.present = False
out += [adc.tab_counts(), adc.configured]
tab.present = True
tab.config = 0x8583
tab.set_code(13200)
out += [adc.tab_counts(), tab.config]
print(out)
"""
DRIVERS_EXPECTED = [2013, 240, None, None, None, None, 288, 288, 0x30, True, ADS_RUNNING_CONFIG,
                    0, 0, 2048, 4095, 4095, 4095, 0, 0, None, False, 2048, ADS_RUNNING_CONFIG]


def test_drivers_under_cpython(tmp_path):
    assert on_cpython(DRIVERS, tmp_path) == str(DRIVERS_EXPECTED)


@needs_vm
def test_drivers_on_the_micropython_vm():
    assert on_vm(DRIVERS) == str(DRIVERS_EXPECTED)


def test_pec_and_word_match_the_datasheet_examples():
    assert mlx90614.pec(0x5A, 0x07, 0xD2, 0x3A) == 0x30  # Read Word: SA 0x5A, cmd 0x07, data 0x3AD2
    assert smbus_pec([0x00, 0x2E, 0x00, 0x00]) == 0x6F  # the SMBus application note's erase
    assert smbus_pec([0x00, 0x2E, 0x5A, 0x00]) == 0xE1  # ... and write of address 0x5A
    assert mlx90614.word_to_dc(0x3AF7) == 288  # 28.75 C, rounded half up to deci-degrees
    assert mlx90614.word_to_dc(0x3AF7 | mlx90614.ERROR_FLAG) is None


def test_ads1115_counts_at_the_ends_of_the_range_and_its_inverse():
    assert [ads1115.code_to_counts(c) for c in (0, 3, 4, 26400, 26401, 32767)] == [0, 0, 1, 4095, 4095, 4095]
    assert ads1115.CONFIG_BYTES == b"\x42\x83"
    assert all(ads1115.code_to_counts(vb.ads_code(counts)) == counts for counts in range(4096))


# --- the shared reader ------------------------------------------------------------------------------
class CountingBus(Bus):
    def __init__(self, *devices):
        Bus.__init__(self, *devices)
        self.reads = []

    def readfrom_mem_into(self, addr, memaddr, buf):
        self.reads.append((addr, memaddr))
        Bus.readfrom_mem_into(self, addr, memaddr, buf)


def test_reader_refreshes_the_die_every_tenth_tick_and_drops_it_with_the_sensor():
    bus = CountingBus(*healthy_bus().devices.values())
    sensors = ss.SurfaceSensors(bus, pico.SURFACE_ADDRESSES, pico.ADDR_ADS1115)
    r = surface.Readings()
    for tick in range(ss.DIE_EVERY_TICKS + 1):
        sensors.read(r, tick * 100)
    die_reads = [a for a in bus.reads if a[1] == mlx90614.RAM_DIE]
    assert die_reads == [(0x5A, 6), (0x5B, 6)] * 2
    assert r.obj_dc == [2000, 2000] and r.body_dc == [250, 250] and r.ref_adc == adc(200.0)
    bus.devices[0x5A].set(180.0, 40.0)
    sensors.read(r, 1100)
    assert r.obj_dc[0] == 1800 and r.body_dc[0] == 250  # the die reading is kept between refreshes
    bus.devices[0x5A].present = False
    sensors.read(r, 1200)
    assert r.obj_dc[0] is None and r.body_dc[0] is None and r.obj_dc[1] == 2000
    bus.devices[0x5A].present = True
    sensors.read(r, 1300)
    assert r.body_dc[0] == 400  # read again at once, not at the next refresh


def test_purge_needs_fifty_pulses_a_second_over_a_whole_window():
    sensors = ss.SurfaceSensors(healthy_bus(), pico.SURFACE_ADDRESSES, pico.ADDR_ADS1115)
    r = surface.Readings()
    seen = []
    for tick in range(35):
        for _ in range(5 if tick < 20 else 4):  # 50 pulses a second, then 40
            sensors.pulse()
        sensors.read(r, tick * 100)
        seen.append(r.purge_ok)
    assert not any(seen[:10])  # no whole window yet at boot
    assert all(seen[10:20]) and not any(seen[30:])
    sensors.pulses = ss.PULSE_MASK - 10  # the counter wraps without miscounting
    sensors._window_pulses = sensors.pulses
    for _ in range(60):
        sensors.pulse()
    sensors.read(r, 4000)
    assert r.purge_ok and sensors.pulses == 49


# --- heap: PicoBoard.read_surface on the VM ------------------------------------------------------
FAKE_MACHINE = b"""
import i2c_devices
BUS = i2c_devices.Bus(i2c_devices.MLX90614Model(0x5A, 200.0, 25.0),
                      i2c_devices.MLX90614Model(0x5B, 200.0, 25.0), i2c_devices.ADS1115Model(0x48, 3160))


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    IRQ_FALLING = 4

    def __init__(self, pin_id, mode=0, pull=None, value=None):
        self.handler = None

    def value(self, level=None):
        return 1

    def irq(self, handler=None, trigger=4):
        self.handler = handler


class ADC:
    def __init__(self, channel):
        pass

    def read_u16(self):
        return 0


def I2C(bus_id, sda=None, scl=None, freq=0):
    return BUS
"""
HEAP = """
import gc
from machine import BUS
from firmware.hw.pico import PicoBoard
from safety.surface import Readings


def allocated(board, readings, ticks):
    gc.collect()
    gc.disable()
    before = gc.mem_free()
    for _ in range(ticks):
        board.read_surface(readings)
    after = gc.mem_free()
    gc.enable()
    return before - after


board = PicoBoard(None, watchdog=False)
readings = Readings()
allocated(board, readings, 30)
steady = allocated(board, readings, 200)
BUS.devices[0x5B].present = False
allocated(board, readings, 30)
nack = allocated(board, readings, 200)
print(steady, nack, readings.obj_dc, readings.ref_adc)
"""


@needs_vm
def test_pico_read_surface_allocates_no_heap_in_steady_state(capsys):
    out = on_vm(HEAP, {"machine.py": FAKE_MACHINE})
    steady, nack, obj, ref = out.split(" ", 3)
    assert int(steady) == 0, out
    assert obj + " " + ref == "[2000, None] %d" % ads1115.code_to_counts(3160)
    with capsys.disabled():  # the figure the docs quote: a NACK allocates its OSError
        print("\nheap per 200 read_surface calls on the VM: %s bytes; one thermopile not answering: %s bytes"
              % (steady, nack))


# --- the Pi Zero: smbus2 adapter, gpiozero tachometer -------------------------------------------
def zero_board(factory, bus):
    board = zero.ZeroBoard(pin_factory=factory, i2c=FakeSMBus(bus))
    factory.boards.append(board)
    return board


def test_zero_reads_the_sensors_through_smbus2(zero_pins):
    bus = healthy_bus()
    board = zero_board(zero_pins, bus)
    clock = [0]
    board.ticks_ms = lambda: clock[0]
    assert bus.devices[0x48].config == ADS_RUNNING_CONFIG
    fan = zero_pins.pin(zero.PIN_FAN_TACH)
    r = surface.Readings()
    for tick in range(12):
        for _ in range(10):
            fan.drive_low()
            fan.drive_high()
        clock[0] = tick * 100
        board.read_surface(r)
    assert r.obj_dc == [2000, 2000] and r.body_dc == [250, 250] and r.ref_adc == adc(200.0) and r.purge_ok
    bus.devices[0x5A].set(200.0, 25.0, bad_pec=True)
    bus.devices[0x5B].present = False
    bus.devices[0x48].present = False
    board.read_surface(r)
    assert r.obj_dc == [None, None] and r.body_dc == [None, None] and r.ref_adc is None
    fake = board._i2c.bus
    board.close()
    assert fake.closed


def test_zero_without_an_i2c_bus_runs_with_no_surface_readings(zero_pins, monkeypatch):
    def no_bus(n):
        raise FileNotFoundError(2, "No such file or directory: '/dev/i2c-%d'" % n)

    monkeypatch.setattr(zero, "SMBus", no_bus)
    board = zero.ZeroBoard(pin_factory=zero_pins)
    zero_pins.boards.append(board)
    r = surface.Readings()
    board.read_surface(r)
    assert r.obj_dc == [None, None] and r.ref_adc is None and not r.purge_ok
    board.close()


def test_zero_boot_logs_a_missing_thermopile(zero_pins, tmp_path):
    from tests.helpers import zero_run
    bus = healthy_bus()
    bus.devices[0x5B].present = False
    ctl, board, logged = zero_run(zero_pins, tmp_path / "absent.onnx", ticks=3, bus=bus)
    assert logged[0] == "self-test: thermopile 2 (0x5b): no answer; " + selftest.SURFACE_DEGRADED


def test_zero_pins_and_addresses_match_the_pico_build():
    assert zero.SURFACE_ADDRESSES == pico.SURFACE_ADDRESSES and zero.ADDR_ADS1115 == pico.ADDR_ADS1115
    used = {zero.PIN_HEATER, zero.PIN_LATCH, zero.PIN_LED, zero.PIN_LEVER, zero.PIN_BREAD, zero.PIN_FROZEN}
    assert zero.PIN_FAN_TACH not in used | {2, 3, 8, 9, 10, 11}  # nor I2C1 nor SPI0


# --- boot self-test -----------------------------------------------------------------------------------
def test_surface_self_test_names_each_problem():
    from safety.checks import reading_dc
    bus = healthy_bus()
    sensors = ss.SurfaceSensors(bus, pico.SURFACE_ADDRESSES, pico.ADDR_ADS1115)

    def problems():
        return selftest.surface(sensors.thermopiles, sensors.tab.tab_counts, surface.plausible, reading_dc)

    assert problems() == []
    bus.devices[0x5A].present = False
    bus.devices[0x5B].set(200.0, 130.0)
    bus.devices[0x48].set_code(0)
    assert problems() == ["thermopile 1 (0x5a): no answer",
                          "thermopile 2: implausible: object 200.0 C, die 130.0 C",
                          "reference tab thermistor open or shorted (0 counts)"]
    bus.devices[0x48].present = False
    assert problems()[-1] == "reference tab ADC: no answer"


@needs_vm
@pytest.mark.timeout(300)
def test_vm_boot_logs_an_open_thermopile_and_runs_the_batch_degraded():
    sc = scenario.load(scenario.DEFAULT_PATH)
    sc.batches = sc.batches[:1]
    sc.faults = [scenario.Fault("surface_open", 0.0, slot=1)]
    result, sim = vb.simulate(sc, "vm")
    assert "self-test: thermopile 1 (0x5a): no answer; " + selftest.SURFACE_DEGRADED in sim.ctl.messages()
    assert result["batches"][0]["heater_on_s"] > 0 and "degraded" in result["batches"][0]["guard_events"]
    assert not result["hazard"]


@needs_vm
@pytest.mark.timeout(300)
def test_vm_board_refuses_words_with_a_wrong_pec():
    sc = scenario.load(scenario.DEFAULT_PATH)
    sc.batches = sc.batches[:1]
    sc.faults = [scenario.Fault("surface_pec_error", 0.0, slot=2)]
    _, sim = vb.simulate(sc, "vm")
    rows = [row for seg in sim.segments for row in seg]
    assert rows and all(row[9] is None and row[11] is None for row in rows)  # slot 2: object, die
    assert all(row[8] is not None for row in rows)


# --- HIL frames ---------------------------------------------------------------------------------------
def s_frame(**changes):
    fields = {"t": 0, "adc": 3000, "lever": 0, "mains": 1000, "shade": 4, "bread": 0, "frozen": 0, "amb": 220,
              "s1": raw_word(200.0), "s2": -1, "b1": raw_word(25.0), "b2": -1, "ref": 395, "fan": 1}
    fields.update(changes)
    return {k: str(v) for k, v in fields.items() if v is not None}


@pytest.mark.parametrize("field, bad", [("s1", -2), ("s2", 32768), ("b1", -2), ("b2", 40000), ("ref", 4096),
                                        ("ref", -2), ("fan", 2), ("fan", -1), ("s1", None), ("fan", None),
                                        ("ref", "1e3")])
def test_hil_frame_refuses_a_surface_field_out_of_bounds_or_missing(field, bad):
    with pytest.raises(protocol.Reject, match="payload"):
        hil.parse_frame(s_frame(**{field: bad}))


def test_hil_board_reads_the_surface_fields():
    frame = hil.parse_frame(s_frame(s2=0x7FFF, b2=0, ref=-1, fan=0))
    board = hil.HilBoard(None, None)
    board.frame = frame
    r = surface.Readings()
    board.read_surface(r)
    assert r.obj_dc == [2000, mlx90614.word_to_dc(0x7FFF)] and r.body_dc == [250, mlx90614.word_to_dc(0)]
    assert r.ref_adc is None and r.purge_ok is False
    board.frame = hil.parse_frame(s_frame())
    board.read_surface(r)
    assert r.obj_dc[1] is None and r.body_dc[1] is None and r.ref_adc == 395 and r.purge_ok is True


def test_host_builds_the_surface_fields_and_the_line_stays_short():
    fields = host.surface_fields([(100, 200), None], None, False)
    assert fields == {"s1": 100, "b1": 200, "s2": -1, "b2": -1, "ref": -1, "fan": 0}
    widest = {"t": (1 << 30) - 1, "adc": 4095, "lever": 1, "mains": 1500, "shade": 7, "bread": 5,
              "frozen": 1, "amb": -400, "s1": 32767, "s2": 32767, "b1": 32767, "b2": 32767, "ref": 4095,
              "fan": 1}
    line = protocol.encode("S", protocol.SEQ_MAX, widest)
    assert len(line) < protocol.MAX_LINE and hil.parse_frame(protocol.decode(line)[2]) == widest


# --- the VM's I2C bus and its CPython twin -----------------------------------------------------------
I2C_SCRIPT = """
import machine, time
i2c = machine.I2C(0, sda=machine.Pin(4), scl=machine.Pin(5), freq=100000)
buf = bytearray(3)
i2c.readfrom_mem_into(90, 7, buf)
out = [list(buf)]
for addr, reg in ((91, 7), (90, 6)):
    try:
        i2c.readfrom_mem_into(addr, reg, buf)
    except OSError as e:
        out.append(("nack", addr, reg, e.args[0]))
i2c.writeto_mem(72, 1, b"\\x42\\x83")
try:
    i2c.writeto_mem(73, 1, b"\\x00")
except OSError as e:
    out.append(("nack", 73, e.args[0]))
print(out)
time.sleep_ms(100)
"""


@needs_vm
@pytest.mark.parametrize("interpreter", vb.INTERPRETERS)
def test_vm_i2c_serves_the_frame_and_nacks_like_micropython(interpreter):
    img = dict(board_image.pico_image(mpy=False), **{"main.py": I2C_SCRIPT.encode()})
    link = vb.BoardLink(img, interpreter)
    try:
        answers = {"90:7": [1, 2, 3], "90:6": None, "72:0": [0, 0]}
        frame = link.exchange({"ms": 0, "adc": {}, "pins": {}, "i2c": answers})
        assert link.console == ["[[1, 2, 3], ('nack', 91, 7, 5), ('nack', 90, 6, 5), ('nack', 73, 5)]"]
        assert frame["sleep"] == 100 and frame["i2c_w"] == [[72, 1, [0x42, 0x83]]]
    finally:
        link.close()


def test_host_encodes_the_rig_as_the_pico_reads_it():
    answers = vb.i2c_answers([(raw_word(200.0), raw_word(25.0)), None], adc(200.0), [False, True])
    obj = answers["90:7"]
    assert obj[2] == mlx90614.pec(0x5A, 7, obj[0], obj[1]) and mlx90614.word_to_dc(obj[0] | obj[1] << 8) == 2000
    garbled = answers["91:7"]
    assert garbled[:2] == [0xF7, 0x3A] and garbled[2] != mlx90614.pec(0x5B, 7, 0xF7, 0x3A)
    code = answers["72:0"][0] << 8 | answers["72:0"][1]
    assert ads1115.code_to_counts(code) == adc(200.0)
    assert vb.i2c_answers([None, None], None)["72:0"] is None
    assert vb.FAN_PULSES_PER_TICK * (1000 // 100) >= L.PURGE_MIN_PULSES


# --- commissioning (docs/MAKER.md) --------------------------------------------------------------------
COMMISSION = ROOT / "docs" / "commission_mlx90614.py"
FACTORY_MACHINE = b"""
import i2c_devices
SENSOR = i2c_devices.MLX90614Model(0x5A, 25.0, 25.0)
BUS = i2c_devices.Bus(SENSOR)


class Pin:
    def __init__(self, pin_id, *args, **kw):
        pass


def I2C(bus_id, sda=None, scl=None, freq=0):
    return BUS
"""


@needs_vm
def test_commissioning_sets_the_emissivity_and_the_address_on_the_vm():
    code = COMMISSION.read_text() + """
emissivity()
address()
from machine import SENSOR
print(SENSOR.eeprom_writes, hex(SENSOR.eeprom[0x04]), hex(SENSOR.eeprom[0x0E]))
"""
    out = on_vm(code, {"machine.py": FACTORY_MACHINE}).splitlines()
    assert out[-1] == "[(4, 0), (4, 58982), (14, 0), (14, 91)] 0xe666 0x5b"
    assert "emissivity 0x5a: 0xffff -> 0xe666 (0.900)" in out[0]
    assert "address 0x5a -> 0x5b" in out[-2] and "power-cycle" in out[-2]


def test_adc_counts_and_the_tab_ntc_agree_with_the_chamber_scale():
    counts = int(round(adc_counts(200.0)))
    assert checks.reading_dc(ads1115.code_to_counts(vb.ads_code(counts))) == checks.reading_dc(counts)
