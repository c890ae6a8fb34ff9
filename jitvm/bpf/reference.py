"""The reference interpreter: what each BPF instruction does, written to be read.

Registers are Python integers kept in 0 .. 2**64-1. Each semantics of the table has one small
function below; a step charges the meter, runs the function, and moves to the next instruction
unless the function chose another one. Errors are `VmError`s (code + fields) so the fast engines can
report exactly the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.helpers import HelperContext, HelperExit, HelperRegistry, LogCollector, Meter, SyscallFailure
from jitvm.bpf.machine import (DEFAULT_SBPF_COMPUTE_BUDGET, FRAME_POINTER, ExecutionResult, build_memory,
                               frame_stride, initial_registers)
from jitvm.bpf.memory import DEFAULT_HEAP_SIZE, Memory
from jitvm.bpf.table import profile_table
from jitvm.bpf.verifier import Decoded

U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
CALLEE_SAVED = slice(6, 10)  # r6-r9 survive a bpf-to-bpf call


def mask(width: int) -> int:
    return (1 << width) - 1


def signed(value: int, width: int) -> int:
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


class _Halt(Exception):
    """The program finished with r0 = value (exit from the outermost frame, or a helper's unwind)."""

    def __init__(self, value: int):
        self.value = value


@dataclass
class Frame:
    callee_saved: list[int]
    frame_pointer: int
    stack_pointer: int
    return_pc: int


class Machine:
    """The state of one run: registers, pc, call frames, memory, meter and log."""

    def __init__(self, program, input_data: bytes, helpers: HelperRegistry, budget: int | None, heap_size: int,
                 *, memory: Memory | None = None, registers=None, direct_mapping: bool = False,
                 logs: LogCollector | None = None):
        """`memory` and `registers` replace the usual map and initial registers (jitvm.bpf.vm);
        `logs` is a log collector to add to (one per transaction in Solana, its cap shared)."""
        self.program = program
        self.profile = profile_table(program.profile).profile
        self.code: list[Decoded | None] = program.decoded
        self.functions = program.function_map
        self.helpers = helpers
        self.memory = memory or build_memory(program, self.profile, input_data, heap_size)
        self.reg = initial_registers(self.profile, input_data)
        if registers is not None:
            self.reg[:len(registers)] = [value & U64 for value in registers]
        self.stack_pointer = self.reg[FRAME_POINTER]
        self.direct_mapping = direct_mapping
        self.frames: list[Frame] = []
        self.meter = Meter(budget)
        self.instructions = 0
        self.logs: list[str] = LogCollector() if logs is None else logs
        self.pc = program.entry
        self.next_pc = 0

    def run(self) -> ExecutionResult:
        r0, error = None, None
        try:
            while True:
                self.step()
        except _Halt as halt:
            r0 = halt.value & U64
        except VmError as failure:
            error = failure
        return ExecutionResult(r0, error, self.instructions, self.meter.used, self.logs, self.memory)

    def step(self) -> None:
        pc = self.pc
        if self.meter.budget is not None and self.meter.used >= self.meter.budget:
            raise VmError(ErrorCode.COMPUTE_BUDGET_EXCEEDED, pc, value=self.meter.budget)
        if pc >= len(self.code):
            raise VmError(ErrorCode.EXECUTION_OVERRUN, pc)
        step = self.code[pc]
        if step is None:  # reached the second word of an lddw through a computed call
            raise VmError(ErrorCode.INVALID_INSTRUCTION, pc, value=0)
        self.instructions += 1
        self.meter.used += step.row.cost
        self.next_pc = pc + step.row.slots
        SEMANTICS[step.row.semantics](self, step)
        self.pc = self.next_pc

    # -- operands -----------------------------------------------------------------------------------

    def operand(self, step: Decoded) -> int:
        """The second operand as an unsigned 64-bit value (a constant is sign-extended, unless the
        row says its immediate is unsigned)."""
        if step.row.source == "reg":
            return self.reg[step.word.src]
        if step.row.rules.get("imm_unsigned"):
            return step.imm & U32
        return step.imm & U64

    def operands(self, step: Decoded) -> tuple[int, int]:
        width = step.row.width
        return self.reg[step.word.dst] & mask(width), self.operand(step) & mask(width)

    def write_result(self, step: Decoded, value: int) -> None:
        """Store an ALU result: 32-bit results are zero-extended, except where sBPF v0 sign-extends."""
        if step.row.width == 32:
            value &= U32
            if step.row.semantics in self.profile.alu32_sign_extends:
                value = signed(value, 32) & U64
        self.reg[step.word.dst] = value & U64

    def address(self, base_register: int, step: Decoded) -> int:
        return (self.reg[base_register] + step.word.off) & U64

    def fail(self, code: ErrorCode, **fields) -> VmError:
        return VmError(code, self.pc, **fields)

    # -- calls --------------------------------------------------------------------------------------

    def push_frame(self) -> None:
        self.frames.append(Frame(self.reg[CALLEE_SAVED], self.reg[FRAME_POINTER], self.stack_pointer, self.next_pc))
        if len(self.frames) >= self.profile.max_call_depth:
            raise self.fail(ErrorCode.CALL_DEPTH_EXCEEDED, value=self.profile.max_call_depth)
        # Fixed frames: the callee's frame is the next one. Dynamic frames: r10 stays where the
        # program moved it (`add r10, imm`), as Solana leaves it.
        if not self.profile.dynamic_stack_frames:
            self.reg[FRAME_POINTER] = (self.reg[FRAME_POINTER] + frame_stride(self.profile)) & U64
        self.stack_pointer = self.reg[FRAME_POINTER]

    def pop_frame(self) -> None:
        frame = self.frames.pop()
        self.reg[CALLEE_SAVED] = frame.callee_saved
        self.reg[FRAME_POINTER] = frame.frame_pointer
        self.stack_pointer = frame.stack_pointer
        self.next_pc = frame.return_pc

    def call_helper(self, key: int) -> bool:
        """Run the helper or syscall registered under `key`; False if there is none."""
        helper = self.helpers.get(key)
        if helper is None:
            return False
        context = HelperContext(self.memory, self.meter, self.pc, self.logs, self.direct_mapping)
        try:
            result = helper.function(context, *self.reg[1:6])
        except HelperExit as finished:
            raise _Halt(finished.value) from None
        except SyscallFailure as failure:
            raise self.fail(ErrorCode.SYSCALL_ERROR, value=key, detail=str(failure)) from None
        self.reg[0] = int(result) & U64
        return True

    def call_program(self, target_pc: int) -> None:
        self.push_frame()
        if not 0 <= target_pc < len(self.code):
            raise self.fail(ErrorCode.CALL_OUTSIDE_TEXT, value=target_pc)
        self.next_pc = target_pc


# -- ALU --------------------------------------------------------------------------------------------

def op_add(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a + b)


def op_sub(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    if s.row.source == "imm" and m.profile.sub_imm_reversed:
        a, b = b, a  # sBPF v2+: sub dst, imm computes imm - dst
    m.write_result(s, a - b)


def op_mul(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a * b)


def _check_divisor(m: Machine, divisor: int) -> bool:
    """True if the division may proceed; a zero divisor is an error in sBPF, defined in eBPF."""
    if divisor:
        return True
    if m.profile.division_by_zero == "error":
        raise m.fail(ErrorCode.DIVIDE_BY_ZERO)
    return False


def _check_overflow(m: Machine, s: Decoded, dividend: int, divisor: int) -> bool:
    """True unless this is INT_MIN / -1, which sBPF rejects and eBPF wraps."""
    width = s.row.width
    if dividend == -(1 << (width - 1)) and divisor == -1:
        if m.profile.signed_division_overflow == "error":
            raise m.fail(ErrorCode.DIVIDE_OVERFLOW)
        return False
    return True


def op_div(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a // b if _check_divisor(m, b) else 0)


def op_mod(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a % b if _check_divisor(m, b) else a)


def _truncated_quotient(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def op_sdiv(m: Machine, s: Decoded) -> None:
    a, b = (signed(value, s.row.width) for value in m.operands(s))
    if not _check_divisor(m, b):
        m.write_result(s, 0)
    elif not _check_overflow(m, s, a, b):
        m.write_result(s, a)  # INT_MIN / -1 wraps to INT_MIN
    else:
        m.write_result(s, _truncated_quotient(a, b))


def op_smod(m: Machine, s: Decoded) -> None:
    a, b = (signed(value, s.row.width) for value in m.operands(s))
    if not _check_divisor(m, b):
        m.write_result(s, a)
    elif not _check_overflow(m, s, a, b):
        m.write_result(s, 0)
    else:
        m.write_result(s, a - b * _truncated_quotient(a, b))  # the sign follows the dividend


def op_uhmul(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, (a * b) >> 64)


def op_shmul(m: Machine, s: Decoded) -> None:
    a, b = (signed(value, 64) for value in m.operands(s))
    m.write_result(s, (a * b) >> 64)


def op_or(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a | b)


def op_and(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a & b)


def op_xor(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a ^ b)


def op_lsh(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a << (b & (s.row.width - 1)))  # shift counts are masked to the width


def op_rsh(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, a >> (b & (s.row.width - 1)))


def op_arsh(m: Machine, s: Decoded) -> None:
    a, b = m.operands(s)
    m.write_result(s, signed(a, s.row.width) >> (b & (s.row.width - 1)))


def op_neg(m: Machine, s: Decoded) -> None:
    m.write_result(s, -m.reg[s.word.dst])


def op_mov(m: Machine, s: Decoded) -> None:
    value = m.operand(s)
    if s.row.width == 32 and s.row.source == "reg" and m.profile.mov32_reg_sign_extends:
        value = signed(value, 32) & U64
        m.reg[s.word.dst] = value
        return
    m.write_result(s, value)


def op_movsx(m: Machine, s: Decoded) -> None:
    from_width = s.word.off  # 8, 16 or 32: the width of the source that is sign-extended
    m.write_result(s, signed(m.reg[s.word.src], from_width))


def _swap_bytes(value: int, width: int) -> int:
    return int.from_bytes((value & mask(width)).to_bytes(width // 8, "little"), "big")


def op_le(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] &= mask(s.row.width)  # the host order is little-endian: only truncate


def op_be(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] = _swap_bytes(m.reg[s.word.dst], s.row.width)


def op_bswap(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] = _swap_bytes(m.reg[s.word.dst], s.row.width)


def op_hor(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] |= (s.imm & U32) << 32


# -- memory -----------------------------------------------------------------------------------------

def op_lddw(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] = s.imm & U64


def op_lddw_pseudo(m: Machine, s: Decoded) -> None:
    raise m.fail(ErrorCode.INVALID_INSTRUCTION, value=s.word.opcode,
                 detail=f"{s.row.mnemonic} needs a loader that resolves maps and addresses")


def op_load(m: Machine, s: Decoded) -> None:
    m.reg[s.word.dst] = m.memory.load(m.address(s.word.src, s), s.row.width, m.pc)


def op_load_signed(m: Machine, s: Decoded) -> None:
    value = m.memory.load(m.address(s.word.src, s), s.row.width, m.pc)
    m.reg[s.word.dst] = signed(value, 8 * s.row.width) & U64


def op_store_imm(m: Machine, s: Decoded) -> None:
    m.memory.store(m.address(s.word.dst, s), s.row.width, s.imm & U64, m.pc)


def op_store_reg(m: Machine, s: Decoded) -> None:
    m.memory.store(m.address(s.word.dst, s), s.row.width, m.reg[s.word.src], m.pc)


ATOMIC_FETCH = 0x01
ATOMIC_OPERATIONS = {
    0x00: lambda old, value: old + value,
    0x40: lambda old, value: old | value,
    0x50: lambda old, value: old & value,
    0xA0: lambda old, value: old ^ value,
    0xE0: lambda old, value: value,  # xchg
}
ATOMIC_CMPXCHG = 0xF0


def op_atomic(m: Machine, s: Decoded) -> None:
    size, address = s.row.width, m.address(s.word.dst, s)
    width = 8 * size
    old = m.memory.load(address, size, m.pc)
    value = m.reg[s.word.src] & mask(width)
    operation = s.word.imm & ~ATOMIC_FETCH
    if operation == ATOMIC_CMPXCHG:
        if old == m.reg[0] & mask(width):
            m.memory.store(address, size, value, m.pc)
        m.reg[0] = old
        return
    m.memory.store(address, size, ATOMIC_OPERATIONS[operation](old, value), m.pc)
    if s.word.imm & ATOMIC_FETCH:
        m.reg[s.word.src] = old


# -- jumps and calls --------------------------------------------------------------------------------

def op_ja(m: Machine, s: Decoded) -> None:
    m.next_pc = m.pc + 1 + s.word.off


def op_ja_long(m: Machine, s: Decoded) -> None:
    m.next_pc = m.pc + 1 + s.imm


def _conditional(test):
    def jump(m: Machine, s: Decoded) -> None:
        a, b = m.operands(s)
        if test(a, b, s.row.width):
            m.next_pc = m.pc + 1 + s.word.off
    return jump


def op_call_helper(m: Machine, s: Decoded) -> None:
    key = s.imm & U32
    if m.call_helper(key):
        return
    # sBPF before static syscalls: the same key may name a function the ELF loader registered.
    if m.profile.is_sbpf and not m.profile.static_syscalls and key in m.functions:
        m.call_program(m.functions[key])
        return
    raise m.fail(ErrorCode.UNKNOWN_HELPER, value=key)


def op_call_local(m: Machine, s: Decoded) -> None:
    target_pc = m.pc + 1 + s.imm
    if not 0 <= target_pc < len(m.code):  # Solana checks the target before it pushes a frame
        raise m.fail(ErrorCode.INVALID_INSTRUCTION, value=s.word.opcode,
                     detail=f"UnsupportedInstruction: call to instruction {target_pc}, outside the program")
    m.call_program(target_pc)


def op_call_unsupported(m: Machine, s: Decoded) -> None:
    raise m.fail(ErrorCode.INVALID_INSTRUCTION, value=s.word.opcode,
                 detail=f"UnsupportedInstruction: call with src {s.word.src} is neither a syscall nor a local call")


def op_call_btf(m: Machine, s: Decoded) -> None:
    raise m.fail(ErrorCode.UNKNOWN_HELPER, value=s.imm & U32, detail="helpers by BTF id are not supported")


def op_callx(m: Machine, s: Decoded) -> None:
    target = m.reg[getattr(s.word, m.profile.callx_register)]
    if not m.profile.is_sbpf:
        # bpf_conformance: the register holds a helper id
        if not m.call_helper(target):
            raise m.fail(ErrorCode.UNKNOWN_HELPER, value=target & U64)
        return
    m.push_frame()  # Solana pushes the frame before it checks the target
    offset = (target - m.program.text_address) & U64
    target_pc = offset // 8
    if target_pc >= len(m.code):
        raise m.fail(ErrorCode.CALL_OUTSIDE_TEXT, value=target)
    m.next_pc = target_pc


def op_exit(m: Machine, s: Decoded) -> None:
    if not m.frames:
        raise _Halt(m.reg[0])
    m.pop_frame()


SEMANTICS = {
    "add": op_add, "sub": op_sub, "mul": op_mul, "div": op_div, "mod": op_mod, "sdiv": op_sdiv,
    "smod": op_smod, "uhmul": op_uhmul, "shmul": op_shmul, "or": op_or, "and": op_and, "xor": op_xor,
    "lsh": op_lsh, "rsh": op_rsh, "arsh": op_arsh, "neg": op_neg, "mov": op_mov, "movsx": op_movsx,
    "le": op_le, "be": op_be, "bswap": op_bswap, "hor": op_hor,
    "lddw": op_lddw, "lddw_pseudo": op_lddw_pseudo, "load": op_load, "load_signed": op_load_signed,
    "store_imm": op_store_imm, "store_reg": op_store_reg, "atomic": op_atomic,
    "ja": op_ja, "ja_long": op_ja_long,
    "jeq": _conditional(lambda a, b, w: a == b),
    "jne": _conditional(lambda a, b, w: a != b),
    "jgt": _conditional(lambda a, b, w: a > b),
    "jge": _conditional(lambda a, b, w: a >= b),
    "jlt": _conditional(lambda a, b, w: a < b),
    "jle": _conditional(lambda a, b, w: a <= b),
    "jset": _conditional(lambda a, b, w: a & b != 0),
    "jsgt": _conditional(lambda a, b, w: signed(a, w) > signed(b, w)),
    "jsge": _conditional(lambda a, b, w: signed(a, w) >= signed(b, w)),
    "jslt": _conditional(lambda a, b, w: signed(a, w) < signed(b, w)),
    "jsle": _conditional(lambda a, b, w: signed(a, w) <= signed(b, w)),
    "call_helper": op_call_helper, "call_local": op_call_local, "call_btf": op_call_btf,
    "call_unsupported": op_call_unsupported,
    "callx": op_callx, "exit": op_exit,
}


def run_reference(program, input_data: bytes = b"", *, helpers: HelperRegistry | None = None,
                  compute_budget: int | None = None, heap_size: int = DEFAULT_HEAP_SIZE,
                  direct_mapping: bool = False, logs: LogCollector | None = None) -> ExecutionResult:
    """Run `program` on the reference interpreter. sBPF programs are metered with Solana's default
    budget unless `compute_budget` says otherwise; eBPF programs only when it is given.
    `direct_mapping`: memory syscalls work region by region (see jitvm.bpf.vm); `logs`: a
    LogCollector the run adds to (by default a new one; the result's logs are that collector)."""
    from jitvm.bpf.helpers import default_ebpf_helpers
    from jitvm.bpf.syscalls import default_syscalls

    profile = profile_table(program.profile).profile
    if helpers is None:
        helpers = default_syscalls() if profile.is_sbpf else default_ebpf_helpers()
    if compute_budget is None and profile.metered:
        compute_budget = DEFAULT_SBPF_COMPUTE_BUDGET
    machine = Machine(program, bytes(input_data), helpers, compute_budget, heap_size, direct_mapping=direct_mapping,
                      logs=logs)
    return machine.run()
