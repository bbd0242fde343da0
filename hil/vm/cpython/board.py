"""The virtual board's CPython twin: the same firmware, shim and frames as on the VM.

    python hil/vm/cpython/board.py ROOT

ROOT is a directory laid out like the board's filesystem (main.py, firmware/, safety/);
it becomes the working directory, as / is on the board.
"""

import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(root):
    os.chdir(root)
    sys.path[:0] = [HERE, os.path.dirname(HERE), root]
    import probe  # noqa: F401  (swaps in the virtual clock and the tick probe)
    runpy.run_path(os.path.join(root, "main.py"), run_name="main")


if __name__ == "__main__":
    main(sys.argv[1])
