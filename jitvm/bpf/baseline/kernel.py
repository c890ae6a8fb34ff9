"""The baseline engine's interpreter: one Numba function that runs a lowered BPF program.

`run_kernel` executes instructions until the program ends, fails, calls a helper, reaches the
interpreter's LIMIT, or (with `stop_at_leaders`) jumps to a JIT block start, and records which in
state[EXIT] (layout.EXIT_*). Per instruction it does what `jitvm.bpf.reference.Machine.step` does,
in the same order: budget check, count the instruction and its cost, run it. Running past the end
of the code and landing on the second word of an lddw are sentinel operations that fail before they
are counted, as the reference checks them before it counts.

Safety: Numba checks no index, so everything is checked here. Registers are indexed by the
verifier's register numbers (0..10), jump targets are verified, call targets are compared with the
code length, the call depth with the frame array, and every memory access with the region table
(layout.py) before raw.py touches a host address.

Arithmetic is on uint64 throughout: Numba turns a mix of uint64 and int64 into float64, so every
constant below is a np.uint64 and signed operations cast explicitly.
"""

import numpy as np

from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.baseline import layout as L
from jitvm.bpf.baseline.raw import load8, load16, load32, load64, store8, store16, store32, store64
from jitvm.jit.numba_cache import cached_njit

kernel = cached_njit(__name__, error_model="numpy", boundscheck=False, nogil=True)  # threads run programs in parallel

_ACCESS_VIOLATION = int(ErrorCode.ACCESS_VIOLATION)
_DIVIDE_BY_ZERO = int(ErrorCode.DIVIDE_BY_ZERO)
_DIVIDE_OVERFLOW = int(ErrorCode.DIVIDE_OVERFLOW)
_CALL_DEPTH_EXCEEDED = int(ErrorCode.CALL_DEPTH_EXCEEDED)
_COMPUTE_BUDGET_EXCEEDED = int(ErrorCode.COMPUTE_BUDGET_EXCEEDED)
_INVALID_INSTRUCTION = int(ErrorCode.INVALID_INSTRUCTION)
_CALL_OUTSIDE_TEXT = int(ErrorCode.CALL_OUTSIDE_TEXT)
_EXECUTION_OVERRUN = int(ErrorCode.EXECUTION_OVERRUN)
_ASK_REFERENCE = 0  # an error whose wording only the reference knows (driver.py asks it)
_DONE = -1  # atomic() ran the operation

_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_U8 = np.uint64(0xFF)
_U16 = np.uint64(0xFFFF)
_U32 = np.uint64(0xFFFFFFFF)
_U64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_HIGH32 = np.uint64(32)
_MASK31 = np.uint64(31)
_MASK63 = np.uint64(63)
_INT32_MIN = np.uint64(0x80000000)
_INT64_MIN = np.uint64(0x8000000000000000)
_LAST_ROW = np.uint64(L.SLOT_ROWS - 1)
_ROW_SHIFT = np.uint64(32)
_EIGHT = np.uint64(8)
_TWO = np.uint64(2)
_SIZE1, _SIZE2, _SIZE4, _SIZE8 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(8)
_FIELDS = L.FIELDS
_FIELDS_U = np.uint64(L.FIELDS)
_DST, _SRC, _MASK, _IMM, _OFF, _AUX, _COST = (np.uint64(field) for field in (L.DST, L.SRC, L.MASK, L.IMM, L.OFF,
                                                                          L.AUX, L.COST))
_ATOMIC_FETCH = 0x01
_ATOMIC_ADD, _ATOMIC_OR, _ATOMIC_AND, _ATOMIC_XOR, _ATOMIC_XCHG, _ATOMIC_CMPXCHG = 0x00, 0x40, 0x50, 0xA0, 0xE0, 0xF0

