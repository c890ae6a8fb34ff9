"""The calling convention of generated EVM code, shared by the code generator and the engine that
calls it (a module of its own so that the engine can run cached code without importing the code
generator, and with it Numba):

    i64 evm_enter(ptr code, ptr data, ptr words, ptr memory, ptr control, i64 capacity, i64 data_size)
"""

ENTRY = "evm_enter"
DONE, INTERPRET, CONTINUE = 0, 1, -1  # what a function returns (CONTINUE: registers[PC] is elsewhere)
# Per function (part) of a code, the instructions its blocks ran, counted by QUICK code: an exported
# global of every linked library, [parts x i64], read when the OPTIMIZED tier is generated (compile.py).
WORK_COUNTERS = "evm_work"
