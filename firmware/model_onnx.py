"""The model back-end of the Pi Zero (CPython): the ONNX file itself, run by onnxruntime.

The host simulator uses the same class, so a model behaves the same in `toastguard sim`
and on a Zero. Checked before use (docs/INTERFACES.md): size and manifest (model_check),
only the ops the Pico's compiled module can run (SUPPORTED_OPS, in the default domain, in
the graph and in any subgraph; every tensor inside the file), loads in onnxruntime, input
`features` float32 [N, 8] (signature v1) or [N, 10] (v2, firmware/features.py), output
`toast_s` float32 [N, 1].
"""

from firmware.features import WIDTHS
from firmware.model_check import ModelRefused, check_file, shown

# The ops model/compile.py translates, the one list for every back-end: a Loop, a Scan
# or a custom op could make a prediction never return, and the Pico could not run it.
SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Tanh", "Sigmoid", "Exp",
                 "Clip", "Identity", "Flatten", "Reshape", "Cast", "Constant")
DEFAULT_DOMAINS = ("", "ai.onnx")
# onnxruntime's own log lines would follow our one-line refusal on stderr: fatal only.
ORT_LOG_FATAL = 4
# One thread: a prediction is a few hundred multiply-adds, which a thread pool slows down
# (measured on the host: 20 us a prediction instead of 60, 2 ms to open a session instead of 11).
ORT_THREADS = 1


class OnnxModel:
    def __init__(self, path, require_manifest=False):
        import onnxruntime as ort

        self.path = str(path)
        check_file(self.path, require_manifest)
        check_graph(self.path)
        options = ort.SessionOptions()
        options.log_severity_level = ORT_LOG_FATAL
        options.intra_op_num_threads = ORT_THREADS
        # The graph as written, each node's IEEE 754 answer, as the Pico's compiled module
        # computes it: onnxruntime's fusions (a Div folded into a MatMul's scale) answer inf
        # where the nodes answer NaN. Costs 2 us a prediction.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelRefused("%s: does not load in onnxruntime: %s" % (shown(self.path), _first_line(e))) from None
        self.n_features = _check_signature(self.path, self.session)

    def predict(self, x):
        import numpy as np

        out = self.session.run(["toast_s"], {"features": np.asarray([x], dtype=np.float32)})
        return float(out[0].reshape(-1)[0])


def check_graph(path):
    """ModelRefused unless every node is a supported op and every tensor is dense and in the file.

    Runs before onnxruntime sees the file: a session may already evaluate constant parts of
    the graph, and external data or sparse tensors can be made arbitrarily large.
    """
    try:
        import onnx
    except ImportError:
        raise ModelRefused("%s: cannot check its ops: the onnx package is not installed" % shown(path)) from None
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:
        raise ModelRefused("%s: does not load as an ONNX model: %s" % (shown(path), _first_line(e))) from None
    if len(model.functions):
        raise ModelRefused("%s: defines its own functions (%s); only the supported ops may be used"
                           % (shown(path), ", ".join(repr(f.name) for f in model.functions)))
    _check_subgraph(path, model.graph, "")


def _check_subgraph(path, graph, where):
    """One graph's nodes and tensors; where names the node holding it ("" at the top)."""
    if len(graph.sparse_initializer):
        raise ModelRefused("%s: has a sparse initializer%s; only dense tensors are supported" % (shown(path), where))
    _check_tensors(path, graph.initializer, where)
    for node in graph.node:
        if node.domain not in DEFAULT_DOMAINS or node.op_type not in SUPPORTED_OPS:
            raise ModelRefused("%s: unsupported op %s (node %r%s); supported: %s" % (
                shown(path), shown(node.domain + "." + node.op_type if node.domain else node.op_type), node.name,
                where, ", ".join(SUPPORTED_OPS)))
        for attr in node.attribute:
            _check_attribute(path, node, attr, where)


def _check_attribute(path, node, attr, where):
    inside = " inside node %r%s" % (node.name, where)
    if attr.HasField("sparse_tensor") or len(attr.sparse_tensors):
        raise ModelRefused("%s: attribute %r%s holds a sparse tensor; only dense tensors are supported"
                           % (shown(path), attr.name, inside))
    _check_tensors(path, ([attr.t] if attr.HasField("t") else []) + list(attr.tensors), inside)
    for graph in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
        _check_subgraph(path, graph, inside)


def _check_tensors(path, tensors, where):
    for t in tensors:
        if t.data_location == t.EXTERNAL or len(t.external_data):
            raise ModelRefused("%s: tensor %r%s is stored outside the file; the board takes one file"
                               % (shown(path), t.name, where))


def _check_signature(path, session):
    """The model's input width (a signature's), or ModelRefused."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].name != "features":
        raise ModelRefused("%s: needs exactly one input named 'features', has %s"
                           % (shown(path), [i.name for i in inputs]))
    shape = inputs[0].shape
    if inputs[0].type != "tensor(float)" or not any(_shape_ok(shape, w) for w in WIDTHS):
        raise ModelRefused("%s: input 'features' must be float32 [N, 8] or [N, 10], is %s %s"
                           % (shown(path), inputs[0].type, shape))
    names = [o.name for o in outputs]
    if "toast_s" not in names:
        raise ModelRefused("%s: needs an output named 'toast_s', has %s" % (shown(path), names))
    out = outputs[names.index("toast_s")]
    if out.type != "tensor(float)" or not _shape_ok(out.shape, 1):
        raise ModelRefused("%s: output 'toast_s' must be float32 [N, 1], is %s %s"
                           % (shown(path), out.type, out.shape))
    return shape[1]


def _shape_ok(shape, width):
    return len(shape) == 2 and shape[1] == width


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
