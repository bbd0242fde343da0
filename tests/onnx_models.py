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
