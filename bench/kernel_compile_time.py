"""Time a fresh compile of the baseline engine's Numba kernel (run with an empty NUMBA_CACHE_DIR):
`NUMBA_CACHE_DIR=$(mktemp -d) python bench/kernel_compile_time.py [--asm FILE]`. --asm writes the
kernel's assembly, for reading the hot handlers."""

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--asm", help="write run_kernel's assembly to this file")
    arguments = parser.parse_args()
    from jitvm.evm.baseline import layout
    from jitvm.evm.baseline.kernel import run_kernel

    # The argument types of engine.py's calls (the call data is a read-only buffer); zero steps.
    code = np.zeros((2, layout.CODE_PADDING), dtype=np.uint8)
    data = np.frombuffer(b"", dtype=np.uint8)
    words = np.zeros((layout.WORD_ROWS, layout.LIMBS), dtype=np.uint64)
    memory = np.zeros(64, dtype=np.uint8)
    control = np.zeros((layout.CONTROL_ROWS, 256), dtype=np.int64)
    started = time.process_time()
    run_kernel(code, data, words, memory, control)
    print(f"run_kernel compiled in {time.process_time() - started:.1f} s of CPU time")
    if arguments.asm:
        with open(arguments.asm, "w") as output:
            output.write(next(iter(run_kernel.inspect_asm().values())))


if __name__ == "__main__":
    main()