# Kernel operations (layout.OPERATIONS), as the compile-time constants Numba needs.
_OP = L.OP
OVERRUN, INVALID_SLOT, REFERENCE_ERROR = _OP["overrun"], _OP["invalid_slot"], _OP["reference_error"]
ADD64, SUB64, SUBR64, MUL64, DIV64, MOD64 = (_OP[n] for n in ("add64", "sub64", "subr64", "mul64", "div64", "mod64"))
SDIV64, SMOD64, OR64, AND64, XOR64 = (_OP[n] for n in ("sdiv64", "smod64", "or64", "and64", "xor64"))
LSH64, RSH64, ARSH64, NEG64, MOV64 = (_OP[n] for n in ("lsh64", "rsh64", "arsh64", "neg64", "mov64"))
UHMUL64, SHMUL64, HOR64, LDDW = _OP["uhmul64"], _OP["shmul64"], _OP["hor64"], _OP["lddw"]
ADD32, SUB32, SUBR32, MUL32, DIV32, MOD32 = (_OP[n] for n in ("add32", "sub32", "subr32", "mul32", "div32", "mod32"))
SDIV32, SMOD32, OR32, AND32, XOR32 = (_OP[n] for n in ("sdiv32", "smod32", "or32", "and32", "xor32"))
LSH32, RSH32, ARSH32, NEG32, MOV32 = (_OP[n] for n in ("lsh32", "rsh32", "arsh32", "neg32", "mov32"))
ADD32SX, SUB32SX, MUL32SX, MOV32SX = (_OP[n] for n in ("add32sx", "sub32sx", "mul32sx", "mov32sx"))
MOVSX8_32, MOVSX16_32 = _OP["movsx8_32"], _OP["movsx16_32"]
MOVSX8_64, MOVSX16_64, MOVSX32_64 = _OP["movsx8_64"], _OP["movsx16_64"], _OP["movsx32_64"]
LE16, LE32, LE64 = _OP["le16"], _OP["le32"], _OP["le64"]
BSWAP16, BSWAP32, BSWAP64 = _OP["bswap16"], _OP["bswap32"], _OP["bswap64"]
LOAD1, LOAD2, LOAD4, LOAD8 = _OP["load1"], _OP["load2"], _OP["load4"], _OP["load8"]
LOADS1, LOADS2, LOADS4 = _OP["loads1"], _OP["loads2"], _OP["loads4"]
STORE1, STORE2, STORE4, STORE8 = _OP["store1"], _OP["store2"], _OP["store4"], _OP["store8"]
ATOMIC4, ATOMIC8 = _OP["atomic4"], _OP["atomic8"]
JA = _OP["ja"]
JEQ64, JNE64, JGT64, JGE64, JLT64, JLE64 = (_OP[n] for n in ("jeq64", "jne64", "jgt64", "jge64", "jlt64", "jle64"))
JSET64, JSGT64, JSGE64, JSLT64, JSLE64 = (_OP[n] for n in ("jset64", "jsgt64", "jsge64", "jslt64", "jsle64"))
JEQ32, JNE32, JGT32, JGE32, JLT32, JLE32 = (_OP[n] for n in ("jeq32", "jne32", "jgt32", "jge32", "jlt32", "jle32"))
JSET32, JSGT32, JSGE32, JSLT32, JSLE32 = (_OP[n] for n in ("jset32", "jsgt32", "jsge32", "jslt32", "jsle32"))
CALL_KEY, CALL_LOCAL, CALLX_HELPER, CALLX, EXIT = (_OP[n] for n in ("call_key", "call_local", "callx_helper",
                                                                     "callx", "exit"))
CALL_FUNCTION = _OP["call_function"]

