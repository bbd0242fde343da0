"""Scenario TOML files (docs/INTERFACES.md): loaded once, every key checked, bounds enforced.

Anything wrong raises ScenarioError with one line naming the file, the key and why. The
file itself is bounded too (its size, its text, its nesting, its lists, its strings): a bad
file costs that one line, never a hang or a traceback.
"""

import codecs
import os
import reprlib
import stat
import tomllib
import unicodedata
from pathlib import Path

from host_sim.bread import PRESET_NAMES

FAULT_KINDS = ("thermistor_open", "thermistor_short", "thermistor_stuck",
               "thermistor_detached", "adc_noise", "relay_welded", "loop_stall",
               "power_loss", "model_nan", "carriage_jammed", "crumb_fire",
               # the bread-surface sensing (host_sim/sensing.py); `slot` picks one slot's
               # sensor (default: both), `severity` sets the magnitude (0-1)
               "surface_open", "surface_pec_error", "surface_stuck", "lens_fouled",
               "lens_misaligned", "surface_glare", "surface_drift", "reference_tab_open",
               "reference_heater_failed", "purge_stopped", "isolator_welded")
SLOT_FAULTS = ("surface_open", "surface_pec_error", "surface_stuck", "lens_fouled",
               "lens_misaligned", "surface_glare", "surface_drift")
SEVERITY_FAULTS = ("lens_fouled", "lens_misaligned", "surface_glare", "surface_drift")
# Faults that stop by themselves in the tests' fault matrices (a user frees a jammed
# carriage; power returns; the loop recovers), so a batch can still end.
TRANSIENT_FAULTS = ("power_loss", "loop_stall", "carriage_jammed")
# Combinations beyond what software can catch (hazard H15): the SSR and the isolating
# relay both welded with the carriage jammed; the guard's campaigns leave them out, and
# benchmarks/double_fault.py measures the hardware layers against them.
BEYOND_SOFTWARE = (frozenset(("relay_welded", "isolator_welded", "carriage_jammed")),)
DEFAULT_PATH = Path(__file__).with_name("scenarios") / "default.toml"

