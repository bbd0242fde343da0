"""Small ONNX files built with onnx.helper for the loader and CLI tests."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def linear(path, input_name="features", output_name="toast_s", width=8, bias=140.0, pad_bytes=0):
    """toast_s = features @ w + bias; pad_bytes adds an unused initializer (size tests)."""
    w = np.zeros((width, 1), dtype=np.float32)
    w[0, 0] = 2.0  # a little longer per shade step
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array([bias], np.float32), "b")]
    if pad_bytes:
        inits.append(numpy_helper.from_array(np.zeros(pad_bytes // 4, np.float32), "pad"))
    nodes = [helper.make_node("MatMul", [input_name, "w"], ["mm"]),
             helper.make_node("Add", ["mm", "b"], [output_name])]
    graph = helper.make_graph(
        nodes, "toast_time",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", 1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


# --- hostile models for the loaders and the compiler: built here, never stored as binaries ---
def graph(path, nodes, inits=None, width=8, functions=()):
    """Any graph from `features` float32 [N, width] to `toast_s` float32 [N, 1]; inits:
    {name: values} stored as float32 unless already a numpy array of another type."""
    tensors = [numpy_helper.from_array(v if isinstance(v, np.ndarray) and v.dtype != np.float64
                                       else np.asarray(v, np.float32), k) for k, v in (inits or {}).items()]
    g = helper.make_graph(
        nodes, "hostile",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info("toast_s", TensorProto.FLOAT, ["N", 1])],
        tensors)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
                              functions=list(functions))
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def first_feature(node_out="toast_s"):
    """(MatMul node, its initializers): node_out = features[:, :1], how the hostile
    models below begin or end."""
    w = np.zeros((8, 1), np.float32)
    w[0, 0] = 1.0
    return helper.make_node("MatMul", ["features", "pick"], [node_out]), {"pick": w}


def endless_loop(path, trips=2 ** 40):
    """A Loop of `trips` iterations (each adds 1): never answers in practice."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "one"], ["acc_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(np.array([1.0], np.float32), "one")])
    pick, inits = first_feature("start")
    loop = helper.make_node("Loop", ["trips", "keep_going", "start"], ["toast_s"], body=body, name="forever")
    return graph(path, [pick, loop], dict(inits, trips=np.array(trips, np.int64), keep_going=np.array(True)))


def loop_inside(path):
    """The endless Loop hidden in a graph attribute of a supported op (Relu)."""
    inner = onnx.load(str(endless_loop(path))).graph
    relu = helper.make_node("Relu", ["start"], ["toast_s"], name="innocent")
    relu.attribute.append(helper.make_attribute("hidden", inner))
    pick, inits = first_feature("start")
    return graph(path, [pick, relu], inits)


def custom_domain(path, domain="evil.ops", op="Relu"):
    """A supported op's name in a domain of its own (a custom kernel, whatever it does)."""
    pick, inits = first_feature("start")
    return graph(path, [pick, helper.make_node(op, ["start"], ["toast_s"], domain=domain, name="mine")], inits)


def local_function(path):
    """A model-local function `local.Twice` wrapping supported ops."""
    twice = helper.make_function("local", "Twice", ["x"], ["y"], [helper.make_node("Add", ["x", "x"], ["y"])],
                                 [helper.make_opsetid("", 17)])
    pick, inits = first_feature("start")
    return graph(path, [pick, helper.make_node("Twice", ["start"], ["toast_s"], domain="local")], inits,
                 functions=[twice])


def external_weights(path, location="/dev/zero"):
    """The MatMul weight stored outside the file (external data at `location`)."""
    pick, inits = first_feature()
    model_path = graph(path, [pick], inits)
    model = onnx.load(str(model_path))
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value=location)
    path.write_bytes(model.SerializeToString())
    return path


def slow(path, layers=2000, rows=64, width=128):
    """Supported ops only, but the row grows to [rows, width, width] (an Add broadcast) and
    then goes through `layers` MatMuls: several seconds of onnxruntime time per
    prediction (7 s on the 2-core PC the tests were written on). The identity weight keeps the values (no denormals: the time does not
    depend on the data); a Reshape to [-1, 1] keeps the output's declared shape."""
    rng = np.random.default_rng(0)
    inits = {"w_in": rng.normal(size=(8, width)) * 0.1, "grow": np.full((rows, width, 1), 0.5),
             "w": np.eye(width), "w_out": rng.normal(size=(width, 1)) / width,
             "column": np.array([-1, 1], np.int64)}
    nodes = [helper.make_node("MatMul", ["features", "w_in"], ["h"]), helper.make_node("Add", ["h", "grow"], ["g0"])]
    nodes += [helper.make_node("MatMul", ["g%d" % i, "w"], ["g%d" % (i + 1)]) for i in range(layers)]
    nodes += [helper.make_node("MatMul", ["g%d" % layers, "w_out"], ["out"]),
              helper.make_node("Reshape", ["out", "column"], ["toast_s"])]
    return graph(path, nodes, inits)
