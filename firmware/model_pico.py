"""The model back-end of the Pico: the module `toastguard export` compiled from the ONNX
file (toast_model.py or .mpy), checked like any model before the board imports it.

Refusal (missing, too big, SHA-256 not its manifest's, wrong signature) raises
ModelRefused; main.py then runs on the fallback table with the fault LED lit.
"""

from firmware.features import WIDTHS
from firmware.model_check import ModelRefused, check_file

MODULE = "toast_model"


def module_file(directory, exists):
    """The compiled .mpy if present, else the .py source."""
    for ext in (".mpy", ".py"):
        path = directory + "/" + MODULE + ext
        if exists(path):
            return path
    raise ModelRefused("%s/%s.mpy or .py: no such model file" % (directory, MODULE))


def check_signature(module, path):
    if getattr(module, "INPUT_NAME", None) != "features" or getattr(module, "N_INPUTS", None) not in WIDTHS:
        raise ModelRefused("%s: input must be 'features' with 8 or 10 values" % path)
    if getattr(module, "OUTPUT_NAME", None) != "toast_s" or getattr(module, "N_OUTPUTS", None) != 1:
        raise ModelRefused("%s: output must be 'toast_s' with 1 value" % path)
    if not callable(getattr(module, "predict", None)):
        raise ModelRefused("%s: has no predict function" % path)


def load(directory, exists):
    """The checked model module from `directory` (`exists(path)` tells if a file is there)."""
    path = module_file(directory, exists)
    check_file(path, require_manifest=True)
    try:
        module = getattr(__import__("firmware." + MODULE), MODULE)
    except Exception as e:  # a module that does not even import is refused, not fatal
        raise ModelRefused("%s: does not import: %s" % (path, type(e).__name__))
    check_signature(module, path)
    return module
