"""Training data: realistic batches, each labelled by root-finding on the host_sim plant.

Each batch gives the model's rows of signature v2 (firmware/features.py): the one asked
at the press (the panel's bread temperature in place of the surface: the thermopile
still sees the tab while the carriage falls) and one per re-advice every READVISE_MS
while heating (the surface then, the heater time so far), all labelled with the batch's heater time to the target. The thermopile is the rig's
model (host_sim/sensing.py) with an accuracy offset and a bread emissivity drawn within
their tolerances, so the model learns the reading as the board will see it.

A sample is a batch as a user makes it: a bread preset with the spread real loaves have,
fresh or frozen, in a room of 5-40 C, on a 230 V-class or 120 V-class supply, in a cold
toaster or one that made one or two batches and then stood idle 0-300 s. Its label is the
heater-on time at which the plant's browning ΔE(t) crosses the shade's target 6 * shade:
the crossing is bracketed on the plant's own 50 ms integration step and refined by linear
interpolation inside the bracket (ΔE is non-decreasing in t, so the root is unique).

Everything is a pure function of (seed, index), so a dataset rebuilt with the same
parameters is the same dataset, whatever the number of worker processes.
"""

import random

import numpy as np

from firmware.features import FEATURES_V2, FROZEN_C, READVISE_MS
from firmware.presets import PRESETS
from host_sim.bread import Bread, sugar_factor
from host_sim.plant import SLOTS, Plant
from host_sim.sensing import ACCURACY_C, BREAD_EMISSIVITY, Sensing
from host_sim.slice import Slice

STEP_S = 0.05  # the simulator's plant step (host_sim/rig.py PLANT_STEP_MS)
LABEL_MAX_S = 420.0  # a batch that needs longer than this is outside any toaster's use
CURVE_STEP_S = 1.0  # resolution of the stored ΔE(t) curves used to score predictions
ELEMENT_W = 900.0

# Spread of real loaves around a preset (assumed): thickness +-20 % (home slicing),
# water +-0.02 mass fraction (fresh vs a day old), sugar +-25 % relative. The board only
# knows the preset's nominal water and sugar, so the features carry those and the plant
# gets the real loaf: that spread is label noise the model cannot remove.
THICKNESS_SPREAD = 0.20
MOISTURE_SPREAD = 0.02
SUGAR_SPREAD = 0.25
THICKNESS_MM = (10.0, 30.0)  # the scenario loader's bounds
AMBIENT_C = (5.0, 40.0)  # IEC 60335-1 room range
SUPPLY_FAMILIES = ((230.0, 200.0, 250.0), (120.0, 100.0, 127.0))  # rated, min, max
LOW_VOLTAGE_FAMILY_P = 0.3
FROZEN_P = 0.25
WARM_P = 0.5
PRIOR_HEAT_S = (60.0, 190.0)
PRIOR_GAP_S = (15.0, 60.0)
IDLE_S = (0.0, 300.0)

DEFAULTS = {"samples": 6000, "test_fraction": 0.2, "seed": 20261122}


def draw(seed, index):
    """The batch of sample `index`: a dict of the situation, nothing simulated yet."""
    rng = random.Random(seed * 1000003 + index)
    name, thickness, moisture, sugar = PRESETS[rng.randrange(len(PRESETS))]
    rated, vmin, vmax = SUPPLY_FAMILIES[1 if rng.random() < LOW_VOLTAGE_FAMILY_P else 0]
    warm = rng.random() < WARM_P
    return {
        "index": index,
        "shade": rng.randint(1, 7),
        "bread": name,
        "thickness_mm": _clip(thickness * (1.0 + rng.uniform(-THICKNESS_SPREAD, THICKNESS_SPREAD)), THICKNESS_MM),
        "moisture": moisture,
        "sugar": sugar,
        "loaf_moisture": moisture + rng.uniform(-MOISTURE_SPREAD, MOISTURE_SPREAD),
        "loaf_sugar": sugar * (1.0 + rng.uniform(-SUGAR_SPREAD, SUGAR_SPREAD)),
        "frozen": rng.random() < FROZEN_P,
        "ambient_c": rng.uniform(*AMBIENT_C),
        "rated_v": rated,
        "supply_v": rng.uniform(vmin, vmax),
        "prior_heat_s": [rng.uniform(*PRIOR_HEAT_S) for _ in range(rng.randint(1, 2))] if warm else [],
        "prior_gap_s": rng.uniform(*PRIOR_GAP_S),
        "idle_s": rng.uniform(*IDLE_S) if warm else 0.0,
        "sensor_offset_c": rng.uniform(-ACCURACY_C, ACCURACY_C),
        "bread_emissivity": rng.uniform(*BREAD_EMISSIVITY),
    }


def _clip(x, bounds):
    return min(bounds[1], max(bounds[0], x))


