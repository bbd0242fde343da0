"""Checks a model file must pass before the board uses it (docs/INTERFACES.md): at most 256 KB,
and the SHA-256 its manifest (NAME.manifest.json beside it) records. Runs on the Pico
(MicroPython: os, json) and on the Pi Zero and the host (CPython).
"""

import json
import os

from firmware.selftest import sha256_hex

MAX_MODEL_BYTES = 256 * 1024


class ModelRefused(ValueError):
    """A model that will not be used; the message is the one line the user sees."""


def shown(path):
    """path as it goes into that one line: repr() when it holds a line break or another
    control character (a crafted file name must not add lines to the message)."""
    for c in path:
        if c < " " or c in "\x7f\x85\u2028\u2029":
            return repr(path)
    return path


def manifest_path(path):
    stem = path[:path.rfind(".")] if "." in path.split("/")[-1] else path
    return stem + ".manifest.json"


def file_size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        raise ModelRefused("%s: no such model file" % shown(path))


def expected_sha256(path, manifest):
    try:
        with open(manifest) as f:
            value = json.load(f)["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelRefused("%s: unreadable manifest %s: %s" % (shown(path), shown(manifest), type(e).__name__))
    if not isinstance(value, str) or len(value) != 64:
        raise ModelRefused("%s: manifest %s: sha256 is not a 64-digit hex string" % (shown(path), shown(manifest)))
    return value


def check_file(path, require_manifest=False):
    """Raise ModelRefused unless path is small enough and matches its manifest.

    A model without a manifest passes when require_manifest is false (a student's own
    ONNX file on the host); the board always requires one.
    """
    size = file_size(path)
    if size > MAX_MODEL_BYTES:
        raise ModelRefused("%s: %d bytes is larger than the %d-byte limit" % (shown(path), size, MAX_MODEL_BYTES))
    manifest = manifest_path(path)
    try:
        os.stat(manifest)
    except OSError:
        if require_manifest:
            raise ModelRefused("%s: no manifest %s" % (shown(path), shown(manifest)))
        return
    expected = expected_sha256(path, manifest)
    actual = sha256_hex(path)
    if actual != expected:
        raise ModelRefused("%s: SHA-256 %s does not match manifest %s" % (shown(path), actual[:12], shown(manifest)))
