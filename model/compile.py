"""Compile an ONNX regressor into a MicroPython module: the same graph, run on the Pico.

The module holds every weight as array('f') built from its exact float32 bytes (no
decimal round trip, which single-precision float parsers get wrong in the last bit) and
a generated `predict(x)` that calls one small kernel per graph node on preallocated
array('f') buffers. Every multiply-accumulate is stored through a float32 cell, so a
double-precision VM (the WebAssembly build the tests use) rounds the way the Pico's
single-precision floats do, to within one rounding per operation.

Supported: the ops of firmware/model_onnx.py SUPPORTED_OPS, on values that each stay one
row of n numbers ([N, n]): Gemm (transA=0) and MatMul with a constant 2-D weight; Add,
Sub, Mul, Div with a same-width operand or a constant that broadcasts over the row
without growing it (shape [], [1], [n], [1, 1] or [1, n]); Relu, Tanh, Sigmoid, Exp; Clip
with constant scalar bounds; Identity, Flatten (axis 1), Reshape to [-1 or 0, n or -1],
Cast to float; Constant. Anything else is refused in one line naming the node and why.

Nothing from the file becomes code: every value gets a generated name (_v0, _v1, ... in
order), the file's name is written with ascii() and the module is pure ASCII. Before a
module is returned, compile_model runs it against onnxruntime on probe inputs (on
CPython, and on the MicroPython VM when Node and the VM are installed) and refuses it
unless every answer agrees.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from firmware.model_check import ModelRefused, shown

UNARY = {"Relu": "_relu", "Tanh": "_tanh", "Sigmoid": "_sigmoid", "Exp": "_exp"}
BINARY = {"Add": "%s + %s", "Sub": "%s - %s", "Mul": "%s * %s", "Div": "_div(%s, %s)"}
ALIASES = ("Identity", "Flatten", "Reshape", "Cast")
FLOAT = 1  # onnx.TensorProto.FLOAT
MODULE_NAME = "toast_model.py"
MANIFEST_NAME = "toast_model.manifest.json"

# Probe inputs: each feature's range on the board, in firmware/features.py order (the
# panel's shade 1-7; slices up to 40 mm; -40..60 C rooms and bread; mass fractions;
# chamber and surface readings up to the sensors' 350 C plausibility limit; mains up to
# 300 V; heater time up to the 420 s cap), the corners and a seeded uniform draw.
PROBE_RANGES = ((1.0, 7.0), (5.0, 40.0), (-40.0, 60.0), (0.0, 1.0), (0.0, 1.0),
                (-40.0, 350.0), (-40.0, 60.0), (0.0, 300.0), (-40.0, 350.0), (0.0, 420.0))
PROBE_RANDOM = 200
PROBE_SEED = 14
# Agreement: |module - onnxruntime| <= ATOL_S + RTOL * |onnxruntime|. Both round every
# elementwise op to float32 the same way (a double result rounded to float32 is the
# correctly rounded float32 result), but a dot product sums in its own order and
# onnxruntime's exp/tanh/sigmoid are vectorised approximations: a few float32 ulps (6e-8)
# per op, ~1e-5 relative through a few layers (the shipped model: 8e-4 s at most over
# 10,000 inputs, README); RTOL leaves ten times that. ATOL_S (1 ms, a hundredth of the
# 100 ms control tick that turns advice into heater time) covers answers near zero.
ATOL_S = 1e-3
RTOL = 1e-4

KERNELS = {
    "_dense": '''
def _dense(x, w, b, out, n_in, n_out):
    acc = _ACC
    k = 0
    for j in range(n_out):
        acc[0] = b[j]
        for i in range(n_in):
            acc[0] += w[k] * x[i]
            k += 1
        out[j] = acc[0]
''',
    "_relu": '''
def _relu(x, out, n):
    for i in range(n):
        v = x[i]
        out[i] = 0.0 if v < 0.0 else v  # NaN stays NaN, as in onnxruntime
''',
    "_tanh": '''
def _tanh(x, out, n):
    for i in range(n):
        out[i] = math.tanh(x[i])
''',
    "_sigmoid": '''
def _sigmoid(x, out, n):
    for i in range(n):
        v = x[i]
        if v >= 0.0:
            out[i] = 1.0 / (1.0 + math.exp(-v))
        elif v > -18.0:
            out[i] = math.exp(v) / (1.0 + math.exp(v))
        else:
            # onnxruntime's sigmoid clamps its input to -18 and answers 0 there (exactly
            # < 1.6e-8): a later Div or Mul would turn that difference into inf vs finite
            out[i] = 0.0 if v == v else v
''',
    "_exp": '''
def _exp(x, out, n):
    for i in range(n):
        v = x[i]
        if v < 80.0:
            out[i] = math.exp(v)
        else:
            # math.exp raises where its float overflows (MicroPython ValueError, CPython
            # OverflowError); onnxruntime answers inf. A half power squared overflows to
            # inf quietly. min() keeps a NaN: it is the first argument.
            h = math.exp(0.5 * min(v, 170.0))
            out[i] = h * h
''',
    "_clip": '''
def _clip(x, lo, hi, out, n):
    for i in range(n):
        v = x[i]
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        out[i] = v
''',
    "_div": '''
_INF = float('inf')
_NAN = float('nan')


def _div(a, b):
    if b:
        return a / b
    # a / 0.0 raises ZeroDivisionError; onnxruntime answers IEEE 754's NaN or signed inf
    if a != a or a == 0.0:
        return _NAN
    return _INF if (a > 0.0) == (math.copysign(1.0, b) > 0.0) else -_INF
''',
}

VM_PREDICT = """
import sys, struct
sys.path.insert(0, '/')
import toast_model
with open('/in.bin', 'rb') as f:
    raw = f.read()
