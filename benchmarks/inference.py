"""Per-call cost of the shipped model on each runtime, measured in one run.

    python -m benchmarks.inference [--calls N]

- MicroPython VM: the generated module (firmware/toast_model.py) on the real VM
  (WebAssembly, under Node): time per call from time.ticks_us, heap allocated per call
  from gc.mem_alloc with the collector off. The VM runs on this PC's CPU, so its time is
  not the Pico's (measure that on a board); its heap count is the same bytecode's, and on
  the Pico each float result is a heap object of the same 16-byte allocation block.
- onnxruntime: model/toast_time.onnx, one row per call (the Pi Zero's path), CPython.
- CPython: the generated module run by CPython, for scale.
"""

import argparse
import sys
import time

import numpy as np

from host_sim import mpvm

ROOT = mpvm.ROOT
X = [4.0, 13.0, 22.0, 0.38, 0.05, 80.0, 22.0, 230.0]

VM_CODE = """
import sys, gc, time
sys.path.insert(0, '/')
from firmware import toast_model
x = %r
toast_model.predict(x)
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
toast_model.predict(x)
per_call = gc.mem_alloc() - a0
gc.enable()
n = %d
t0 = time.ticks_us()
for _ in range(n):
    toast_model.predict(x)
print(time.ticks_diff(time.ticks_us(), t0) / n, per_call)
"""


def vm(calls):
    files = {"/firmware/__init__.py": b"", "/firmware/toast_model.py": (ROOT / "firmware" / "toast_model.py").read_bytes()}
    us, alloc = mpvm.run(VM_CODE % (X, calls), files).split()
    return float(us), int(alloc)


def onnxruntime_us(calls):
    import onnxruntime as ort
    s = ort.InferenceSession(str(ROOT / "model" / "toast_time.onnx"), providers=["CPUExecutionProvider"])
    x = np.asarray([X], dtype=np.float32)
    s.run(["toast_s"], {"features": x})
    t0 = time.perf_counter()
    for _ in range(calls):
        s.run(["toast_s"], {"features": x})
    return (time.perf_counter() - t0) / calls * 1e6


def cpython_us(calls):
    ns = {}
    exec(compile((ROOT / "firmware" / "toast_model.py").read_text(), "toast_model", "exec"), ns)
    t0 = time.perf_counter()
    for _ in range(calls):
        ns["predict"](X)
    return (time.perf_counter() - t0) / calls * 1e6


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.inference", description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000)
    args = p.parse_args(argv)
    vm_us, vm_alloc = vm(args.calls)
    ort_us = onnxruntime_us(args.calls)
    cp_us = cpython_us(args.calls)
    from rich.console import Console
    from rich.table import Table
    t = Table(title="shipped model, one prediction (%d calls each, this machine)" % args.calls)
    for col in ("runtime", "µs / call", "vs onnxruntime", "heap bytes / call"):
        t.add_column(col, justify="left" if col == "runtime" else "right")
    t.add_row("MicroPython VM (generated module)", "%.1f" % vm_us, "%.1fx" % (vm_us / ort_us), str(vm_alloc))
    t.add_row("onnxruntime (CPython)", "%.1f" % ort_us, "1.0x", "-")
    t.add_row("CPython (generated module)", "%.1f" % cp_us, "%.1fx" % (cp_us / ort_us), "-")
    Console(width=max(100, Console().width)).print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