def prepare(s):
    """The plant at the moment the lever goes down for sample s, and its feature vector."""
    plant = Plant(s["ambient_c"], None, s["supply_v"], s["rated_v"], ELEMENT_W)
    sensing = Sensing(plant, SLOTS, s["sensor_offset_c"], s["bread_emissivity"])
    for i, heat_s in enumerate(s["prior_heat_s"]):
        if i:
            _run(plant, sensing, s["prior_gap_s"], False)
        plant.load([_slice(Bread("white", False, None, s["ambient_c"])) for _ in plant.slots])
        _run(plant, sensing, heat_s, True)
        plant.unload()
    _run(plant, sensing, s["idle_s"], False)
    start_c = plant.thermistor_c
    bread = Bread(s["bread"], s["frozen"], s["thickness_mm"], s["ambient_c"])
    bread.moisture, bread.sugar = s["loaf_moisture"], s["loaf_sugar"]
    plant.load([_slice(bread) for _ in plant.slots])
    _view(sensing, 0.1)  # the thermopile turns to the slice as the carriage falls
    bread_start_c = FROZEN_C if s["frozen"] else s["ambient_c"]
    # at the press the thermopile still sees the tab: the board sends the panel's bread
    # temperature there (firmware/control.py), and the re-advice rows carry the reading
    x = [float(s["shade"]), s["thickness_mm"], bread_start_c, s["moisture"], s["sugar"], start_c,
         s["ambient_c"], s["supply_v"], bread_start_c, 0.0]
    return plant, sensing, x


def _slice(bread):
    return Slice(bread, sugar_factor(bread.sugar))


def _no_fault(kind, slot):
    return None


def _view(sensing, seconds):
    """Let the sensing settle on what is in the slots, the element off."""
    for _ in range(int(round(seconds / STEP_S))):
        sensing.step(STEP_S, True, True, _no_fault)


def _run(plant, sensing, seconds, energised):
    """The plant and its sensing for `seconds` (the carriage down while heated)."""
    for _ in range(int(round(seconds / STEP_S))):
        plant.step(STEP_S, energised)
        sensing.step(STEP_S, True, energised, _no_fault)


def label(s, curve=False):
    """(features at the press, heater seconds to the target ΔE or None, ΔE curve at 1 s
    steps or None, the features of each re-advice before the target)."""
    plant, sensing, x = prepare(s)
    target = 6.0 * s["shade"]
    bread = plant.slots[0]
    t, before = 0.0, bread.delta_e
    points = [before] if curve else None
    per_point = int(round(CURVE_STEP_S / STEP_S))
    per_advice = int(round(READVISE_MS / 1000.0 / STEP_S))
    readvice = []
    found = None
    while t < LABEL_MAX_S:
        plant.step(STEP_S, True)
        sensing.step(STEP_S, True, True, _no_fault)
        t += STEP_S
        if found is None and int(round(t / STEP_S)) % per_advice == 0:
            readvice.append(x[:8] + [sensing.sensors[0].object_c, t])
        after = bread.delta_e
        if found is None and after >= target:
            found = t - STEP_S + STEP_S * (target - before) / (after - before)
            if not curve:
                break
        if curve and int(round(t / STEP_S)) % per_point == 0:
            points.append(after)
        before = after
    return x, found, points, [r for r in readvice if found is not None and r[-1] < found]


def _work(args):
    seed, index, curve = args
    s = draw(seed, index)
    x, y, points, readvice = label(s, curve)
    return index, x, y, points, readvice


def build(samples=DEFAULTS["samples"], seed=DEFAULTS["seed"], test_fraction=DEFAULTS["test_fraction"],
          jobs=2, progress=None):
    """The dataset as numpy arrays; the last test_fraction of indices is held out.

    Samples whose target is out of reach within LABEL_MAX_S are dropped and counted.
    `progress(done, total)` is called as samples finish.
    """
    n_test = int(round(samples * test_fraction))
    first_test = samples - n_test
    tasks = [(seed, i, i >= first_test) for i in range(samples)]
    rows = _map(_work, tasks, jobs, progress)
    rows.sort(key=lambda r: r[0])
    keep = [r for r in rows if r[2] is not None]
    train = [r for r in keep if r[0] < first_test]
    test = [r for r in keep if r[0] >= first_test]
    curve_len = int(LABEL_MAX_S / CURVE_STEP_S) + 1
    x_train = [r[1] for r in train] + [x for r in train for x in r[4]]
    y_train = [r[2] for r in train] + [r[2] for r in train for _ in r[4]]
    return {
        "x_train": np.array(x_train, dtype=np.float64),
        "y_train": np.array(y_train, dtype=np.float64),
        "x_test": np.array([r[1] for r in test], dtype=np.float64),
        "y_test": np.array([r[2] for r in test], dtype=np.float64),
        "curves_test": np.array([_pad(r[3], curve_len) for r in test], dtype=np.float64),
        "params": {"samples": samples, "seed": seed, "test_fraction": test_fraction,
                   "dropped_unreachable": len(rows) - len(keep), "features": list(FEATURES_V2),
                   "readvise_ms": READVISE_MS,
                   "label_max_s": LABEL_MAX_S, "step_s": STEP_S, "element_w": ELEMENT_W},
    }


def _pad(points, n):
    points = list(points)
    return (points + [points[-1]] * n)[:n]


def _map(fn, tasks, jobs, progress):
    out = []
    if jobs <= 1:
        for task in tasks:
            out.append(fn(task))
            if progress:
                progress(len(out), len(tasks))
        return out
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for row in pool.imap_unordered(fn, tasks, chunksize=16):
            out.append(row)
            if progress:
                progress(len(out), len(tasks))
    return out


def delta_e_at(curve, seconds):
    """ΔE after `seconds` of heating, read off a stored curve (linear between points)."""
    t = np.clip(np.asarray(seconds, dtype=np.float64), 0.0, LABEL_MAX_S)
    grid = np.arange(curve.shape[-1]) * CURVE_STEP_S
    return np.interp(t, grid, curve)
