"""CPU instructions of one entry into native EVM code from Python, counted by callgrind (so the
figures do not depend on the machine's load): the JIT's evm_enter through ctypes and through
jitvm.evm.jit.native_call.enter_evm, and the baseline kernel's Numba entry. Starts itself again
under valgrind.

    python bench/jit_entry_cost.py [--calls 200]

Each row is a call of a STOP contract's code with a fresh frame's buffers, minus an empty lambda.
"""

from __future__ import annotations

import argparse
import sys

from jitvm.bench.counting import InstructionCounter, reexec_under_valgrind, running_under_counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    if not running_under_counter():
        sys.exit(reexec_under_valgrind([], script=sys.argv))

    from jitvm.evm.baseline.engine import kernel
    from jitvm.evm.baseline.layout import FrameBuffers, calldata_at, code_rows_at
    from jitvm.evm.jit import compile
    from jitvm.evm.jit.native_call import enter_evm, entry_address

    code = bytes([0x00])  # STOP
    compiled = compile.compiled_code(code, "Osaka")
    rows, code_address = code_rows_at(code)
    data, data_address = calldata_at(b"")
    buffers = FrameBuffers(4096)
    arguments = (code_address, data_address, buffers.words_address, buffers.memory.ctypes.data,
                 buffers.control_address, buffers.memory.size, 0)
    ctypes_enter, fast_enter, address = compiled.function, enter_evm(), entry_address(compiled.function)
    run_kernel = kernel()
    counter = InstructionCounter()

    def count(function) -> float:
        function()
        with counter.measuring():
            before = counter()
            for _ in range(args.calls):
                function()
            return (counter() - before) / args.calls

    empty = count(lambda: None)
    rows_ = {"evm_enter through ctypes": lambda: ctypes_enter(*arguments),
             "evm_enter through native_call.enter_evm": lambda: fast_enter(address, *arguments),
             "baseline kernel (Numba entry point)": lambda: run_kernel(rows, data, buffers.words, buffers.memory,
                                                                        buffers.control)}
    for name, function in rows_.items():
        print(f"{name:42} {count(function) - empty:8.0f} instructions")


if __name__ == "__main__":
    main()
