"""Unaligned little-endian loads and stores at a host address, for the Numba kernel.

The kernel checks every BPF access against the region table (layout.py) and only then turns it into
a host address; these intrinsics are the single unchecked step after that, one LLVM load or store
with alignment 1 (what the JIT emits too). Numba has no such operation on uint8 arrays.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


def _loader(bits: int):
    @intrinsic
    def load(typingctx, address):
        def codegen(context, builder, signature, arguments):
            pointer = builder.inttoptr(arguments[0], ir.IntType(bits).as_pointer())
            value = builder.load(pointer, align=1)
            return builder.zext(value, ir.IntType(64)) if bits < 64 else value
        return types.uint64(types.uint64), codegen
    return load


def _storer(bits: int):
    @intrinsic
    def store(typingctx, address, value):
        def codegen(context, builder, signature, arguments):
            pointer = builder.inttoptr(arguments[0], ir.IntType(bits).as_pointer())
            truncated = builder.trunc(arguments[1], ir.IntType(bits)) if bits < 64 else arguments[1]
            builder.store(truncated, pointer, align=1)
            return context.get_dummy_value()
        return types.void(types.uint64, types.uint64), codegen
    return store


load8, load16, load32, load64 = (_loader(bits) for bits in (8, 16, 32, 64))
store8, store16, store32, store64 = (_storer(bits) for bits in (8, 16, 32, 64))
