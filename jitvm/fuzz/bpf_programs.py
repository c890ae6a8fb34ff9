"""Random BPF test cases: programs valid by construction, and programs with one word mutated.

A valid program is assembly: ALU with edge values (sBPF v2's product and quotient class too), loads,
stores and atomics in and out of bounds, jumps forward and back (the compute budget ends loops),
helpers or syscalls, local calls and callx. Every case runs with a compute budget, so eBPF programs
are metered as well.

A mutated case replaces one instruction word of such a program: with an encoding the profile does
not define (the verifier must reject it), or with random fields (the verifier may accept it; then
the engines must agree on it like on any other program).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from jitvm.bpf.helpers import syscall_key
from jitvm.bpf.memory import MM_PROGRAM_START

PROFILES = ("ebpf-v4", "ebpf-v1", "sbpf-v0", "sbpf-v2", "sbpf-v3")
REGISTERS = tuple(f"%r{i}" for i in range(10))
ALU = ("add", "sub", "mul", "div", "mod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov")
JUMPS = ("jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle")
SIZES = ("b", "h", "w", "dw")
V2_PRODUCTS = {"mul": ("lmul", "uhmul", "shmul"), "div": ("udiv", "sdiv"), "mod": ("urem", "srem")}
IMMEDIATES = (-3, -1, 0, 1, 2, 7, 31, 32, 40, 63, 64, 0x7FFF, -(1 << 31), (1 << 31) - 1)
LDDW_OPCODE = 0x18


@dataclass(frozen=True)
class BpfCase:
    profile: str
    groups: tuple[tuple[str, ...], ...]  # the instructions after label L<i>; a final "exit" follows
    memory: bytes
    budget: int
    seed: int = 0
    mutation: tuple[int, bytes] | None = None  # (word index, new 8 bytes) applied to the assembled code
    must_reject: bool = False  # the mutation is an encoding the profile does not define

    def assembly(self) -> str:
        """The program; labels no instruction refers to are left out (a shrunk program reads better)."""
        used = {int(name) for group in self.groups for line in group for name in re.findall(r"\bL(\d+)\b", line)}
        lines = []
        for index, group in enumerate(self.groups):
            lines += [f"L{index}:"] * (index in used) + list(group)
        lines += [f"L{len(self.groups)}:"] * (len(self.groups) in used) + ["exit"]
        return "\n".join(lines)

    def bytecode(self) -> bytes:
        from jitvm.bpf.assembler import assemble

        code = bytearray(assemble(self.assembly(), self.profile))
        if self.mutation is not None:
            index, word = self.mutation
            code[8 * index: 8 * index + 8] = word
        return bytes(code)

    def pieces(self) -> list[tuple[int, str]]:
        return [(index, line) for index, group in enumerate(self.groups) for line in group]

    def with_pieces(self, kept: list[tuple[int, str]]) -> "BpfCase":
        groups = [[] for _ in self.groups]
        for index, line in kept:
            groups[index].append(line)
        return replace(self, groups=tuple(tuple(group) for group in groups))


# Destinations: r1 (the input pointer) is kept for addressing most of the time; r10 is read-only.
DESTINATIONS = ("%r0", "%r0", "%r2", "%r3", "%r4", "%r5", "%r6", "%r7", "%r8", "%r9")


class _Generator:
    def __init__(self, rng: random.Random, profile: str, count: int, input_size: int):
        self.rng = rng
        self.profile = profile
        self.sbpf = profile.startswith("sbpf")
        self.count = count
        self.input_size = input_size

    def immediate(self) -> int:
        rng = self.rng
        return rng.choice(IMMEDIATES) if rng.random() < 0.7 else rng.randrange(-300, 300)

    def instruction(self) -> list[str]:
        rng = self.rng
        register = rng.choice(DESTINATIONS) if rng.random() < 0.95 else "%r1"
        source = rng.choice(REGISTERS + ("%r10",))
        kind = rng.choices(("alu", "mem", "jump", "call", "other"), (8, 6, 4, 1, 2))[0]
        if kind == "alu":
            return self.alu(register, source)
        if kind == "mem":
            return self.memory(register, source)
        if kind == "jump":
            return self.jump(register, source)
        if kind == "call":
            return self.call()
        return self.other(register)

    def alu(self, register, source) -> list[str]:
        rng = self.rng
        operation = rng.choice(ALU + (() if self.sbpf else ("sdiv", "smod")))
        suffix = rng.choice(("", "32"))
        if self.profile == "sbpf-v2" and operation in V2_PRODUCTS:  # SIMD-0174's PQR class
            operation = rng.choice(V2_PRODUCTS[operation])
            suffix = "64" if operation in ("uhmul", "shmul") else suffix or "64"
        if rng.random() < 0.5:
            return [f"{operation}{suffix} {register}, {source}"]
        value = self.immediate()
        if self.sbpf and operation in ("div", "mod", "udiv", "urem", "sdiv", "srem") and value == 0:
            value = 3  # sBPF's verifier rejects a constant zero divisor
        if self.sbpf and operation in ("lsh", "rsh", "arsh"):
            value %= 32 if suffix else 64
        return [f"{operation}{suffix} {register}, {value}"]

    def memory(self, register, source) -> list[str]:
        rng = self.rng
        size = rng.choice(SIZES)
        width = {"b": 1, "h": 2, "w": 4, "dw": 8}[size]
        roll = rng.random()
        if roll < 0.6:  # the stack, in bounds (most of the time)
            base, offset = "%r10", -rng.randrange(width, 65) if rng.random() < 0.97 else rng.choice((-4096, 8))
        elif roll < 0.95 and self.input_size >= width:  # the input, in bounds
            base, offset = "%r1", rng.randrange(self.input_size - width + 1)
        else:  # anywhere: out of bounds, or wherever a register points
            base, offset = rng.choice(("%r1", "%r10", source)), rng.choice((-512, -8, 0, 4096, rng.randrange(-24, 41)))
        operand = f"[{base}{offset:+d}]"
        form = rng.choice(("ldx", "st", "stx") + (() if self.sbpf else ("lock",)))
        if form == "ldx":
            return [f"ldx{size} {register}, {operand}"]
        if form == "st":
            return [f"st{size} {operand}, {self.immediate()}"]
        if form == "stx":
            return [f"stx{size} {operand}, {source}"]
        operation = rng.choice(("add", "fetch add", "or", "fetch xor", "xchg", "cmpxchg"))
        return [f"lock {operation}{rng.choice(('', '32'))} {operand}, {register}"]

    def jump(self, register, source) -> list[str]:
        rng = self.rng
        target = rng.randrange(self.count + 1)
        operation = rng.choice(JUMPS + ("ja",))
        if operation == "ja":
            return [f"ja L{target}"]
        operand = source if rng.random() < 0.5 else str(self.immediate())
        width = rng.choice(("", "32")) if self.profile in ("ebpf-v4", "sbpf-v3") else ""
        return [f"{operation}{width} {register}, {operand}, L{target}"]

    def call(self) -> list[str]:
        rng = self.rng
        if not self.sbpf:
            choice = rng.choices(("unwind", "local", "unknown", "callx"), (2, 3, 1, 2))[0]
            if choice == "callx":  # eBPF: the register holds a helper id
                return [f"mov %r8, {rng.choice((5, 8))}", "callx %r8"]
            if choice == "unwind":
                return ["call 5"]
            if choice == "local":
                return [f"call local L{rng.randrange(self.count + 1)}"]
            return ["call 99"]
        choice = rng.choice(("memset", "log", "callx") + (("local",) if self.profile == "sbpf-v3" else ()))
        if choice == "callx":  # any word of the text: the middle of a block or of an lddw too
            address = 8 * rng.randrange(2 * self.count + 1) + rng.choice((0, 0, 3))
            if self.profile == "sbpf-v2":  # no lddw: mov32 and hor64 build the address
                return [f"mov32 %r8, {address}", "hor64 %r8, 1", "callx %r8"]
            return [f"lddw %r8, {MM_PROGRAM_START + address:#x}", "callx %r8"]
        if choice == "memset":
            return ["mov %r1, %r10", "sub %r1, 16", "mov %r3, 8", f"call 0x{syscall_key('sol_memset_'):x}"]
        if choice == "log":
            return [f"call 0x{syscall_key('sol_log_64_'):x}"]
        return [f"call local L{rng.randrange(self.count + 1)}"]

    def other(self, register) -> list[str]:
        rng = self.rng
        choice = rng.choice(("lddw", "neg", "swap", "exit"))
        if self.profile == "sbpf-v2" and choice in ("lddw", "neg"):  # replaced by hor64 in v2
            return [f"hor64 {register}, {self.immediate()}"]
        if choice == "lddw":
            return [f"lddw {register}, {rng.getrandbits(64):#x}"]
        if choice == "neg":
            return [f"neg{rng.choice(('', '32'))} {register}"]
        if choice == "swap":
            return [f"be{rng.choice(('16', '32', '64'))} {register}"]
        return ["exit"]


def generate_case(seed: int, mutate: float = 0.25) -> BpfCase:
    """The case for `seed`: a valid program, or (a `mutate` share of them) one with a mutated word."""
    from jitvm.bpf.assembler import assemble

    rng = random.Random(seed)
    profile = rng.choice(PROFILES)
    count = rng.randrange(3, 25)
    memory = rng.randbytes(rng.choice((0, 8, 32, 64)))
    generator = _Generator(rng, profile, count, len(memory))
    labels = [f"L{index}:" for index in range(count + 1)] + ["exit"]
    groups = []
    for _ in range(count):
        for _attempt in range(20):  # older profiles lack some mnemonics: draw again
            lines = generator.instruction()
            try:
                assemble("\n".join(lines + labels), profile)
            except Exception:
                continue
            break
        groups.append(tuple(lines))
    groups = tuple(groups)
    case = BpfCase(profile, groups, memory, rng.choice((7, 50, 400, 5000)), seed)
    if rng.random() >= mutate:
        return case
    try:
        code = assemble(case.assembly(), profile)
    except Exception:
        return case
    starts = _instruction_starts(code, profile)
    index = rng.choice(starts)
    if rng.random() < 0.5:
        word = _undefined_word(rng, profile)
        return replace(case, mutation=(index, word), must_reject=word is not None) if word else case
    word = bytearray(code[8 * index: 8 * index + 8])
    field = rng.choice(("opcode", "registers", "offset", "immediate"))
    if field == "opcode":
        word[0] = rng.randrange(256)
    elif field == "registers":
        word[1] = rng.randrange(256)
    elif field == "offset":
        word[2:4] = rng.randbytes(2)
    else:
        word[4:8] = rng.randbytes(4)
    return replace(case, mutation=(index, bytes(word)))


def _instruction_starts(code: bytes, profile: str) -> list[int]:
    """Word indexes that begin an instruction (not the second word of an lddw)."""
    has_lddw = profile != "sbpf-v2"
    starts, index = [], 0
    while index < len(code) // 8:
        starts.append(index)
        index += 2 if has_lddw and code[8 * index] == LDDW_OPCODE else 1
    return starts


def _undefined_word(rng: random.Random, profile: str) -> bytes | None:
    """An instruction word whose encoding `profile` does not define (from the opcode table)."""
    from jitvm.bpf.table import load_table

    table = load_table().for_profile(profile)
    for _ in range(64):
        opcode, registers = rng.randrange(256), rng.randrange(16) * 17 & 0xFF
        offset, immediate = rng.choice((0, 1, 0xFFFF)), rng.choice((0, 1, 5, 0xFFFFFFFF))
        if table.decode(opcode, registers >> 4, offset, immediate) is None:
            return bytes([opcode, registers]) + offset.to_bytes(2, "little") + immediate.to_bytes(4, "little")
    return None