# Bounds: the appliance's rating (IEC 60335-1: rooms of 5-40 C; element and mains within
# the tolerances the guard's caps were set for, see safety/limits.py). The element is the
# 900 W part within its power tolerance (IEC 60335-1, 10.1: +5 % / -10 %); the guard
# cannot measure power, so a stronger element is another product with its own limits.
TOASTER_KEYS = {
    "ambient_c": (5.0, 40.0),
    "supply_v": (50.0, 280.0),
    "rated_v": (100.0, 240.0),
    "element_w": (810.0, 945.0),
    "chamber_start_c": (5.0, 250.0),
    # the surface sensing's tolerances (host_sim/sensing.py): the slices' emissivity and
    # the thermopiles' accuracy at the datasheet's worst case
    "bread_emissivity": (0.85, 0.95),
    "surface_offset_c": (-4.0, 4.0),
}
SUPPLY_RATIO = (0.5, 1.2)  # supply_v / rated_v the simulator accepts (the guard cuts >1.1)
BATCH_KEYS = ("bread", "frozen", "shade", "thickness_mm", "start_after_s", "slot2")
SLOT_KEYS = ("bread", "frozen", "thickness_mm")
EMPTY = "empty"  # slot2 = "empty": a single slice, in slot 1
THICKNESS_MM = (10.0, 30.0)  # the slot and the caps are rated for 10-30 mm slices
START_AFTER_S = (0.0, 3600.0)
FAULT_AT_S = (0.0, 36000.0)
MAX_BATCHES = 20
# Bounds on the file itself, so a hostile or mistaken file costs a line, not a hang or a
# traceback. The shipped scenarios are ~0.5 KiB and one with MAX_BATCHES batches and
# MAX_FAULTS faults, all keys spelt out, ~10 KiB: 64 KiB leaves room for comments.
MAX_BYTES = 64 * 1024
# Each of the 22 kinds twice (once per slot, or a transient fault that recurs) fits; the
# rig scans every fault each 50 ms plant step, so 10,000 inert faults took ~30 min.
MAX_FAULTS = 50
# The schema's deepest value: the top table, [[batch]], a batch, its slot2 = { ... }.
MAX_DEPTH = 4
NAME_MAX = 80  # the CLI's table title and the plot titles show it on one line
PATH_MAX = 4096  # [model] path: Linux's PATH_MAX
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SHOWN = reprlib.Repr()  # a value quoted in a message: bounded, escaped, one line
_SHOWN.maxstring = _SHOWN.maxother = 40
_SHOWN.maxlevel = 2


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message is the one line the user sees."""


class Toaster:
    def __init__(self, ambient_c=22.0, supply_v=230.0, rated_v=230.0, element_w=900.0,
                 chamber_start_c=None, bread_emissivity=0.90, surface_offset_c=0.0):
        self.ambient_c = ambient_c
        self.supply_v = supply_v
        self.rated_v = rated_v
        self.element_w = element_w
        self.chamber_start_c = ambient_c if chamber_start_c is None else chamber_start_c
        self.bread_emissivity = bread_emissivity
        self.surface_offset_c = surface_offset_c


class Slot:
    """What the user puts in one slot: a bread preset, fresh or frozen, a thickness."""

    def __init__(self, bread="white", frozen=False, thickness_mm=None):
        self.bread = bread
        self.frozen = frozen
        self.thickness_mm = thickness_mm


class Batch:
    """One lever press. Slot 1 holds `bread`; slot 2 the same bread (slot2=None), another
    (a Slot), or nothing (slot2=EMPTY). The panel's program is slot 1's bread."""

    def __init__(self, bread="white", frozen=False, shade=4, thickness_mm=None,
                 start_after_s=0.0, slot2=None):
        self.bread = bread
        self.frozen = frozen
        self.shade = shade
        self.thickness_mm = thickness_mm
        self.start_after_s = start_after_s
        self.slot2 = slot2

    def slots(self):
        """(Slot or None) per slot, in slot order."""
        first = Slot(self.bread, self.frozen, self.thickness_mm)
        if self.slot2 is None:
            return [first, first]
        return [first, None if self.slot2 == EMPTY else self.slot2]


class Fault:
    def __init__(self, kind, at_s, duration_s=None, slot=None, severity=None):
        self.kind = kind
        self.at_s = at_s
        self.duration_s = duration_s
        self.slot = slot  # 1 or 2 for one slot's sensor; None: every slot
        self.severity = severity  # 0-1 for the kinds in SEVERITY_FAULTS; None: the default

    def applies(self, slot):
        """Whether this fault touches the sensor of `slot` (0-based; None: any)."""
        return self.slot is None or slot is None or self.slot == slot + 1

    def active(self, t_s):
        if t_s < self.at_s:
            return False
        return self.duration_s is None or t_s < self.at_s + self.duration_s


class Scenario:
    def __init__(self, name, seed=0, toaster=None, batches=(), faults=(), model=None):
        self.name = name
        self.seed = seed
        self.toaster = toaster or Toaster()
        self.batches = list(batches)
        self.faults = list(faults)
        self.model = model

    def to_toml(self):
        """The scenario as TOML that `load` reads back to the same scenario."""
        t = self.toaster
        lines = ["name = %s" % _q(self.name), "seed = %d" % self.seed, "", "[toaster]"]
        for key in TOASTER_KEYS:
            lines.append("%s = %r" % (key, float(getattr(t, key))))
        for b in self.batches:
            lines += ["", "[[batch]]", "bread = %s" % _q(b.bread),
                      "frozen = %s" % ("true" if b.frozen else "false"), "shade = %d" % b.shade]
            if b.thickness_mm is not None:
                lines.append("thickness_mm = %r" % float(b.thickness_mm))
            lines.append("start_after_s = %r" % float(b.start_after_s))
            if b.slot2 == EMPTY:
                lines.append("slot2 = %s" % _q(EMPTY))
            elif b.slot2 is not None:
                s2 = b.slot2
                fields = ["bread = %s" % _q(s2.bread), "frozen = %s" % ("true" if s2.frozen else "false")]
                if s2.thickness_mm is not None:
                    fields.append("thickness_mm = %r" % float(s2.thickness_mm))
                lines.append("slot2 = { %s }" % ", ".join(fields))
        for f in self.faults:
            lines += ["", "[[fault]]", "kind = %s" % _q(f.kind), "at_s = %r" % float(f.at_s)]
            if f.duration_s is not None:
                lines.append("duration_s = %r" % float(f.duration_s))
            if f.slot is not None:
                lines.append("slot = %d" % f.slot)
            if f.severity is not None:
                lines.append("severity = %r" % float(f.severity))
        if self.model is not None:
            lines += ["", "[model]", "path = %s" % _q(self.model)]
        return "\n".join(lines) + "\n"


def _q(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def load(path):
    """Read and validate a scenario file."""
    path = Path(path)
    text = read_text(path, MAX_BYTES, "a scenario file", ScenarioError)
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level of nesting
        raise ScenarioError("%s: invalid TOML: arrays or tables nested too deeply" % path) from None
    except ValueError as e:  # TOMLDecodeError, or an integer too long for int()
        raise ScenarioError("%s: invalid TOML: %s" % (path, e)) from None
    try:
        return parse(data)
    except ScenarioError as e:
        raise ScenarioError("%s: %s" % (path, e)) from None


def read_text(path, max_bytes, what, error):
    """The UTF-8 text of a regular file of at most `max_bytes` (`what` it is, for the
    message); anything else raises `error` with one line naming the file and why. Also
    model/extra.py's reader."""
    try:
        # stat before opening: opening a FIFO blocks, and a device may act on open
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise error("%s: cannot read: not a regular file" % path)
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)  # the size can change after stat
    except FileNotFoundError:
        raise error("%s: no such file" % path) from None
    except OSError as e:
        raise error("%s: cannot read: %s" % (path, e.strerror)) from None
    if len(raw) > max_bytes:
        raise error("%s: cannot read: larger than %d KiB, the bound for %s" % (path, max_bytes // 1024, what))
    return _decode(path, raw, error)


def _decode(path, raw, error):
    if raw.startswith(BOMS):
        raise error("%s: cannot read: it starts with a byte-order mark; save it as UTF-8 without one" % path)
    if b"\0" in raw:
        raise error("%s: cannot read: a NUL byte on line %d (not a text file)"
                    % (path, _line_of(raw, raw.index(b"\0"))))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error("%s: cannot read: not UTF-8 (byte 0x%02x on line %d)"
                    % (path, raw[e.start], _line_of(raw, e.start))) from None


def _line_of(raw, offset):
    return raw.count(b"\n", 0, offset) + 1


def parse(data):
    """Validate a scenario already parsed from TOML (a dict)."""
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise ScenarioError("arrays and tables nested %d deep; a scenario nests at most %d "
                            "(the top table, [[batch]], a batch, its slot2 = { ... })" % (depth, MAX_DEPTH))
    _no_unknown(data, ("name", "seed", "toaster", "batch", "fault", "model"), "")
    name = _string(data, "name", "", required=True)
    seed = _int(data, "seed", "", 0, 2 ** 32 - 1, default=0)
    toaster = _toaster(_table(data, "toaster"))
    batches = [_batch(b, "batch[%d]." % i) for i, b in enumerate(_array(data, "batch", MAX_BATCHES))]
    if not batches:
        raise ScenarioError("key 'batch': at least one [[batch]] is needed")
    faults = [_fault(f, "fault[%d]." % i) for i, f in enumerate(_array(data, "fault", MAX_FAULTS))]
    model = None
    if "model" in data:
        m = _table(data, "model")
        _no_unknown(m, ("path",), "model.")
        model = _string(m, "path", "model.", required=True, most=PATH_MAX)
    return Scenario(name, seed, toaster, batches, faults, model)


def _toaster(t):
    _no_unknown(t, tuple(TOASTER_KEYS), "toaster.")
    kw = {}
    for key, (lo, hi) in TOASTER_KEYS.items():
        if key in t:
            kw[key] = _float(t, key, "toaster.", lo, hi)
    toaster = Toaster(**kw)
    ratio = toaster.supply_v / toaster.rated_v
    if not SUPPLY_RATIO[0] <= ratio <= SUPPLY_RATIO[1]:
        raise ScenarioError("key 'toaster.supply_v': %.1f V is %.2f x rated_v %.1f V, outside "
                            "%.2f-%.2f" % (toaster.supply_v, ratio, toaster.rated_v, *SUPPLY_RATIO))
    if toaster.chamber_start_c < toaster.ambient_c:
        raise ScenarioError("key 'toaster.chamber_start_c': %.1f is below ambient_c %.1f"
                            % (toaster.chamber_start_c, toaster.ambient_c))
    return toaster


def _batch(b, where):
    if not isinstance(b, dict):
        raise ScenarioError("key '%s': must be a table" % where[:-1])
    _no_unknown(b, BATCH_KEYS, where)
    first = _slot(b, where)
    shade = _int(b, "shade", where, 1, 7, default=4)
    start_after = _float(b, "start_after_s", where, *START_AFTER_S) if "start_after_s" in b else 0.0
    slot2 = None
    if "slot2" in b:
        value = b["slot2"]
        if value == EMPTY:
            slot2 = EMPTY
        elif isinstance(value, dict):
            _no_unknown(value, SLOT_KEYS, where + "slot2.")
            slot2 = _slot(value, where + "slot2.")
        else:
            raise ScenarioError("key '%sslot2': must be \"empty\" or a table of %s, got %s"
                                % (where, ", ".join(SLOT_KEYS), _SHOWN.repr(value)))
    return Batch(first.bread, first.frozen, shade, first.thickness_mm, start_after, slot2)


def _slot(t, where):
    bread = _string(t, "bread", where, default="white")
    if bread not in PRESET_NAMES:
        raise ScenarioError("key '%sbread': %r is not one of %s" % (where, bread, ", ".join(PRESET_NAMES)))
    frozen = _bool(t, "frozen", where, default=False)
    thickness = _float(t, "thickness_mm", where, *THICKNESS_MM) if "thickness_mm" in t else None
    return Slot(bread, frozen, thickness)


def _fault(f, where):
    if not isinstance(f, dict):
        raise ScenarioError("key '%s': must be a table" % where[:-1])
    _no_unknown(f, ("kind", "at_s", "duration_s", "slot", "severity"), where)
    kind = _string(f, "kind", where, required=True)
    if kind not in FAULT_KINDS:
        raise ScenarioError("key '%skind': %r is not one of %s" % (where, kind, ", ".join(FAULT_KINDS)))
    if "at_s" not in f:
        raise ScenarioError("key '%sat_s': missing" % where)
    at_s = _float(f, "at_s", where, *FAULT_AT_S)
    duration = _float(f, "duration_s", where, 0.001, 36000.0) if "duration_s" in f else None
    slot = _int(f, "slot", where, 1, 2, default=None) if "slot" in f else None
    if slot is not None and kind not in SLOT_FAULTS:
        raise ScenarioError("key '%sslot': %s is not a one-slot fault (those are %s)"
                            % (where, kind, ", ".join(SLOT_FAULTS)))
    severity = _float(f, "severity", where, 0.0, 1.0) if "severity" in f else None
    if severity is not None and kind not in SEVERITY_FAULTS:
        raise ScenarioError("key '%sseverity': %s takes no severity (those that do: %s)"
                            % (where, kind, ", ".join(SEVERITY_FAULTS)))
    return Fault(kind, at_s, duration, slot, severity)


def _depth(value):
    """How deeply arrays and tables nest in `value` (a scalar: 0); a loop, not recursion,
    whatever the parser handed over."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _no_unknown(table, known, where):
    for key in table:
        if key not in known:
            shown = _SHOWN.repr(key)[1:-1]  # escaped and shortened, without repr's quotes
            raise ScenarioError("key '%s%s': unknown (expected one of %s)" % (where, shown, ", ".join(known)))


def _table(data, key):
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError("key '%s': must be a table" % key)
    return value


def _array(data, key, most):
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError("key '%s': must be an array of tables ([[%s]])" % (key, key))
    if len(value) > most:
        raise ScenarioError("key '%s': %d entries, at most %d" % (key, len(value), most))
    return value


def _string(t, key, where, required=False, default=None, most=NAME_MAX):
    if key not in t:
        if required:
            raise ScenarioError("key '%s%s': missing" % (where, key))
        return default
    value = t[key]
    if not isinstance(value, str) or not value:
        raise ScenarioError("key '%s%s': must be a non-empty string, got %s" % (where, key, _SHOWN.repr(value)))
    if len(value) > most:
        raise ScenarioError("key '%s%s': %d characters, at most %d" % (where, key, len(value), most))
    for ch in value:
        # names are shown as one line of plain text; control, format (e.g. bidi
        # overrides) and line-separator characters would change what is shown
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise ScenarioError("key '%s%s': character U+%04X is not allowed (no control or format characters)"
                                % (where, key, ord(ch)))
    return value


def _bool(t, key, where, default):
    value = t.get(key, default)
    if not isinstance(value, bool):
        raise ScenarioError("key '%s%s': must be true or false, got %s" % (where, key, _SHOWN.repr(value)))
    return value


def _int(t, key, where, lo, hi, default):
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError("key '%s%s': must be an integer, got %s" % (where, key, _SHOWN.repr(value)))
    if not lo <= value <= hi:
        raise ScenarioError("key '%s%s': %s is outside %d-%d" % (where, key, _number(value), lo, hi))
    return value


def _float(t, key, where, lo, hi):
    value = t[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError("key '%s%s': must be a number, got %s" % (where, key, _SHOWN.repr(value)))
    if not lo <= value <= hi:  # also refuses nan; compared before float() can overflow
        raise ScenarioError("key '%s%s': %s is outside %g-%g" % (where, key, _number(value), lo, hi))
    return float(value)


def _number(value):
    """A number for a message: floats as %g, integers (of up to 4300 digits) shortened."""
    return "%g" % value if isinstance(value, float) else _SHOWN.repr(value)


def beyond_software(kinds):
    """Whether these fault kinds, all present at once, include a combination only the
    hardware layers (safety/FUSE.md) can stop."""
    present = frozenset(kinds)
    return any(combo <= present for combo in BEYOND_SOFTWARE)