n = toast_model.N_INPUTS
for r in range(len(raw) // (4 * n)):
    print(repr(toast_model.predict(struct.unpack_from('<%df' % n, raw, r * 4 * n))))
"""


class _Graph:
    """Walks the ONNX graph, giving each computed value a generated name and tracking its
    row width (every value is [N, n])."""

    def __init__(self, model, name, width):
        self.name = name
        self.consts = {i.name: i for i in model.graph.initializer}  # TensorProto, read when used
        self.values = {}  # ONNX value name -> (generated name, width)
        self.alias = {}
        self.arrays = []  # (generated name, float32 values)
        self.buffers = []  # (generated name, length)
        self.lines = []
        self.kernels = set()
        self.width = width
        self.input = self.new("features", width)

    def refuse(self, node, why, *args):
        raise ModelRefused("%s: %s node %r: %s" % (self.name, node.op_type, node.name, why % args))

    def var(self, value, node):
        """(generated name, width) of a value computed from the input."""
        value = self.alias.get(value, value)
        if value in self.values:
            return self.values[value]
        if value in self.consts:
            self.refuse(node, "takes the constant %r where the compiler needs a value computed from the input", value)
        self.refuse(node, "uses %r before any node computes it", value)

    def const(self, value, node):
        from onnx import numpy_helper
        if value not in self.consts:
            self.refuse(node, "needs a constant operand, %r is computed", value)
        try:
            c = numpy_helper.to_array(self.consts[value])
        except Exception as e:
            self.refuse(node, "constant %r does not read as a tensor: %s", value, _line(e))
        if c.dtype.kind not in "biuf":
            self.refuse(node, "constant %r holds %s, not numbers", value, c.dtype)
        return c.astype(np.float64)

    def row(self, value, node, n):
        """A constant that broadcasts over a row of n values without growing it, flattened."""
        c = self.const(value, node)
        if c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1) or c.size not in (1, n):
            self.refuse(node, "constant %r of shape %s does not broadcast over a row of %d values without "
                        "growing it", value, list(c.shape), n)
        return c.reshape(-1)

    def scalar(self, value, node):
        c = self.const(value, node)
        if c.ndim > 1 or c.size != 1:
            self.refuse(node, "bound %r of shape %s is not a scalar", value, list(c.shape))
        return float(c.reshape(-1)[0])

    def new(self, value, n):
        py = "_v%d" % len(self.buffers)
        self.buffers.append((py, n))
        self.values[value] = (py, n)
        return py

    def array(self, values):
        py = "_c%d" % len(self.arrays)
        self.arrays.append((py, np.asarray(values, dtype=np.float32).reshape(-1)))
        return py


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _gemm(g, node):
    a = _attrs(node)
    if a.get("transA", 0):
        g.refuse(node, "transA=1 is not supported")
    x, n_in = g.var(node.input[0], node)
    b = g.const(node.input[1], node)
    if b.ndim != 2:
        g.refuse(node, "weight of shape %s is not 2-D", list(b.shape))
    w = (b if a.get("transB", 0) else b.T) * a.get("alpha", 1.0)  # rows = outputs
    if w.shape[1] != n_in:
        g.refuse(node, "weight of shape %s does not fit input width %d", list(b.shape), n_in)
    bias = np.zeros(w.shape[0])
    if len(node.input) > 2 and node.input[2]:
        bias = np.broadcast_to(g.row(node.input[2], node, w.shape[0]) * a.get("beta", 1.0), bias.shape)
    _emit_dense(g, node, x, n_in, w, bias)


def _matmul(g, node):
    x, n_in = g.var(node.input[0], node)
    b = g.const(node.input[1], node)
    if b.ndim != 2 or b.shape[0] != n_in:
        g.refuse(node, "weight of shape %s does not fit input width %d", list(b.shape), n_in)
    _emit_dense(g, node, x, n_in, b.T, np.zeros(b.shape[1]))


def _emit_dense(g, node, x, n_in, w, bias):
    g.kernels.add("_dense")
    out = g.new(node.output[0], w.shape[0])
    g.lines.append("_dense(%s, %s, %s, %s, %d, %d)" % (x, g.array(w), g.array(bias), out, n_in, w.shape[0]))


def _binary(g, node):
    left, right = node.input[0], node.input[1]
    swapped = left in g.consts
    dyn, other = (right, left) if swapped else (left, right)
    x, n = g.var(dyn, node)
    if other in g.consts:
        c = g.row(other, node, n)
        operand = "%s[%s]" % (g.array(c), "0" if c.size == 1 else "i")
    else:
        y, m = g.var(other, node)
        if m != n:
            g.refuse(node, "mixes widths %d and %d", n, m)
        operand = "%s[i]" % y
    if node.op_type == "Div":
        g.kernels.add("_div")
    expr = BINARY[node.op_type] % ((operand, x + "[i]") if swapped else (x + "[i]", operand))
    g.lines.append("for i in range(%d):\n        %s[i] = %s" % (n, g.new(node.output[0], n), expr))


def _unary(g, node):
    kernel = UNARY[node.op_type]
    g.kernels.add(kernel)
    x, n = g.var(node.input[0], node)
    g.lines.append("%s(%s, %s, %d)" % (kernel, x, g.new(node.output[0], n), n))


def _clip_node(g, node):
    a = _attrs(node)
    lo, hi = a.get("min", -math.inf), a.get("max", math.inf)
    if len(node.input) > 1 and node.input[1]:
        lo = g.scalar(node.input[1], node)
    if len(node.input) > 2 and node.input[2]:
        hi = g.scalar(node.input[2], node)
    g.kernels.add("_clip")
    x, n = g.var(node.input[0], node)
    bounds = g.array([lo, hi])
    g.lines.append("_clip(%s, %s[0], %s[1], %s, %d)" % (x, bounds, bounds, g.new(node.output[0], n), n))


def _alias(g, node):
    a = _attrs(node)
    if node.op_type == "Cast" and a.get("to") != FLOAT:
        g.refuse(node, "casts to a non-float type")
    _x, n = g.var(node.input[0], node)
    if node.op_type == "Flatten" and a.get("axis", 1) not in (1, -1):
        g.refuse(node, "axis %d does not keep each row", a["axis"])
    if node.op_type == "Reshape":
        _check_reshape(g, node, n, a.get("allowzero", 0))
    g.alias[node.output[0]] = g.alias.get(node.input[0], node.input[0])


def _check_reshape(g, node, n, allowzero):
    """Only a reshape that keeps every row of n values: to [-1 or 0, n or -1]."""
    shape = [int(v) for v in g.const(node.input[1], node).reshape(-1)]
    keeps = len(shape) == 2 and shape[0] in (-1, 0) and shape[1] in (n, -1) and shape != [-1, -1]
    if not keeps or (allowzero and 0 in shape):
        g.refuse(node, "to %s does not keep each row of %d values", shape, n)


def _constant(g, node):
    from onnx import numpy_helper
    a = _attrs(node)
    if "value" in a:
        g.consts[node.output[0]] = a["value"]
        return
    for key in ("value_float", "value_floats", "value_int", "value_ints"):
        if key in a:
            g.consts[node.output[0]] = numpy_helper.from_array(np.asarray(a[key]))
            return
    g.refuse(node, "only a tensor or numbers are supported as its value")


HANDLERS = {"Gemm": _gemm, "MatMul": _matmul, "Relu": _unary, "Tanh": _unary, "Sigmoid": _unary,
            "Exp": _unary, "Clip": _clip_node, "Constant": _constant}
HANDLERS.update({op: _binary for op in BINARY})
HANDLERS.update({op: _alias for op in ALIASES})


def translate(path):
    """MicroPython source for the ONNX file at path, refused like the loader refuses and
    wherever the graph leaves what the module computes; not yet run (compile_model runs it)."""
    import hashlib

    import onnx

    from firmware.model_onnx import OnnxModel

    path = Path(path)
    width = OnnxModel(path).n_features  # size, manifest, ops, loads, signature: refused like the loader
    model = onnx.load(str(path), load_external_data=False)
    g = _Graph(model, shown(str(path)), width)
    for node in model.graph.node:
        HANDLERS[node.op_type](g, node)
    value = g.alias.get("toast_s", "toast_s")
    if value not in g.values:
        raise ModelRefused("%s: output toast_s is not computed from the input" % g.name)
    out, n = g.values[value]
    if n != 1:
        raise ModelRefused("%s: output toast_s has %d values per row, needs 1" % (g.name, n))
    return _render(g, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), out)


def _render(g, source, sha, out):
    parts = ['"""Generated by `toastguard export` from the ONNX file SOURCE names. Do not edit: re-export."""',
             "", "import math", "from array import array", "",
             "SOURCE = %s" % ascii(source), "SOURCE_SHA256 = %s" % ascii(sha),
             "INPUT_NAME = 'features'", "OUTPUT_NAME = 'toast_s'", "N_INPUTS = %d" % g.width, "N_OUTPUTS = 1", "",
             "_ACC = array('f', [0.0])"]
    for py, values in g.arrays:
        parts.append("%s = array('f', %r)" % (py, values.astype("<f4").tobytes()))
    for py, n in g.buffers:
        parts.append("%s = array('f', [0.0] * %d)" % (py, n))
    for name in sorted(g.kernels):
        parts.append("\n" + KERNELS[name].rstrip("\n"))
    parts += ["", "", "def predict(x):",
              '    """toast_s (seconds) for one feature vector of %d numbers."""' % g.width,
              "    for i in range(%d):" % g.width, "        %s[i] = x[i]" % g.input]
    parts += ["    " + line for line in g.lines]
    parts.append("    return %s[0]" % out)
    return "\n".join(parts) + "\n"


def compile_model(path, note=None):
    """The module's source for the ONNX file at path, refused unless it answers as
    onnxruntime does on the probe inputs. note(line) hears what could not be checked
    (default: stderr)."""
    source = translate(path)
    check(path, source, note or _to_stderr)
    return source


def _to_stderr(line):
    print(line, file=sys.stderr)


def probe_inputs(width):
    """float32 rows of `width` features: all at the low ends, all high, mid, zero, the
    two alternating corners, each feature at either end with the rest mid-range, and
    PROBE_RANDOM uniform draws."""
    lo, hi = np.array(PROBE_RANGES[:width]).T
    mid = (lo + hi) / 2.0
    odd = np.arange(width) % 2 == 1
    rows = [lo, hi, mid, np.zeros(width), np.where(odd, lo, hi), np.where(odd, hi, lo)]
    for i in range(width):
        for end in (lo, hi):
            row = mid.copy()
            row[i] = end[i]
            rows.append(row)
    rows.extend(lo + np.random.default_rng(PROBE_SEED).random((PROBE_RANDOM, width)) * (hi - lo))
    return np.array(rows, dtype=np.float32)


def agree(ours, reference):
    """Within ATOL_S + RTOL * |reference|, or the same infinity, or both NaN."""
    if math.isnan(ours) or math.isnan(reference):
        return math.isnan(ours) and math.isnan(reference)
    if math.isinf(ours) or math.isinf(reference):
        return ours == reference
    return abs(ours - reference) <= ATOL_S + RTOL * abs(reference)


def check(path, source, note):
    """ModelRefused unless the module answers as onnxruntime on every probe input: run in a
    fresh namespace on CPython, and on the MicroPython VM when it is installed."""
    from firmware.model_onnx import OnnxModel
    from host_sim import mpvm

    name = shown(str(path))
    reference = OnnxModel(path)
    x = probe_inputs(reference.n_features)
    expected = [_reference(reference, row, name) for row in x]
    _compare(name, "CPython", x, _on_cpython(source, x, name), expected)
    if mpvm.available():
        _compare(name, "the MicroPython VM", x, on_vm(source, x, name), expected)
    else:
        note("toastguard export: MicroPython VM not installed (npm ci): %s checked on CPython only" % name)


def _reference(model, row, name):
    try:
        return model.predict(row)
    except Exception as e:
        raise ModelRefused("%s: onnxruntime fails on the probe input %s: %s" % (name, _row(row), _line(e))) from None


def _on_cpython(source, x, name):
    namespace = {"__name__": "toast_model"}
    try:
        exec(compile(source, MODULE_NAME, "exec"), namespace)
        return [namespace["predict"]([float(v) for v in row]) for row in x]
    except Exception as e:
        raise ModelRefused("%s: the compiled module fails on CPython: %s: %s"
                           % (name, type(e).__name__, _line(e))) from None


def on_vm(source, x, name):
    """The module's answers for rows x on the MicroPython VM, or ModelRefused naming name."""
    from host_sim import mpvm

    files = {"/toast_model.py": source.encode("ascii"), "/in.bin": x.astype("<f4").tobytes()}
    try:
        answers = [float(v) for v in mpvm.run(VM_PREDICT, files).split()]
    except (mpvm.VMError, subprocess.TimeoutExpired, ValueError) as e:
        raise ModelRefused("%s: the compiled module fails on the MicroPython VM: %s" % (name, _line(e, -1))) from None
    if len(answers) != len(x):
        raise ModelRefused("%s: the compiled module gave %d answers for %d inputs on the MicroPython VM"
                           % (name, len(answers), len(x)))
    return answers


def _compare(name, where, x, ours, expected):
    for row, a, b in zip(x, ours, expected):
        if not agree(a, b):
            raise ModelRefused("%s: the compiled module answers %r on %s where onnxruntime answers %r (input %s)"
                               % (name, a, where, b, _row(row)))


def _row(row):
    return "[%s]" % ", ".join("%g" % v for v in row)


def _line(e, which=0):
    text = str(e).strip().splitlines()
    return text[which] if text else type(e).__name__


def export(onnx_path, out_dir, note=None):
    """Write the checked module and its manifest (the module's own SHA-256) into out_dir.

    Each file is written beside its target and then renamed over it, so a failure leaves
    the old file or the new one, never a part. Between the two renames a module and an old
    manifest disagree; the loader refuses that pair (SHA-256), it never runs it.
    """
    import hashlib
    import json

    data = compile_model(onnx_path, note).encode("ascii")
    out_dir = Path(out_dir)
    module = out_dir / MODULE_NAME
    manifest = {"file": module.name, "sha256": hashlib.sha256(data).hexdigest(),
                "source": Path(onnx_path).name,
                "source_sha256": hashlib.sha256(Path(onnx_path).read_bytes()).hexdigest()}
    write_files({module: data, out_dir / MANIFEST_NAME: (json.dumps(manifest, indent=2) + "\n").encode("ascii")})
    return module


def write_files(files):
    """Write {path: bytes} so that each file is the old one or the new one, never a part:
    every file is staged beside its target first, then all are renamed."""
    staged = {}
    try:
        for path, data in files.items():
            staged[path] = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
            with open(staged[path], "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            if tmp.exists():
                tmp.unlink()
