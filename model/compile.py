"""Compile an ONNX regressor into a MicroPython module: the same graph, run on the Pico.

The module holds every weight as array('f') built from its exact float32 bytes (no
decimal round trip, which single-precision float parsers get wrong in the last bit) and
a generated `predict(x)` that calls one small kernel per graph node on preallocated
array('f') buffers. Every multiply-accumulate is stored through a float32 cell, so a
double-precision VM (the WebAssembly build the tests use) rounds the way the Pico's
single-precision floats do, to within one rounding per operation.

Supported: Gemm (transA=0), MatMul, Add, Sub, Mul, Div with a constant or same-size
operand, Relu, Tanh, Sigmoid, Exp, Clip, Identity, Flatten, Reshape, Cast to float,
Constant. Anything else is refused with the op's name.
"""

import math
from pathlib import Path

import numpy as np

from firmware.model_check import ModelRefused

SUPPORTED = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Tanh", "Sigmoid", "Exp",
             "Clip", "Identity", "Flatten", "Reshape", "Cast", "Constant")
UNARY = {"Relu": "_relu", "Tanh": "_tanh", "Sigmoid": "_sigmoid", "Exp": "_exp"}
BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}
ALIASES = ("Identity", "Flatten", "Reshape", "Cast")
FLOAT = 1  # onnx.TensorProto.FLOAT

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
        out[i] = x[i] if x[i] > 0.0 else 0.0
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
        out[i] = 1.0 / (1.0 + math.exp(-v)) if v >= 0.0 else math.exp(v) / (1.0 + math.exp(v))
''',
    "_exp": '''
def _exp(x, out, n):
    for i in range(n):
        out[i] = math.exp(x[i])
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
}


class _Graph:
    """Walks the ONNX graph, tracking each value's length (the row of its [1, n] tensor)."""

    def __init__(self, model, name):
        from onnx import numpy_helper
        self.name = name
        self.consts = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
        self.width = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value  # checked: 8 or 10
        self.sizes = {model.graph.input[0].name: self.width}
        self.alias = {}
        self.arrays = []  # (python name, float32 values)
        self.buffers = []  # (python name, length)
        self.lines = []
        self.kernels = set()

    def var(self, value):
        value = self.alias.get(value, value)
        if value not in self.sizes:
            raise ModelRefused("%s: value %r is a constant where the compiler needs the input's path"
                               % (self.name, value))
        return "_v_" + _ident(value), self.sizes[value]

    def const(self, value, node):
        if value not in self.consts:
            raise ModelRefused("%s: %s node %r needs a constant operand, got a computed one"
                               % (self.name, node.op_type, node.name))
        return self.consts[value]

    def new(self, value, n):
        self.sizes[value] = n
        py = "_v_" + _ident(value)
        self.buffers.append((py, n))
        return py

    def array(self, values):
        py = "_c%d" % len(self.arrays)
        self.arrays.append((py, np.asarray(values, dtype=np.float32).reshape(-1)))
        return py


def _ident(name):
    return "".join(c if c.isalnum() else "_" for c in name)


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _gemm(g, node):
    a = _attrs(node)
    if a.get("transA", 0):
        raise ModelRefused("%s: Gemm %r with transA=1 is not supported" % (g.name, node.name))
    x, n_in = g.var(node.input[0])
    b = g.const(node.input[1], node)
    w = b if a.get("transB", 0) else b.T  # rows = outputs
    w = w * a.get("alpha", 1.0)
    n_out = w.shape[0]
    if w.ndim != 2 or w.shape[1] != n_in:
        raise ModelRefused("%s: Gemm %r weight shape %s does not fit input width %d"
                           % (g.name, node.name, list(b.shape), n_in))
    bias = np.zeros(n_out)
    if len(node.input) > 2 and node.input[2]:
        bias = np.broadcast_to(g.const(node.input[2], node).reshape(-1) * a.get("beta", 1.0), (n_out,))
    _emit_dense(g, node, x, n_in, w, bias)


def _matmul(g, node):
    x, n_in = g.var(node.input[0])
    b = g.const(node.input[1], node)
    if b.ndim != 2 or b.shape[0] != n_in:
        raise ModelRefused("%s: MatMul %r weight shape %s does not fit input width %d"
                           % (g.name, node.name, list(b.shape), n_in))
    _emit_dense(g, node, x, n_in, b.T, np.zeros(b.shape[1]))


def _emit_dense(g, node, x, n_in, w, bias):
    g.kernels.add("_dense")
    out = g.new(node.output[0], w.shape[0])
    g.lines.append("_dense(%s, %s, %s, %s, %d, %d)" % (x, g.array(w), g.array(bias), out, n_in, w.shape[0]))


def _binary(g, node):
    op = BINARY[node.op_type]
    left, right = node.input[0], node.input[1]
    swapped = left in g.consts
    dyn, other = (right, left) if swapped else (left, right)
    x, n = g.var(dyn)
    if other in g.consts:
        c = g.consts[other].reshape(-1)
        if c.size not in (1, n):
            raise ModelRefused("%s: %s %r cannot broadcast %d values over %d"
                               % (g.name, node.op_type, node.name, c.size, n))
        operand = "%s[%s]" % (g.array(c), "0" if c.size == 1 else "i")
    else:
        y, m = g.var(other)
        if m != n:
            raise ModelRefused("%s: %s %r mixes widths %d and %d" % (g.name, node.op_type, node.name, n, m))
        operand = "%s[i]" % y
    out = g.new(node.output[0], n)
    expr = "%s %s %s[i]" % (operand, op, x) if swapped else "%s[i] %s %s" % (x, op, operand)
    g.lines.append("for i in range(%d):\n        %s[i] = %s" % (n, out, expr))


