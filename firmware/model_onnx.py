"""The model back-end of the Pi Zero (CPython): the ONNX file itself, run by onnxruntime.

The host simulator uses the same class, so a model behaves the same in `toastguard sim`
and on a Zero. Checked before use (docs/INTERFACES.md): size and manifest (model_check), loads
in onnxruntime, input `features` float32 [N, 8] (signature v1) or [N, 10] (v2,
firmware/features.py), output `toast_s` float32 [N, 1].
"""

from firmware.features import WIDTHS
from firmware.model_check import ModelRefused, check_file


class OnnxModel:
    def __init__(self, path, require_manifest=False):
        import onnxruntime as ort

        self.path = str(path)
        check_file(self.path, require_manifest)
        try:
            self.session = ort.InferenceSession(self.path, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelRefused("%s: does not load in onnxruntime: %s" % (self.path, _first_line(e))) from None
        self.n_features = _check_signature(self.path, self.session)

    def predict(self, x):
        import numpy as np

        out = self.session.run(["toast_s"], {"features": np.asarray([x], dtype=np.float32)})
        return float(out[0].reshape(-1)[0])


def _check_signature(path, session):
    """The model's input width (a signature's), or ModelRefused."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or inputs[0].name != "features":
        raise ModelRefused("%s: needs exactly one input named 'features', has %s"
                           % (path, [i.name for i in inputs]))
    shape = inputs[0].shape
    if inputs[0].type != "tensor(float)" or not any(_shape_ok(shape, w) for w in WIDTHS):
        raise ModelRefused("%s: input 'features' must be float32 [N, 8] or [N, 10], is %s %s"
                           % (path, inputs[0].type, shape))
    names = [o.name for o in outputs]
    if "toast_s" not in names:
        raise ModelRefused("%s: needs an output named 'toast_s', has %s" % (path, names))
    out = outputs[names.index("toast_s")]
    if out.type != "tensor(float)" or not _shape_ok(out.shape, 1):
        raise ModelRefused("%s: output 'toast_s' must be float32 [N, 1], is %s %s"
                           % (path, out.type, out.shape))
    return shape[1]


def _shape_ok(shape, width):
    return len(shape) == 2 and shape[1] == width


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