_PC, _INSTRUCTIONS, _UNITS, _BUDGET, _LIMIT = L.PC, L.INSTRUCTIONS, L.UNITS, L.BUDGET, L.LIMIT
_DEPTH, _STACK_POINTER, _EXIT = L.DEPTH, L.STACK_POINTER, L.EXIT
_HOST, _START, _LENGTH, _WRITABLE, _GAP, _NEXT = L.HOST, L.START, L.LENGTH, L.WRITABLE, L.GAP, L.NEXT
_READ1, _READ2, _READ4, _READ8 = (L.fast_column(size, False) for size in L.ACCESS_SIZES)
_WRITE1, _WRITE2, _WRITE4, _WRITE8 = (L.fast_column(size, True) for size in L.ACCESS_SIZES)


# -- small pieces ----------------------------------------------------------------------------------

@kernel
def sign_extend(value, bits):
    """The low `bits` of value, sign-extended to 64 bits (as uint64)."""
    shift = np.uint64(64 - bits)
    return np.uint64(np.int64(value << shift) >> np.int64(shift))


_DIVIDE_OK = 0


@kernel
def signed_division_check(a, b, minimum, minus_one, divide_by_zero_fails, overflow_fails):
    """0 if a signed division of width-bit values may proceed (eBPF defines the special cases),
    else the error code: division by zero, or INT_MIN / -1 where sBPF rejects it."""
    if b == _ZERO:
        return _DIVIDE_BY_ZERO if divide_by_zero_fails else _DIVIDE_OK
    if a == minimum and b == minus_one and overflow_fails:
        return _DIVIDE_OVERFLOW
    return _DIVIDE_OK


@kernel
def signed_quotient(a, b, minimum, minus_one):
    """eBPF's sdiv on sign-extended 64-bit values: x / 0 = 0 and INT_MIN / -1 = INT_MIN."""
    if b == _ZERO:
        return _ZERO
    if a == minimum and b == minus_one:
        return a
    return truncated_quotient(a, b)


@kernel
def signed_remainder(a, b, minimum, minus_one):
    """eBPF's smod: x % 0 = x and INT_MIN % -1 = 0."""
    if b == _ZERO:
        return a
    if a == minimum and b == minus_one:
        return _ZERO
    return truncated_remainder(a, b)


@kernel
def magnitude(value):
    """|value| of a signed 64-bit value held as uint64 (INT64_MIN stays 2**63)."""
    return _ZERO - value if value & _INT64_MIN else value


@kernel
def truncated_quotient(a, b):
    """Signed division rounding toward zero, on sign-extended values (b not 0, not INT_MIN / -1)."""
    quotient = magnitude(a) // magnitude(b)
    return _ZERO - quotient if (a ^ b) & _INT64_MIN else quotient


@kernel
def truncated_remainder(a, b):
    """The remainder of truncated_quotient: its sign follows the dividend."""
    remainder = magnitude(a) % magnitude(b)
    return _ZERO - remainder if a & _INT64_MIN else remainder


@kernel
def multiply_high(a, b):
    """The high 64 bits of the unsigned 128-bit product."""
    a_low, a_high, b_low, b_high = a & _U32, a >> _HIGH32, b & _U32, b >> _HIGH32
    low_low = a_low * b_low
    middle = a_high * b_low + (low_low >> _HIGH32)
    middle2 = a_low * b_high + (middle & _U32)
    return a_high * b_high + (middle >> _HIGH32) + (middle2 >> _HIGH32)


@kernel
def multiply_high_signed(a, b):
    high = multiply_high(a, b)
    if a & _INT64_MIN:
        high -= b
    if b & _INT64_MIN:
        high -= a
    return high


@kernel
def swap16(value):
    return ((value & _U8) << _EIGHT) | ((value >> _EIGHT) & _U8)


@kernel
def swap32(value):
    return (swap16(value) << np.uint64(16)) | swap16(value >> np.uint64(16))


@kernel
def swap64(value):
    return (swap32(value) << _HIGH32) | swap32(value >> _HIGH32)


