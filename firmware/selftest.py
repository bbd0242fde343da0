"""Boot self-test, after IEC 60730-1 Annex H as far as MicroPython allows: the image's
files against their SHA-256 manifest (a corrupt guard must never heat), the thermistor's
plausibility before the first batch, and whether the bread-surface sensors answer.

Imports nothing of the firmware or safety packages: it runs before they are trusted.
"""

import binascii
import hashlib
import json

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

CHUNK = const(512)
THERMISTOR_SAMPLES = const(8)
# Back-to-back readings of a still chamber differ only by ADC noise (< 0.5 C after
# oversampling); a loose joint or interference moves them more.
THERMISTOR_SPREAD_DC = const(20)
# The MLX90614's first readings after power-on are not valid until its filters have
# run (SMBus application note), and the ADS1115's first conversion takes 8 ms.
SENSOR_SETTLE_MS = const(1000)
MODEL_PREFIX = "firmware/toast_model"  # the model has its own check and a fallback
SURFACE_DEGRADED = "every batch runs degraded until both thermopiles pass the reference check"


def sha256_hex(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            h.update(chunk)
    return binascii.hexlify(h.digest()).decode()


STRAY = "not in the image manifest"


def check_image(manifest_path, listdir):
    """Problems with the image as "path: why" lines; empty when every listed file matches
    and no unlisted code file sits beside them (MicroPython would import a stray .py
    before the .mpy of the same name)."""
    try:
        with open(manifest_path) as f:
            files = json.load(f)["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return ["%s: missing or unreadable" % manifest_path]
    problems = _strays(files, listdir)
    for path in sorted(files):
        try:
            ok = sha256_hex(path) == files[path]
        except OSError:
            problems.append("%s: missing" % path)
            continue
        if not ok:
            problems.append("%s: SHA-256 differs from the image manifest" % path)
    return problems


def _strays(files, listdir):
    dirs = {}
    for path in files:
        if "/" in path:
            dirs[path[:path.rfind("/")]] = True
    problems = []
    for d in sorted(dirs):
        for name in sorted(listdir(d)):
            path = d + "/" + name
            if (name.endswith(".py") or name.endswith(".mpy")) and path not in files:
                problems.append("%s: %s" % (path, STRAY))
    return problems


def fatal(problems):
    """The problems that forbid heating: all but a listed model file that is missing or
    altered (the model loader refuses it and the guard runs on its fallback table)."""
    return [p for p in problems if not p.startswith(MODEL_PREFIX) or p.endswith(STRAY)]


def thermistor(read_adc, reading_dc):
    """None if THERMISTOR_SAMPLES readings are all temperatures and agree; else why not."""
    readings = []
    for _ in range(THERMISTOR_SAMPLES):
        dc = reading_dc(read_adc())
        if dc is None:
            return "thermistor open or shorted"
        readings.append(dc)
    lo, hi = min(readings), max(readings)
    if hi - lo > THERMISTOR_SPREAD_DC:
        return "thermistor unsteady: readings spread %d.%d C" % ((hi - lo) // 10, (hi - lo) % 10)
    return None


def log_surface(board, plausible, reading_dc):
    """Log each problem of the surface sensors at boot: those batches run degraded."""
    sensors = board.sensors
    for problem in surface(sensors.thermopiles, sensors.tab.tab_counts, plausible, reading_dc):
        board.log("self-test: %s; %s" % (problem, SURFACE_DEGRADED))


def surface(thermopiles, tab_counts, plausible, reading_dc):
    """Problems with the bread-surface sensors, one line each (none: an empty list): each
    thermopile answers with object and die temperatures in its calibrated ranges
    (plausible(object, die) is 0, safety.surface), and the reference tab's thermistor
    reads a temperature. Not a reason to halt: the guard degrades every batch until both
    thermopiles pass its reference check."""
    problems = []
    for slot in range(len(thermopiles)):
        sensor = thermopiles[slot]
        obj, die = sensor.object_dc(), sensor.die_dc()
        if obj is None or die is None:
            problems.append("thermopile %d (0x%02x): no answer" % (slot + 1, sensor.address))
        elif plausible(obj, die):
            problems.append("thermopile %d: implausible: object %s, die %s"
                            % (slot + 1, celsius(obj), celsius(die)))
    counts = tab_counts()
    if counts is None:
        problems.append("reference tab ADC: no answer")
    elif reading_dc(counts) is None:
        problems.append("reference tab thermistor open or shorted (%d counts)" % counts)
    return problems


def celsius(dc):
    """Deci-degrees C as text: "201.3 C"."""
    return "%.1f C" % (dc / 10)
