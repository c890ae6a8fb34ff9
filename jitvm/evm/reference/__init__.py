"""The reference EVM interpreter: Python integers, one short function per opcode, written to be read.

It defines what is right; every faster engine is held equal to it by the differential tests.
"""

from jitvm.evm.reference.interpreter import run_frame

__all__ = ["run_frame"]