@kernel
def checked_address(regions, row, address, size, write):
    """Host address of an access that missed the fast check, or 0: the full rule of
    jitvm.bpf.memory (a region starting inside its slot, Solana's gapped stack, a slot's chain of
    regions)."""
    while regions[_NEXT, row] != _ZERO and not (regions[_START, row] <= address
                                                 and address - regions[_START, row] < regions[_LENGTH, row]):
        row = regions[_NEXT, row]
    start, length = regions[_START, row], regions[_LENGTH, row]
    if length == _ZERO or address >> _ROW_SHIFT != start >> _ROW_SHIFT or address < start:
        return _ZERO
    if write and regions[_WRITABLE, row] == _ZERO:
        return _ZERO
    offset = address - start
    gap = regions[_GAP, row]
    if gap != _ZERO:
        if (offset // gap) & _ONE:
            return _ZERO
        offset = (offset // (gap + gap)) * gap + offset % gap
    if offset + size > length:
        return _ZERO
    return regions[_HOST, row] + offset


@kernel
def host_address(regions, address, size, column, write):
    """The host address of a checked access of `size` bytes, or 0 if it is not allowed."""
    row = address >> _ROW_SHIFT
    if row > _LAST_ROW:
        row = _LAST_ROW
    offset = address - regions[_START, row]
    if offset < regions[column, row]:
        return regions[_HOST, row] + offset
    return checked_address(regions, row, address, size, write)


@kernel
def load(host, size):
    if size == 1:
        return load8(host)
    if size == 2:
        return load16(host)
    if size == 4:
        return load32(host)
    return load64(host)


@kernel
def store(host, size, value):
    if size == 1:
        store8(host, value)
    elif size == 2:
        store16(host, value)
    elif size == 4:
        store32(host, value)
    else:
        store64(host, value)


@kernel
def fail(state, code, address, size, write, value):
    state[L.ERROR_CODE] = code
    state[L.ERROR_ADDRESS] = np.int64(address)
    state[L.ERROR_SIZE] = size
    state[L.ERROR_WRITE] = 1 if write else 0
    state[L.ERROR_VALUE] = np.int64(value)
    return L.EXIT_ERROR


@kernel
def atomic(registers, regions, state, address, size, value, operation, source):
    """A lock instruction: load (read check), combine, store (write check). Returns EXIT_ERROR or _DONE."""
    width_mask = _U32 if size == 4 else _U64
    read_column, write_column = (_READ4, _WRITE4) if size == 4 else (_READ8, _WRITE8)
    host = host_address(regions, address, np.uint64(size), read_column, False)
    if host == _ZERO:
        return fail(state, _ACCESS_VIOLATION, address, size, False, 0)
    old = load(host, size)
    value &= width_mask
    kind = operation & ~_ATOMIC_FETCH
    if kind == _ATOMIC_CMPXCHG:
        if old == registers[0] & width_mask:
            host = host_address(regions, address, np.uint64(size), write_column, True)
            if host == _ZERO:
                return fail(state, _ACCESS_VIOLATION, address, size, True, 0)
            store(host, size, value)
        registers[0] = old
        return _DONE
    if kind == _ATOMIC_ADD:
        new = old + value
    elif kind == _ATOMIC_OR:
        new = old | value
    elif kind == _ATOMIC_AND:
        new = old & value
    elif kind == _ATOMIC_XOR:
        new = old ^ value
    else:  # xchg
        new = value
    host = host_address(regions, address, np.uint64(size), write_column, True)
    if host == _ZERO:
        return fail(state, _ACCESS_VIOLATION, address, size, True, 0)
    store(host, size, new)
    if operation & _ATOMIC_FETCH:
        registers[source] = old
    return _DONE


# -- the interpreter -------------------------------------------------------------------------------

@kernel
def run_kernel(code, registers, state, frames, regions, leaders, stop_at_leaders, divide_by_zero_fails,
               overflow_fails, max_depth, dynamic_frames, frame_stride, text_address):
    """Run from state[PC] until the program ends or the kernel must return (see the module doc).

    Indices are uint64 so Numba does not wrap negative ones; each operation is its own `elif` so
    LLVM turns the chain into one jump table."""
    code_length = np.uint64(len(code) // _FIELDS - 1)
    pc = np.uint64(state[_PC])
    instructions = state[_INSTRUCTIONS]
    units = state[_UNITS]
    limit = state[_LIMIT]
    depth = np.uint64(state[_DEPTH])
    depth_limit = np.uint64(max_depth)
    stack_pointer = np.uint64(state[_STACK_POINTER])
    stride = np.uint64(frame_stride)
    exit = L.EXIT_DONE
    while True:
        if units >= limit:
            if units >= state[_BUDGET]:
                exit = fail(state, _COMPUTE_BUDGET_EXCEEDED, _ZERO, 0, False, state[_BUDGET])
            else:
                exit = L.EXIT_YIELD
            break
        row = pc * _FIELDS_U
        kind = np.int64(code[row])
        instructions += 1
        units += np.int64(code[row + _COST])
        d = code[row + _DST]
        a = registers[d]
        b = (registers[code[row + _SRC]] & code[row + _MASK]) | code[row + _IMM]
        next_pc = pc + _ONE

        # 64-bit ALU
        if kind == ADD64:
            registers[d] = a + b
        elif kind == SUB64:
            registers[d] = a - b
        elif kind == SUBR64:
            registers[d] = b - a
        elif kind == MUL64:
            registers[d] = a * b
        elif kind == OR64:
            registers[d] = a | b
        elif kind == AND64:
            registers[d] = a & b
        elif kind == XOR64:
            registers[d] = a ^ b
        elif kind == LSH64:
            registers[d] = a << (b & _MASK63)
        elif kind == RSH64:
            registers[d] = a >> (b & _MASK63)
        elif kind == ARSH64:
            registers[d] = np.uint64(np.int64(a) >> np.int64(b & _MASK63))
        elif kind == MOV64:
            registers[d] = b
        elif kind == NEG64:
            registers[d] = _ZERO - a
        elif kind == LDDW:
            registers[d] = b
            next_pc = pc + _TWO
        elif kind == HOR64:
            registers[d] = a | ((b & _U32) << _HIGH32)
        elif kind == DIV64:
            if b == _ZERO and divide_by_zero_fails:
                exit = fail(state, _DIVIDE_BY_ZERO, _ZERO, 0, False, 0)
                break
            registers[d] = _ZERO if b == _ZERO else a // b
        elif kind == MOD64:
            if b == _ZERO and divide_by_zero_fails:
                exit = fail(state, _DIVIDE_BY_ZERO, _ZERO, 0, False, 0)
                break
            registers[d] = a if b == _ZERO else a % b
        # 32-bit ALU: operands and result are the low halves; the result is zero-extended
        elif kind == ADD32:
            registers[d] = (a + b) & _U32
        elif kind == SUB32:
            registers[d] = (a - b) & _U32
        elif kind == SUBR32:
            registers[d] = (b - a) & _U32
        elif kind == MUL32:
            registers[d] = (a * b) & _U32
        elif kind == OR32:
            registers[d] = (a | b) & _U32
        elif kind == AND32:
            registers[d] = a & b & _U32
        elif kind == XOR32:
            registers[d] = (a ^ b) & _U32
        elif kind == LSH32:
            registers[d] = (a << (b & _MASK31)) & _U32
        elif kind == RSH32:
            registers[d] = (a & _U32) >> (b & _MASK31)
        elif kind == MOV32:
            registers[d] = b & _U32
        # sign extension and byte order
        # memory: loads address [src + off], stores and atomics [dst + off]
        elif kind == LOAD1:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE1, _READ1, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 1, False, 0)
                break
            registers[d] = load8(host)
        elif kind == LOAD2:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE2, _READ2, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 2, False, 0)
                break
            registers[d] = load16(host)
        elif kind == LOAD4:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE4, _READ4, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 4, False, 0)
                break
            registers[d] = load32(host)
        elif kind == LOAD8:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE8, _READ8, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 8, False, 0)
                break
            registers[d] = load64(host)
        elif kind == STORE1:
            address = a + code[row + _OFF]
            host = host_address(regions, address, _SIZE1, _WRITE1, True)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 1, True, 0)
                break
            store8(host, b)
        elif kind == STORE2:
            address = a + code[row + _OFF]
            host = host_address(regions, address, _SIZE2, _WRITE2, True)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 2, True, 0)
                break
            store16(host, b)
        elif kind == STORE4:
            address = a + code[row + _OFF]
            host = host_address(regions, address, _SIZE4, _WRITE4, True)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 4, True, 0)
                break
            store32(host, b)
        elif kind == STORE8:
            address = a + code[row + _OFF]
            host = host_address(regions, address, _SIZE8, _WRITE8, True)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 8, True, 0)
                break
            store64(host, b)
        # jumps: the target is in AUX
        elif kind == JA:
            next_pc = code[row + _AUX]
        elif kind == JEQ64:
            if a == b:
                next_pc = code[row + _AUX]
        elif kind == JNE64:
            if a != b:
                next_pc = code[row + _AUX]
        elif kind == JGT64:
            if a > b:
                next_pc = code[row + _AUX]
        elif kind == JGE64:
            if a >= b:
                next_pc = code[row + _AUX]
        elif kind == JLT64:
            if a < b:
                next_pc = code[row + _AUX]
        elif kind == JLE64:
            if a <= b:
                next_pc = code[row + _AUX]
        elif kind == JSET64:
            if a & b:
                next_pc = code[row + _AUX]
        elif kind == JSGT64:
            if np.int64(a) > np.int64(b):
                next_pc = code[row + _AUX]
        elif kind == JSGE64:
            if np.int64(a) >= np.int64(b):
                next_pc = code[row + _AUX]
        elif kind == JSLT64:
            if np.int64(a) < np.int64(b):
                next_pc = code[row + _AUX]
        elif kind == JSLE64:
            if np.int64(a) <= np.int64(b):
                next_pc = code[row + _AUX]
        elif kind == JEQ32:
            if a & _U32 == b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JNE32:
            if a & _U32 != b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JGT32:
            if a & _U32 > b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JGE32:
            if a & _U32 >= b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JLT32:
            if a & _U32 < b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JLE32:
            if a & _U32 <= b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JSET32:
            if a & b & _U32:
                next_pc = code[row + _AUX]
        elif kind == JSGT32:
            if np.int32(a) > np.int32(b):
                next_pc = code[row + _AUX]
        elif kind == JSGE32:
            if np.int32(a) >= np.int32(b):
                next_pc = code[row + _AUX]
        elif kind == JSLT32:
            if np.int32(a) < np.int32(b):
                next_pc = code[row + _AUX]
        elif kind == JSLE32:
            if np.int32(a) <= np.int32(b):
                next_pc = code[row + _AUX]

        # calls: a frame saves r6-r9, r10, the stack pointer and the return pc
        elif kind == CALL_LOCAL or kind == CALLX or (kind == CALL_FUNCTION and state[L.NATIVE_FUNCTION_CALLS] != 0):
            # call_function: a registered function's key, its target inside the code (layout.function_target)
            if kind == CALL_LOCAL and code[row + _AUX] >= code_length:
                # Solana checks a local call's target before it pushes a frame; the reference words it
                exit = fail(state, _ASK_REFERENCE, _ZERO, 0, False, 0)
                break
            frames[depth, L.FRAME_R6] = registers[6]
            frames[depth, L.FRAME_R7] = registers[7]
            frames[depth, L.FRAME_R8] = registers[8]
            frames[depth, L.FRAME_R9] = registers[9]
            frames[depth, L.FRAME_FP] = registers[10]
            frames[depth, L.FRAME_SP] = stack_pointer
            frames[depth, L.FRAME_RETURN] = next_pc
            depth += _ONE
            if depth >= depth_limit:
                exit = fail(state, _CALL_DEPTH_EXCEEDED, _ZERO, 0, False, max_depth)
                break
            if not dynamic_frames:  # dynamic frames: r10 stays where the program moved it
                registers[10] += stride
            stack_pointer = registers[10]
            if kind != CALLX:
                target = code[row + _AUX]
            else:  # callx: b is the target address; Solana pushes the frame before checking it
                target = (b - np.uint64(text_address)) // _EIGHT
                if target >= code_length:
                    exit = fail(state, _CALL_OUTSIDE_TEXT, _ZERO, 0, False, b)
                    break
            next_pc = target
        elif kind == EXIT:
            if depth == _ZERO:
                exit = L.EXIT_DONE
                break
            depth -= _ONE
            registers[6] = frames[depth, L.FRAME_R6]
            registers[7] = frames[depth, L.FRAME_R7]
            registers[8] = frames[depth, L.FRAME_R8]
            registers[9] = frames[depth, L.FRAME_R9]
            registers[10] = frames[depth, L.FRAME_FP]
            stack_pointer = frames[depth, L.FRAME_SP]
            next_pc = frames[depth, L.FRAME_RETURN]
        elif kind == CALL_KEY or kind == CALL_FUNCTION:  # call_function: a helper may have its key
            state[L.CALL_KEY] = np.int64(b & _U32)
            state[L.CALL_KIND] = L.CALL_BY_KEY
            exit = L.EXIT_CALL
            break
        elif kind == CALLX_HELPER:
            state[L.CALL_KEY] = np.int64(b)
            state[L.CALL_KIND] = L.CALL_BY_REGISTER
            exit = L.EXIT_CALL
            break

        # sign-extending, signed, 32-bit division, byte-order and atomic operations
        elif kind == UHMUL64:
            registers[d] = multiply_high(a, b)
        elif kind == SHMUL64:
            registers[d] = multiply_high_signed(a, b)
        elif kind == SDIV64:
            check = signed_division_check(a, b, _INT64_MIN, _U64, divide_by_zero_fails, overflow_fails)
            if check != _DIVIDE_OK:
                exit = fail(state, check, _ZERO, 0, False, 0)
                break
            registers[d] = signed_quotient(a, b, _INT64_MIN, _U64)
        elif kind == SMOD64:
            check = signed_division_check(a, b, _INT64_MIN, _U64, divide_by_zero_fails, overflow_fails)
            if check != _DIVIDE_OK:
                exit = fail(state, check, _ZERO, 0, False, 0)
                break
            registers[d] = signed_remainder(a, b, _INT64_MIN, _U64)
        elif kind == ARSH32:
            registers[d] = np.uint64(np.int64(sign_extend(a, 32)) >> np.int64(b & _MASK31)) & _U32
        elif kind == NEG32:
            registers[d] = (_ZERO - a) & _U32
        elif kind == ADD32SX:
            registers[d] = sign_extend(a + b, 32)
        elif kind == SUB32SX:
            registers[d] = sign_extend(a - b, 32)
        elif kind == MUL32SX:
            registers[d] = sign_extend(a * b, 32)
        elif kind == MOV32SX:
            registers[d] = sign_extend(b, 32)
        elif kind == DIV32:
            if b & _U32 == _ZERO and divide_by_zero_fails:
                exit = fail(state, _DIVIDE_BY_ZERO, _ZERO, 0, False, 0)
                break
            registers[d] = _ZERO if b & _U32 == _ZERO else (a & _U32) // (b & _U32)
        elif kind == MOD32:
            if b & _U32 == _ZERO and divide_by_zero_fails:
                exit = fail(state, _DIVIDE_BY_ZERO, _ZERO, 0, False, 0)
                break
            registers[d] = a & _U32 if b & _U32 == _ZERO else (a & _U32) % (b & _U32)
        elif kind == SDIV32:
            check = signed_division_check(a & _U32, b & _U32, _INT32_MIN, _U32, divide_by_zero_fails,
                                          overflow_fails)
            if check != _DIVIDE_OK:
                exit = fail(state, check, _ZERO, 0, False, 0)
                break
            registers[d] = signed_quotient(sign_extend(a, 32), sign_extend(b, 32), _INT64_MIN, _U64) & _U32
        elif kind == SMOD32:
            check = signed_division_check(a & _U32, b & _U32, _INT32_MIN, _U32, divide_by_zero_fails,
                                          overflow_fails)
            if check != _DIVIDE_OK:
                exit = fail(state, check, _ZERO, 0, False, 0)
                break
            registers[d] = signed_remainder(sign_extend(a, 32), sign_extend(b, 32), _INT64_MIN, _U64) & _U32
        elif kind == MOVSX8_32:
            registers[d] = sign_extend(b, 8) & _U32
        elif kind == MOVSX16_32:
            registers[d] = sign_extend(b, 16) & _U32
        elif kind == MOVSX8_64:
            registers[d] = sign_extend(b, 8)
        elif kind == MOVSX16_64:
            registers[d] = sign_extend(b, 16)
        elif kind == MOVSX32_64:
            registers[d] = sign_extend(b, 32)
        elif kind == LE16:
            registers[d] = a & _U16
        elif kind == LE32:
            registers[d] = a & _U32
        elif kind == LE64:
            pass
        elif kind == BSWAP16:
            registers[d] = swap16(a)
        elif kind == BSWAP32:
            registers[d] = swap32(a)
        elif kind == BSWAP64:
            registers[d] = swap64(a)
        elif kind == LOADS1:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE1, _READ1, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 1, False, 0)
                break
            registers[d] = sign_extend(load8(host), 8)
        elif kind == LOADS2:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE2, _READ2, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 2, False, 0)
                break
            registers[d] = sign_extend(load16(host), 16)
        elif kind == LOADS4:
            address = registers[code[row + _SRC]] + code[row + _OFF]
            host = host_address(regions, address, _SIZE4, _READ4, False)
            if host == _ZERO:
                exit = fail(state, _ACCESS_VIOLATION, address, 4, False, 0)
                break
            registers[d] = sign_extend(load32(host), 32)
        elif kind == ATOMIC4:
            exit = atomic(registers, regions, state, a + code[row + _OFF], 4, b, np.int64(code[row + _AUX]),
                          code[row + _SRC])
            if exit == L.EXIT_ERROR:
                break
        elif kind == ATOMIC8:
            exit = atomic(registers, regions, state, a + code[row + _OFF], 8, b, np.int64(code[row + _AUX]),
                          code[row + _SRC])
            if exit == L.EXIT_ERROR:
                break

        # failures checked before an instruction is counted, and errors the reference words
        elif kind == OVERRUN:
            instructions -= 1
            units -= np.int64(code[row + _COST])
            exit = fail(state, _EXECUTION_OVERRUN, _ZERO, 0, False, 0)
            break
        elif kind == INVALID_SLOT:
            instructions -= 1
            units -= np.int64(code[row + _COST])
            exit = fail(state, _INVALID_INSTRUCTION, _ZERO, 0, False, 0)
            break
        else:  # REFERENCE_ERROR
            exit = fail(state, _ASK_REFERENCE, _ZERO, 0, False, code[row + _AUX])
            break

        pc = next_pc
        if stop_at_leaders and leaders[pc]:
            exit = L.EXIT_LEADER
            break

    state[_PC] = np.int64(pc)
    state[_INSTRUCTIONS] = instructions
    state[_UNITS] = units
    state[_DEPTH] = np.int64(depth)
    state[_STACK_POINTER] = np.int64(stack_pointer)
    state[_EXIT] = exit
    return exit