def _unary(g, node):
    kernel = UNARY[node.op_type]
    g.kernels.add(kernel)
    x, n = g.var(node.input[0])
    g.lines.append("%s(%s, %s, %d)" % (kernel, x, g.new(node.output[0], n), n))


def _clip_node(g, node):
    a = _attrs(node)
    lo, hi = a.get("min", -math.inf), a.get("max", math.inf)
    if len(node.input) > 1 and node.input[1]:
        lo = float(g.const(node.input[1], node).reshape(-1)[0])
    if len(node.input) > 2 and node.input[2]:
        hi = float(g.const(node.input[2], node).reshape(-1)[0])
    g.kernels.add("_clip")
    x, n = g.var(node.input[0])
    bounds = g.array([lo, hi])
    g.lines.append("_clip(%s, %s[0], %s[1], %s, %d)" % (x, bounds, bounds, g.new(node.output[0], n), n))


def _alias(g, node):
    if node.op_type == "Cast" and _attrs(node).get("to") != FLOAT:
        raise ModelRefused("%s: Cast %r to a non-float type is not supported" % (g.name, node.name))
    _x, n = g.var(node.input[0])
    if node.op_type == "Reshape":
        shape = g.const(node.input[1], node).astype(int).tolist()
        if len(shape) != 2 or shape[-1] not in (n, -1):
            raise ModelRefused("%s: Reshape %r to %s changes the row width %d" % (g.name, node.name, shape, n))
    g.alias[node.output[0]] = g.alias.get(node.input[0], node.input[0])


def _constant(g, node):
    from onnx import numpy_helper
    value = _attrs(node).get("value")
    if value is None:
        raise ModelRefused("%s: Constant %r without a tensor value is not supported" % (g.name, node.name))
    g.consts[node.output[0]] = numpy_helper.to_array(value).astype(np.float64)


HANDLERS = {"Gemm": _gemm, "MatMul": _matmul, "Relu": _unary, "Tanh": _unary, "Sigmoid": _unary,
            "Exp": _unary, "Clip": _clip_node, "Constant": _constant}
HANDLERS.update({op: _binary for op in BINARY})
HANDLERS.update({op: _alias for op in ALIASES})


def compile_model(path):
    """MicroPython source for the ONNX file at path (checked as the loader checks it)."""
    import hashlib

    import onnx

    from firmware.model_onnx import OnnxModel

    path = Path(path)
    OnnxModel(path)  # size, manifest SHA-256, loads, signature: refused like the loader
    model = onnx.load(str(path))
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in HANDLERS:
            raise ModelRefused("%s: unsupported op %s%s (node %r); supported: %s" % (
                path, node.domain + "." if node.domain else "", node.op_type, node.name, ", ".join(SUPPORTED)))
    g = _Graph(model, str(path))
    for node in model.graph.node:
        HANDLERS[node.op_type](g, node)
    out, n = g.var("toast_s")
    if n != 1:
        raise ModelRefused("%s: output toast_s has %d values per row, needs 1" % (path, n))
    return _render(g, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), out)


def _render(g, source, sha, out):
    parts = ['"""Generated by `toastguard export` from %s. Do not edit: re-export instead."""' % source,
             "", "import math", "from array import array", "",
             'SOURCE = "%s"' % source, 'SOURCE_SHA256 = "%s"' % sha,
             'INPUT_NAME = "features"', 'OUTPUT_NAME = "toast_s"', "N_INPUTS = %d" % g.width, "N_OUTPUTS = 1", "",
             "_ACC = array('f', [0.0])"]
    for py, values in g.arrays:
        parts.append("%s = array('f', %r)" % (py, values.astype("<f4").tobytes()))
    parts.append("_v_features = array('f', [0.0] * %d)" % g.width)
    for py, n in g.buffers:
        parts.append("%s = array('f', [0.0] * %d)" % (py, n))
    for name in sorted(g.kernels):
        parts.append("\n" + KERNELS[name].rstrip("\n"))
    parts += ["", "", "def predict(x):",
              '    """toast_s (seconds) for one feature vector of %d numbers."""' % g.width,
              "    for i in range(%d):" % g.width, "        _v_features[i] = x[i]"]
    parts += ["    " + line for line in g.lines]
    parts.append("    return %s[0]" % out)
    return "\n".join(parts) + "\n"


def export(onnx_path, out_dir):
    """Write the module and its manifest (the module's own SHA-256) into out_dir."""
    import hashlib
    import json

    source = compile_model(onnx_path)
    out_dir = Path(out_dir)
    module = out_dir / "toast_model.py"
    module.write_text(source, encoding="utf-8")
    manifest = {"file": module.name, "sha256": hashlib.sha256(module.read_bytes()).hexdigest(),
                "source": Path(onnx_path).name,
                "source_sha256": hashlib.sha256(Path(onnx_path).read_bytes()).hexdigest()}
    (out_dir / "toast_model.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return module
