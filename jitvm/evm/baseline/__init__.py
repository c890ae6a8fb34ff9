"""The baseline EVM engine: a Numba interpreter kernel that runs any code at once, with the host
instructions served in Python by the reference interpreter's own functions.

    layout.py       the frame's numpy buffers, registers and the per-fork dispatch table
    kernel.py       the interpreter loop (Numba), including the storage-read cache
    keccak.py       Keccak-256 in Numba, for KECCAK256
    host.py         NativeFrame: the kernel's buffers seen as a reference Frame
    engine.py       BaselineEngine.run_frame: enter the kernel, serve what it hands back
"""
