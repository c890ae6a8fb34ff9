"""The block JIT's code generator: a region (a set of basic blocks) of a verified BPF program as LLVM IR text.

Blocks come from jitvm.jit.blocks: a block starts at the entry, at every jump or local-call target
and after every jump, call and exit, so a helper call always ends its block and the run re-enters
the compiled code at the next block. A module holds one region: the blocks a run reached
(jitvm.bpf.jit.program_code compiles programs region by region, as they run), grouped by
jitvm.jit.blocks.partition into functions of bounded size. It exports `bpf_functions(index)`, its
functions in partition order; the program's dispatch table (`DISPATCHER`, one per process)
maps a block's start pc to the function that holds it, and calls functions until one returns for
good. A jump to a block outside the function leaves it with CONTINUE (state[PC] set), and the
dispatcher goes on there, or hands the run to the interpreter if no region holds that block yet.

Inside a function the BPF registers are allocas that sroa turns into SSA values, and so are the
meter, the call depth and the stack pointer. The function loads them from the run's arrays
(layout.py) on entry and stores them back in one `leave` block, whatever the reason it returns.
The cold exits (a failed budget check, an error, an `exit` instruction) are shared by the whole
function: each site branches to one block with phis, which keeps the IR (and its compile time)
small.

A QUICK region counts each block's entries in the program's count array (its 5th argument), from
which hot blocks are chosen for the OPTIMIZED tier; a count below zero means the block has been
moved to OPTIMIZED code since, so the QUICK code leaves for the dispatcher there.

Metering, once per block: a block of K instructions costing C units runs only if
`units + (C - cost of its last instruction) < budget`, i.e. if the reference would pass its budget
check before every instruction of the block; then it adds C at once. Otherwise the function
returns EXIT_FALLBACK at the block's first instruction, the interpreter runs the block and reports
the exhaustion at exactly the reference's pc and counts. An error inside a block (an access
violation, a division by zero...) is reported at its own pc with the counts of the instructions up
to it: each such exit subtracts the statically known cost of the rest of the block.

Memory: every access is checked against the region table (layout.py) with a fast path for each
region (a subtraction and one compare; the table's fast length is 0 for a gapped region or a store
into a read-only one), and a shared slow path, `bpf_checked_address`, for the full rule (a region
that starts inside its slot, Solana's gapped stack) and to report a violation. The table does not
change while compiled code runs, so its loads are marked !invariant.load.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.baseline import layout as L
from jitvm.bpf.table import Profile, profile_table
from jitvm.jit.blocks import Block, partition
from jitvm.jit.irtext import IrText

CONTINUE = -1  # a function's status: state[PC] is in another function (the dispatcher goes on)
DISPATCH = "bpf_dispatch"  # the dispatcher's name (DISPATCHER)
FUNCTIONS = "bpf_functions"  # a region's functions by index, in partition order: ptr (i64)
MOVED = -(1 << 62)  # a block's count once OPTIMIZED code holds it (QUICK code leaves for the dispatcher)
_MASK = {8: 0xFF, 16: 0xFFFF, 32: 0xFFFFFFFF}
_PREDICATES = {"jeq": "eq", "jne": "ne", "jgt": "ugt", "jge": "uge", "jlt": "ult", "jle": "ule", "jsgt": "sgt",
               "jsge": "sge", "jslt": "slt", "jsle": "sle"}
_CONDITIONS = {*_PREDICATES, "jset"}
_BINARY = {"add": "add", "sub": "sub", "mul": "mul", "or": "or", "and": "and", "xor": "xor"}
_SHIFTS = {"lsh": "shl", "rsh": "lshr", "arsh": "ashr"}
_ATOMIC_FETCH, _ATOMIC_CMPXCHG, _ATOMIC_XCHG = 0x01, 0xF0, 0xE0
_ATOMIC_OPERATIONS = {0x00: "add", 0x40: "or", 0x50: "and", 0xA0: "xor"}


def const(value: int) -> str:
    """An i64 constant as LLVM writes it (signed decimal)."""
    value &= L.U64
    return str(value - (1 << 64) if value >> 63 else value)


@dataclass(frozen=True)
class BlockCosts:
    count: int  # instructions
    cost: int  # compute units of the whole block
    check: int  # units that must remain below the budget at entry: cost minus the last instruction's
    prefix: tuple[int, ...]  # units of the first i instructions, i = 0..count


# The kernel operations that end a block (the instruction after one starts a block), and those whose
# AUX field is where they jump (layout.lower).
_ENDING_OPERATIONS = [L.OP[name] for name in L.OPERATIONS if name.startswith(("j", "call", "exit", "reference_error"))]
_JUMPING_OPERATIONS = [L.OP[name] for name in L.OPERATIONS
                       if name.startswith("j") or name in ("call_local", "call_function")]
_CALLING_OPERATIONS = [L.OP[name] for name in L.OPERATIONS if name.startswith("call")]


@dataclass(frozen=True)
class Analysis:
    """What code generation needs to know about a whole program, worked out once per program from
    its lowered array (vectorised: a 12,000-instruction program takes a few milliseconds)."""

    program: object
    profile: Profile
    rules: object  # layout.CallRules
    uniform: bool  # every instruction costs one unit (the instruction count follows the meter)
    starts: list[int]  # the pc of every instruction
    leaders: np.ndarray  # bool[len(code) + 1]: True where a block starts
    block_starts: np.ndarray  # the pcs where blocks start, in order
    position: np.ndarray  # int64[len(code) + 1]: how many instructions start before each pc
    return_sites: frozenset[int]  # the pcs after every call

    @property
    def decoded(self):
        return self.program.decoded

    def block(self, start: int) -> Block:
        """The block starting at pc `start`."""
        index = int(np.searchsorted(self.block_starts, start))
        end = int(self.block_starts[index + 1]) if index + 1 < len(self.block_starts) else len(self.program.decoded)
        return Block(index, start, end, range(int(self.position[start]), int(self.position[end])))

    def blocks_at(self, pcs) -> list[Block]:
        """The blocks starting at `pcs`, in program order."""
        return [self.block(int(pc)) for pc in sorted(pcs)]

    @property
    def blocks(self) -> list[Block]:
        return self.blocks_at(self.block_starts)


def _analyse(program) -> Analysis:
    profile = profile_table(program.profile).profile
    lowered = L.lower(program)
    operations = lowered.field(L.OPERATION).astype(np.int64)  # one row per pc, plus the sentinel
    length = len(operations) - 1
    valid = operations != L.OP["invalid_slot"]
    valid[length] = False
    leaders = np.zeros(length + 1, dtype=bool)
    targets = lowered.field(L.AUX)[np.isin(operations, _JUMPING_OPERATIONS) & valid].astype(np.int64)
    targets = np.concatenate([targets, np.array([program.entry, *(target for _, target in program.functions)],
                                                dtype=np.int64)])
    leaders[targets[(targets >= 0) & (targets < length)]] = True
    following = np.flatnonzero(np.isin(operations, _ENDING_OPERATIONS) & valid) + 1  # single-slot instructions
    leaders[following] = True
    pcs = np.flatnonzero(valid)
    if len(pcs):
        leaders[pcs[0]] = True
    leaders &= valid
    position = np.concatenate([[0], np.cumsum(valid[:-1])]).astype(np.int64)
    calls = np.flatnonzero(np.isin(operations, _CALLING_OPERATIONS) & valid) + 1
    return Analysis(program, profile, L.call_rules(program, profile), lowered.uniform_cost, pcs.tolist(), leaders,
                    np.flatnonzero(leaders), position, frozenset(calls.tolist()))


@functools.lru_cache(maxsize=64)
def program_analysis(program) -> Analysis:
    return _analyse(program)


def block_costs(block, starts, decoded) -> BlockCosts:
    costs = [decoded[starts[index]].row.cost for index in block.instructions]
    prefix = [0]
    for cost in costs:
        prefix.append(prefix[-1] + cost)
    return BlockCosts(len(costs), prefix[-1], prefix[-1] - costs[-1], tuple(prefix))


class FunctionWriter(IrText):
    """One part (a range of blocks) as an LLVM function."""

    def __init__(self, generator: "ModuleGenerator", name: str, blocks):
        super().__init__()
        self.g = generator
        self.name = name
        self.blocks = blocks
        self.pcs = {block.start for block in blocks}
        self.limits: dict[int, str] = {}
        self.stubs: dict[int, str] = {}
        self.current = "entry"  # the hot block being written (a predecessor in the shared exits' phis)
        self.fallbacks: list[tuple[int, str]] = []  # (pc, predecessor) of the shared `fallback`
        self.failures: list[tuple[str, tuple[str, ...]]] = []  # (predecessor, values) of the shared `fail`
        self.exits: list[tuple[int, str]] = []  # (pc, predecessor) of the shared `exit`

    def start(self, label: str, cold: bool = False) -> None:
        super().start(label, cold)
        if not cold:
            self.current = label

    # -- state --------------------------------------------------------------------------------------

    def get(self, register: int) -> str:
        return self.op(f"load i64, ptr %r{register}")

    def set(self, register: int, value: str) -> None:
        self.emit(f"store i64 {value}, ptr %r{register}")

    def slot(self, index: int, cold: bool = False) -> str:
        return self.op(f"getelementptr inbounds i64, ptr %state, i64 {index}", cold)

    def store_state(self, index: int, value: str, cold: bool = True) -> None:
        slot = "%state" if index == L.PC == 0 else self.slot(index, cold)  # (state[0], the pc: no address)
        self.emit(f"store i64 {value}, ptr {slot}", cold)

    def goto(self, pc: int) -> str:
        """The label that continues at `pc`: its block here, or an exit to the dispatcher."""
        return f"%b{pc}" if pc in self.pcs else self.away(pc)

    def away(self, pc: int) -> str:
        """A cold exit to the dispatcher, which goes on at `pc`."""
        if pc not in self.stubs:
            label = self.label("away")
            self.start(label, cold=True)
            self.store_state(L.PC, str(pc))
            self.emit(f"store i64 {CONTINUE}, ptr %status", cold=True)
            self.emit("br label %leave", cold=True)
            self.stubs[pc] = f"%{label}"
        return self.stubs[pc]

    def leave(self, pc, status: int) -> None:
        """Return from the hot path (pc may be an SSA value)."""
        self.store_state(L.PC, str(pc), cold=False)
        self.emit(f"store i64 {status}, ptr %status")
        self.emit("br label %leave")

    def failure(self, pc: int, position: int, costs: BlockCosts, code: int, address: str = "0", size: int = 0,
                write: bool = False, value: str = "0") -> str:
        """A cold exit reporting an error at instruction `position` of the block; returns its label
        (a one-branch block into the shared `fail`, which takes back the units and instructions of
        the block after `position` and stores the error). What is constant per site goes through
        the phis packed in two words: (code, size, write, instructions to take back) and (pc,
        units to take back)."""
        label = self.label("fail")
        self.start(label, cold=True)
        self.emit("br label %fail", cold=True)
        rest_units = costs.cost - costs.prefix[position + 1]
        rest_count = costs.count - position - 1
        if not (0 <= code < 256 and pc < 1 << 32 and rest_units < 1 << 31):
            raise NotImplementedError("an error site beyond the packed fields of the shared `fail`")
        site = code | size << 8 | int(write) << 12 | rest_count << 13  # what is constant per site, packed
        self.failures.append((label, (str(site), str(pc | rest_units << 32), address, value)))
        return f"%{label}"

    def shared_exits(self) -> None:
        """The blocks every site of one kind of exit branches to, with phis for what differs."""
        if self.fallbacks:
            self.start("fallback", cold=True)
            pc = self.op("phi i64 " + ", ".join(f"[ {pc}, %{label} ]" for pc, label in self.fallbacks), cold=True)
            self.store_state(L.PC, pc)
            self.emit(f"store i64 {L.EXIT_FALLBACK}, ptr %status", cold=True)
            self.emit("br label %leave", cold=True)
        if self.failures:
            self.start("fail", cold=True)
            site, where, address, value = [self.op("phi i64 " + ", ".join(f"[ {values[field]}, %{label} ]"
                                                                          for label, values in self.failures),
                                                   cold=True) for field in range(4)]

            def bits(packed: str, shift: int, mask: int | None) -> str:
                shifted = self.op(f"lshr i64 {packed}, {shift}", cold=True) if shift else packed
                return self.op(f"and i64 {shifted}, {mask}", cold=True) if mask is not None else shifted

            code, size, write, rest_count = bits(site, 0, 255), bits(site, 8, 15), bits(site, 12, 1), bits(site, 13, None)
            pc, rest_units = bits(where, 0, 0xFFFFFFFF), bits(where, 32, None)
            units = self.op("load i64, ptr %units", cold=True)
            self.emit(f"store i64 {self.op(f'sub i64 {units}, {rest_units}', cold=True)}, ptr %units", cold=True)
            if not self.g.uniform:
                count = self.op("load i64, ptr %count", cold=True)
                self.emit(f"store i64 {self.op(f'sub i64 {count}, {rest_count}', cold=True)}, ptr %count", cold=True)
            for index, field in ((L.ERROR_CODE, code), (L.ERROR_ADDRESS, address), (L.ERROR_SIZE, size),
                                 (L.ERROR_WRITE, write), (L.ERROR_VALUE, value), (L.PC, pc)):
                self.store_state(index, field)
            self.emit(f"store i64 {L.EXIT_ERROR}, ptr %status", cold=True)
            self.emit("br label %leave", cold=True)
        if self.exits:
            self.start("exit")
            self.return_or_finish(self.op("phi i64 " + ", ".join(f"[ {pc}, %{label} ]" for pc, label in self.exits)))

    # -- the function -------------------------------------------------------------------------------

    def write(self) -> str:
        for block in self.blocks:
            self.block(block)
        self.shared_exits()
        head = [f"define internal i64 @{self.name}(ptr noalias %regs, ptr noalias %state, ptr noalias %frames, "
                f"ptr noalias %regions, ptr noalias %counts) {{", "entry:"]
        for register in range(11):
            head += [f"  %r{register} = alloca i64", f"  %rp{register} = getelementptr inbounds i64, ptr %regs, "
                     f"i64 {register}", f"  %rv{register} = load i64, ptr %rp{register}",
                     f"  store i64 %rv{register}, ptr %r{register}"]
        for name, index in (("units", L.UNITS), ("count", L.INSTRUCTIONS), ("depth", L.DEPTH),
                            ("sp", L.STACK_POINTER)):
            head += [f"  %{name} = alloca i64", f"  %{name}.p = getelementptr inbounds i64, ptr %state, i64 {index}",
                     f"  %{name}.v = load i64, ptr %{name}.p", f"  store i64 %{name}.v, ptr %{name}"]
        head += ["  %status = alloca i64", f"  store i64 {CONTINUE}, ptr %status",
                 f"  %budget.p = getelementptr inbounds i64, ptr %state, i64 {L.BUDGET}",
                 "  %budget = load i64, ptr %budget.p"]
        if self.g.uniform:  # instructions = units + (instructions - units at entry): both grow by one
            head.append("  %uncounted = sub i64 %count.v, %units.v")
        for check, name in sorted(self.limits.items()):
            head.append(f"  {name} = sub i64 %budget, {check}")
        head += ["  %pc.p = getelementptr inbounds i64, ptr %state, i64 0", "  %pc = load i64, ptr %pc.p",
                 f"  switch i64 %pc, label %leave [ {' '.join(f'i64 {pc}, label %b{pc}' for pc in sorted(self.pcs))} ]"]
        tail = ["leave:"]
        for register in range(11):
            tail += [f"  %ro{register} = load i64, ptr %r{register}", f"  store i64 %ro{register}, ptr %rp{register}"]
        tail += ["  %units.o = load i64, ptr %units", "  store i64 %units.o, ptr %units.p"]
        if self.g.uniform:
            tail += ["  %count.o = add i64 %units.o, %uncounted", "  store i64 %count.o, ptr %count.p"]
        else:
            tail += ["  %count.o = load i64, ptr %count", "  store i64 %count.o, ptr %count.p"]
        tail += ["  %depth.o = load i64, ptr %depth", "  store i64 %depth.o, ptr %depth.p",
                 "  %sp.o = load i64, ptr %sp", "  store i64 %sp.o, ptr %sp.p",
                 "  %status.o = load i64, ptr %status",
                 f"  %exit.p = getelementptr inbounds i64, ptr %state, i64 {L.EXIT}",
                 "  store i64 %status.o, ptr %exit.p", "  ret i64 %status.o", "}"]
        return "\n".join(head + self.body + self.cold + tail) + "\n"

    def block(self, block) -> None:
        g = self.g
        costs = block_costs(block, g.starts, g.decoded)
        if costs.check not in self.limits:
            self.limits[costs.check] = f"%limit{costs.check}"
        self.start(f"b{block.start}")
        if g.counting:
            self.count_entry(block.start)
        units = self.op("load i64, ptr %units")
        exhausted = self.op(f"icmp sge i64 {units}, {self.limits[costs.check]}")
        body = self.label("body")
        self.emit(f"br i1 {exhausted}, label %fallback, label %{body}, !prof !1")
        self.fallbacks.append((block.start, self.current))
        self.start(body)
        self.emit(f"store i64 {self.op(f'add i64 {units}, {costs.cost}')}, ptr %units")
        if not g.uniform:
            count = self.op("load i64, ptr %count")
            self.emit(f"store i64 {self.op(f'add i64 {count}, {costs.count}')}, ptr %count")
        pcs = [g.starts[index] for index in block.instructions]
        for position, pc in enumerate(pcs):
            step = g.decoded[pc]
            ends = self.instruction(step, pc, position, costs)
            if ends:
                return
        self.emit(f"br label {self.goto(block.end)}")

    def count_entry(self, pc: int) -> None:
        """Count an entry into the block at `pc`; leave for the dispatcher if it has moved."""
        pointer = self.op(f"getelementptr inbounds i64, ptr %counts, i64 {pc}")
        count = self.op(f"load i64, ptr {pointer}")
        counted = self.label("counted")
        self.emit(f"br i1 {self.op(f'icmp slt i64 {count}, 0')}, label {self.away(pc)}, label %{counted}, !prof !1")
        self.start(counted)
        self.emit(f"store i64 {self.op(f'add i64 {count}, 1')}, ptr {pointer}")

    # -- instructions ------------------------------------------------------------------------------

    def operand(self, step) -> str:
        """The second operand as i64: a register, or the immediate constant."""
        register = L.operand_register(step, self.g.profile)
        return self.get(register) if register is not None else const(L.immediate(step))

    def instruction(self, step, pc: int, position: int, costs: BlockCosts) -> bool:
        """Emit one instruction; True if it ended the block (branched or left)."""
        semantics, width = step.row.semantics, step.row.width
        name = L.operation(step, self.g.profile)
        dst = step.word.dst
        if name in ("lddw", "mov64"):
            self.set(dst, self.operand(step))
        elif semantics in _BINARY or semantics in _SHIFTS or name.startswith(("subr", "neg", "mov32")):
            self.alu(name, semantics, width, step)
        elif semantics in ("div", "mod", "sdiv", "smod"):
            self.division(semantics, width, step, pc, position, costs)
        elif semantics in ("uhmul", "shmul"):
            extend = "zext" if semantics == "uhmul" else "sext"
            a = self.op(f"{extend} i64 {self.get(dst)} to i128")
            b = self.op(f"{extend} i64 {self.operand(step)} to i128")
            high = self.op(f"lshr i128 {self.op(f'mul i128 {a}, {b}')}, 64")
            self.set(dst, self.op(f"trunc i128 {high} to i64"))
        elif semantics == "hor":
            self.set(dst, self.op(f"or i64 {self.get(dst)}, {const((step.imm & L.U32) << 32)}"))
        elif semantics == "movsx":
            narrow = self.op(f"trunc i64 {self.get(step.word.src)} to i{step.word.off}")
            if width == 64:
                self.set(dst, self.op(f"sext i{step.word.off} {narrow} to i64"))
            else:
                self.set(dst, self.op(f"zext i32 {self.op(f'sext i{step.word.off} {narrow} to i32')} to i64"))
        elif semantics == "le":
            if width < 64:
                self.set(dst, self.op(f"and i64 {self.get(dst)}, {_MASK[width]}"))
        elif semantics in ("be", "bswap"):
            value = self.get(dst)
            if width < 64:
                value = self.op(f"trunc i64 {value} to i{width}")
            swapped = self.op(f"call i{width} @llvm.bswap.i{width}(i{width} {value})")
            self.set(dst, self.op(f"zext i{width} {swapped} to i64") if width < 64 else swapped)
        elif semantics in ("load", "load_signed"):
            self.load(step, pc, position, costs)
        elif semantics in ("store_imm", "store_reg"):
            address = self.op(f"add i64 {self.get(dst)}, {step.word.off}")
            host = self.address(address, width, True, pc, position, costs)
            value = self.operand(step)
            if width < 8:
                value = self.op(f"trunc i64 {value} to i{8 * width}")
            self.emit(f"store i{8 * width} {value}, ptr {host}, align 1")
        elif semantics == "atomic":
            self.atomic(step, pc, position, costs)
        elif semantics in ("ja", "ja_long"):
            self.emit(f"br label {self.goto(L.jump_target(step, pc))}")
            return True
        elif semantics in _CONDITIONS:
            self.branch(step, pc)
            return True
        elif semantics == "call_local":
            target = L.jump_target(step, pc)
            if not 0 <= target < len(self.g.decoded):  # checked before the frame is pushed; the reference words it
                self.emit(f"br label {self.failure(pc, position, costs, 0, value=str(step.word.opcode))}")
                return True
            self.push_frame(pc, position, costs)
            self.emit(f"br label {self.goto(target)}")
            return True
        elif semantics == "callx" and self.g.profile.is_sbpf:
            self.callx(step, pc, position, costs)
            return True
        elif name == "call_key" and (function := L.function_target(step, self.g.program, self.g.profile,
                                                                  len(self.g.decoded))) is not None:
            self.call_function(step, pc, function, position, costs)
            return True
        elif semantics in ("call_helper", "callx"):
            key = const(step.imm & L.U32) if semantics == "call_helper" else self.operand(step)
            self.store_state(L.CALL_KEY, key, cold=False)
            kind = L.CALL_BY_KEY if semantics == "call_helper" else L.CALL_BY_REGISTER
            self.store_state(L.CALL_KIND, str(kind), cold=False)
            self.leave(pc, L.EXIT_CALL)
            return True
        elif semantics == "exit":
            self.exit(pc)
            return True
        elif name == "reference_error":
            self.emit(f"br label {self.failure(pc, position, costs, 0, value=str(step.word.opcode))}")
            return True
        else:
            raise NotImplementedError(f"the JIT has no translation for {step.row.mnemonic}")
        return False

    def alu(self, name: str, semantics: str, width: int, step) -> None:
        dst = step.word.dst
        a, b = self.get(dst), self.operand(step)
        if width == 32:
            a, b = self.op(f"trunc i64 {a} to i32"), self.op(f"trunc i64 {b} to i32")
        kind = f"i{width}"
        if name.startswith("subr"):
            result = self.op(f"sub {kind} {b}, {a}")
        elif name.startswith("neg"):
            result = self.op(f"sub {kind} 0, {a}")
        elif name.startswith("mov"):
            result = b
        elif semantics in _SHIFTS:
            amount = self.op(f"and {kind} {b}, {width - 1}")
            result = self.op(f"{_SHIFTS[semantics]} {kind} {a}, {amount}")
        else:
            result = self.op(f"{_BINARY[semantics]} {kind} {a}, {b}")
        if width == 32:
            extend = "sext" if name.endswith("sx") else "zext"
            result = self.op(f"{extend} i32 {result} to i64")
        self.set(dst, result)

    def division(self, semantics: str, width: int, step, pc: int, position: int, costs: BlockCosts) -> None:
        """div/mod/sdiv/smod: eBPF defines x / 0 = 0, x % 0 = x and INT_MIN / -1 = INT_MIN (% -1 = 0);
        sBPF fails on both. LLVM must never see a zero divisor or INT_MIN / -1 (they are undefined)."""
        profile, dst, kind = self.g.profile, step.word.dst, f"i{width}"
        a, b = self.get(dst), self.operand(step)
        if width == 32:
            a, b = self.op(f"trunc i64 {a} to i32"), self.op(f"trunc i64 {b} to i32")
        signed = semantics in ("sdiv", "smod")
        remainder = semantics in ("mod", "smod")
        zero = self.op(f"icmp eq {kind} {b}, 0")
        special = zero
        if profile.division_by_zero == "error":
            self.check(zero, self.failure(pc, position, costs, ErrorCode.DIVIDE_BY_ZERO))
        overflow = None
        if signed:
            minimum = -(1 << (width - 1))
            overflow = self.op(f"and i1 {self.op(f'icmp eq {kind} {a}, {minimum}')}, "
                               f"{self.op(f'icmp eq {kind} {b}, -1')}")
            if profile.signed_division_overflow == "error":
                self.check(overflow, self.failure(pc, position, costs, ErrorCode.DIVIDE_OVERFLOW))
            special = self.op(f"or i1 {zero}, {overflow}")
        divisor = self.op(f"select i1 {special}, {kind} 1, {kind} {b}")
        instruction = ("s" if signed else "u") + ("rem" if remainder else "div")
        result = self.op(f"{instruction} {kind} {a}, {divisor}")
        # x / 0 = 0, x % 0 = x; INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0
        result = self.op(f"select i1 {zero}, {kind} {a if remainder else 0}, {kind} {result}")
        if overflow is not None:
            result = self.op(f"select i1 {overflow}, {kind} {0 if remainder else a}, {kind} {result}")
        if width == 32:
            result = self.op(f"zext i32 {result} to i64")
        self.set(dst, result)

    def check(self, failed: str, failure_label: str) -> None:
        """Continue on the hot path unless `failed`."""
        ok = self.label("ok")
        self.emit(f"br i1 {failed}, label {failure_label}, label %{ok}, !prof !1")
        self.start(ok)

    # -- memory ------------------------------------------------------------------------------------

    def table(self, field: int, row: str) -> str:
        index = self.op(f"add i64 {row}, {field * L.REGION_ROWS}")
        pointer = self.op(f"getelementptr inbounds i64, ptr %regions, i64 {index}")
        return self.op(f"load i64, ptr {pointer}, !invariant.load !0")

    def address(self, address: str, size: int, write: bool, pc: int, position: int, costs: BlockCosts) -> str:
        """The host pointer of a checked access (or a branch to the access violation). QUICK code
        calls `bpf_translate` for it, a third of the IR of the inlined check."""
        if self.g.counting:
            host = self.op(f"call i64 @bpf_translate(ptr %regions, i64 {address}, i64 {size}, "
                           f"i64 {L.fast_column(size, write) * L.REGION_ROWS}, i1 {int(write)})")
            fault = self.failure(pc, position, costs, ErrorCode.ACCESS_VIOLATION, address=address, size=size,
                                 write=write)
            self.check(self.op(f"icmp eq i64 {host}, 0"), fault)
            return self.op(f"inttoptr i64 {host} to ptr")
        row = self.op(f"call i64 @llvm.umin.i64(i64 {self.op(f'lshr i64 {address}, 32')}, i64 {L.SLOT_ROWS - 1})")
        offset = self.op(f"sub i64 {address}, {self.table(L.START, row)}")
        inside = self.op(f"icmp ult i64 {offset}, {self.table(L.fast_column(size, write), row)}")
        fast, slow, join = self.label("fast"), self.label("slow"), self.label("mapped")
        self.emit(f"br i1 {inside}, label %{fast}, label %{slow}, !prof !2")
        self.start(fast)
        host_fast = self.op(f"add i64 {self.table(L.HOST, row)}, {offset}")
        self.emit(f"br label %{join}")
        self.start(slow)
        host_slow = self.op(f"call i64 @bpf_checked_address(ptr %regions, i64 {row}, i64 {address}, i64 {size}, "
                            f"i1 {int(write)})")
        fault = self.failure(pc, position, costs, ErrorCode.ACCESS_VIOLATION, address=address, size=size,
                             write=write)
        self.emit(f"br i1 {self.op(f'icmp eq i64 {host_slow}, 0')}, label {fault}, label %{join}")
        self.start(join)
        host = self.op(f"phi i64 [ {host_fast}, %{fast} ], [ {host_slow}, %{slow} ]")
        return self.op(f"inttoptr i64 {host} to ptr")

    def load(self, step, pc: int, position: int, costs: BlockCosts) -> None:
        size = step.row.width
        address = self.op(f"add i64 {self.get(step.word.src)}, {step.word.off}")
        host = self.address(address, size, False, pc, position, costs)
        value = self.op(f"load i{8 * size}, ptr {host}, align 1")
        if size < 8:
            extend = "sext" if step.row.semantics == "load_signed" else "zext"
            value = self.op(f"{extend} i{8 * size} {value} to i64")
        self.set(step.word.dst, value)

    def atomic(self, step, pc: int, position: int, costs: BlockCosts) -> None:
        """Load (read check), combine, store (write check), as the reference orders them."""
        size, bits = step.row.width, 8 * step.row.width
        address = self.op(f"add i64 {self.get(step.word.dst)}, {step.word.off}")
        old = self.op(f"load i{bits}, ptr {self.address(address, size, False, pc, position, costs)}, align 1")
        value = self.get(step.word.src)
        if bits < 64:
            value = self.op(f"trunc i64 {value} to i{bits}")
        operation = step.word.imm & ~_ATOMIC_FETCH
        old64 = self.op(f"zext i{bits} {old} to i64") if bits < 64 else old
        if operation == _ATOMIC_CMPXCHG:
            expected = self.get(0)
            if bits < 64:
                expected = self.op(f"trunc i64 {expected} to i{bits}")
            store, done = self.label("exchange"), self.label("compared")
            self.emit(f"br i1 {self.op(f'icmp eq i{bits} {old}, {expected}')}, label %{store}, label %{done}")
            self.start(store)
            self.emit(f"store i{bits} {value}, ptr {self.address(address, size, True, pc, position, costs)}, align 1")
            self.emit(f"br label %{done}")
            self.start(done)
            self.set(0, old64)
            return
        new = value if operation == _ATOMIC_XCHG else self.op(f"{_ATOMIC_OPERATIONS[operation]} i{bits} {old}, {value}")
        self.emit(f"store i{bits} {new}, ptr {self.address(address, size, True, pc, position, costs)}, align 1")
        if step.word.imm & _ATOMIC_FETCH:
            self.set(step.word.src, old64)

    # -- control flow ------------------------------------------------------------------------------

    def branch(self, step, pc: int) -> None:
        a, b = self.get(step.word.dst), self.operand(step)
        kind = "i64"
        if step.row.width == 32:
            a, b, kind = self.op(f"trunc i64 {a} to i32"), self.op(f"trunc i64 {b} to i32"), "i32"
        if step.row.semantics == "jset":
            taken = self.op(f"icmp ne {kind} {self.op(f'and {kind} {a}, {b}')}, 0")
        else:
            taken = self.op(f"icmp {_PREDICATES[step.row.semantics]} {kind} {a}, {b}")
        self.emit(f"br i1 {taken}, label {self.goto(L.jump_target(step, pc))}, label {self.goto(pc + 1)}")

    def push_frame(self, pc: int, position: int, costs: BlockCosts) -> None:
        """Save r6-r9, r10, the stack pointer and the return pc; fail past the depth limit; move r10."""
        depth = self.op("load i64, ptr %depth")
        base = self.op(f"mul i64 {depth}, {L.FRAME_SLOTS}")
        saved = [(L.FRAME_R6 + i, self.get(6 + i)) for i in range(4)]
        saved += [(L.FRAME_FP, self.get(10)), (L.FRAME_SP, self.op("load i64, ptr %sp")),
                  (L.FRAME_RETURN, str(pc + 1))]
        for slot, value in saved:
            pointer = self.op(f"getelementptr inbounds i64, ptr %frames, i64 {self.op(f'add i64 {base}, {slot}')}")
            self.emit(f"store i64 {value}, ptr {pointer}")
        depth = self.op(f"add i64 {depth}, 1")
        self.emit(f"store i64 {depth}, ptr %depth")
        limit = self.g.profile.max_call_depth
        self.check(self.op(f"icmp uge i64 {depth}, {limit}"),
                   self.failure(pc, position, costs, ErrorCode.CALL_DEPTH_EXCEEDED, value=str(limit)))
        frame_pointer = self.get(10)  # dynamic frames: r10 stays where the program moved it
        if not self.g.profile.dynamic_stack_frames:
            frame_pointer = self.op(f"add i64 {frame_pointer}, {self.g.rules.frame_stride}")
            self.set(10, frame_pointer)
        self.emit(f"store i64 {frame_pointer}, ptr %sp")

    def call_function(self, step, pc: int, target: int, position: int, costs: BlockCosts) -> None:
        """`call imm` to a function the ELF loader registered under that key (layout.function_target):
        a local call, unless a helper of this run has the key (state[NATIVE_FUNCTION_CALLS] is 0)."""
        native = self.op(f"load i64, ptr {self.slot(L.NATIVE_FUNCTION_CALLS)}")
        local, served = self.label("function"), self.label("served")
        self.emit(f"br i1 {self.op(f'icmp ne i64 {native}, 0')}, label %{local}, label %{served}")
        self.start(served, cold=True)
        self.store_state(L.CALL_KEY, const(step.imm & L.U32))
        self.store_state(L.CALL_KIND, str(L.CALL_BY_KEY))
        self.store_state(L.PC, str(pc))
        self.emit(f"store i64 {L.EXIT_CALL}, ptr %status", cold=True)
        self.emit("br label %leave", cold=True)
        self.start(local)
        self.push_frame(pc, position, costs)
        self.emit(f"br label {self.goto(target)}")

    def callx(self, step, pc: int, position: int, costs: BlockCosts) -> None:
        """sBPF callx: the register holds a code address; Solana pushes the frame before checking it."""
        target = self.operand(step)
        self.push_frame(pc, position, costs)
        word = self.op(f"lshr i64 {self.op(f'sub i64 {target}, {const(self.g.rules.text_address)}')}, 3")
        outside = self.op(f"icmp uge i64 {word}, {len(self.g.decoded)}")
        self.check(outside, self.failure(pc, position, costs, ErrorCode.CALL_OUTSIDE_TEXT, value=target))
        self.dispatch(word, sorted(self.pcs))

    def exit(self, pc: int) -> None:
        self.exits.append((pc, self.current))
        self.emit("br label %exit")

    def return_or_finish(self, pc: str) -> None:
        """The shared `exit`: the end of the run at depth 0, else a return to the caller's frame."""
        depth = self.op("load i64, ptr %depth")
        outermost, pop = self.label("outermost"), self.label("return")
        self.emit(f"br i1 {self.op(f'icmp eq i64 {depth}, 0')}, label %{outermost}, label %{pop}")
        self.start(outermost)
        self.leave(pc, L.EXIT_DONE)
        self.start(pop)
        depth = self.op(f"sub i64 {depth}, 1")
        self.emit(f"store i64 {depth}, ptr %depth")
        base = self.op(f"mul i64 {depth}, {L.FRAME_SLOTS}")

        def restore(slot: int) -> str:
            pointer = self.op(f"getelementptr inbounds i64, ptr %frames, i64 {self.op(f'add i64 {base}, {slot}')}")
            return self.op(f"load i64, ptr {pointer}")

        for i in range(4):
            self.set(6 + i, restore(L.FRAME_R6 + i))
        self.set(10, restore(L.FRAME_FP))
        self.emit(f"store i64 {restore(L.FRAME_SP)}, ptr %sp")
        self.dispatch(restore(L.FRAME_RETURN), sorted(self.g.return_sites & self.pcs))

    def dispatch(self, pc: str, candidates) -> None:
        """Jump to a computed pc: a block of this function, else leave for the dispatcher."""
        elsewhere = self.label("elsewhere")
        cases = " ".join(f"i64 {target}, label %b{target}" for target in candidates)
        self.emit(f"switch i64 {pc}, label %{elsewhere} [ {cases} ]")
        self.start(elsewhere)
        self.leave(pc, CONTINUE)


class ModuleGenerator:
    """One region's module: its functions, the gapped-stack slow path and `bpf_functions`."""

    def __init__(self, analysis: Analysis, blocks, counting: bool = True, blocks_per_function: int | None = None):
        self.analysis = analysis
        self.program, self.profile, self.rules = analysis.program, analysis.profile, analysis.rules
        self.decoded, self.starts, self.uniform = analysis.decoded, analysis.starts, analysis.uniform
        self.return_sites = analysis.return_sites
        self.counting = counting
        self.blocks = blocks
        self.parts = function_parts(blocks, blocks_per_function)

    @property
    def block_starts(self) -> list[int]:
        return [block.start for block in self.blocks]

    def module(self) -> str:
        functions = [FunctionWriter(self, f"bpf_part{index}", part).write() for index, part in enumerate(self.parts)]
        count = len(self.parts)
        table = ", ".join(f"ptr @bpf_part{index}" for index in range(count))
        # A function rather than an exported table: jitvm.jit.split may put the parts in several
        # modules, and makes a function that another part refers to an ordinary symbol.
        lookup = (f"@bpf_table = private constant [{count} x ptr] [{table}]\n"
                  f"define ptr @{FUNCTIONS}(i64 %index) {{\n"
                  f"  %slot = getelementptr inbounds [{count} x ptr], ptr @bpf_table, i64 0, i64 %index\n"
                  f"  %function = load ptr, ptr %slot\n  ret ptr %function\n}}\n")
        return "\n".join([_PRELUDE, _TRANSLATE if self.counting else "", *functions, lookup, _METADATA])


def function_parts(blocks, blocks_per_function: int | None = None) -> list[list]:
    """`blocks` (in program order) as the functions of their module: `bpf_part0`, `bpf_part1`, ..."""
    sizes = {} if blocks_per_function is None else {"max_blocks": blocks_per_function}
    return [blocks[part.start:part.stop] for part in partition(len(blocks), **sizes)]


# The dispatcher, one per process for every program: `table` is the program's dispatch table,
# int64[1 + 2 * size]: size (the code's length + 1), then per pc the function that holds the block
# starting there (0: none yet), then per pc the block's entry count (QUICK code counts).
DISPATCHER = f"""
define i64 @{DISPATCH}(ptr %regs, ptr %state, ptr %frames, ptr %regions, ptr %table) {{
entry:
  %size = load i64, ptr %table
  %functions = getelementptr inbounds i64, ptr %table, i64 1
  %counts = getelementptr inbounds i64, ptr %functions, i64 %size
  br label %loop
loop:
  %pc = load i64, ptr %state
  %inside = icmp ult i64 %pc, %size
  br i1 %inside, label %lookup, label %fallback
lookup:
  %slot = getelementptr inbounds i64, ptr %functions, i64 %pc
  %function = load ptr, ptr %slot
  %none = icmp eq ptr %function, null
  br i1 %none, label %fallback, label %call
call:
  %status = call i64 %function(ptr %regs, ptr %state, ptr %frames, ptr %regions, ptr %counts)
  %again = icmp eq i64 %status, {CONTINUE}
  br i1 %again, label %loop, label %done
done:
  ret i64 %status
fallback:
  %exit.p = getelementptr inbounds i64, ptr %state, i64 {L.EXIT}
  store i64 {L.EXIT_FALLBACK}, ptr %exit.p
  ret i64 {L.EXIT_FALLBACK}
}}
"""


# The slow path of a memory access: the full rule of jitvm.bpf.memory (a region starting inside its
# slot, Solana's gapped stack, a slot's chain of regions), as kernel.checked_address; the host
# address, or 0.
def _field(name: str, field: int) -> str:
    return (f"  %{name}.p = getelementptr inbounds i64, ptr %regions, i64 {field * L.REGION_ROWS}\n"
            f"  %{name}.q = getelementptr inbounds i64, ptr %{name}.p, i64 %row\n"
            f"  %{name} = load i64, ptr %{name}.q\n")


_PRELUDE = f"""
declare i64 @llvm.umin.i64(i64, i64)
declare i16 @llvm.bswap.i16(i16)
declare i32 @llvm.bswap.i32(i32)
declare i64 @llvm.bswap.i64(i64)

define internal i64 @bpf_checked_address(ptr %regions, i64 %first, i64 %address, i64 %size, i1 %write) noinline cold {{
entry:
  br label %walk
walk:
  %row = phi i64 [ %first, %entry ], [ %next, %walk ]
{_field("w.start", L.START)}{_field("w.length", L.LENGTH)}{_field("next", L.NEXT)}\
  %w.offset = sub i64 %address, %w.start
  %w.holds = icmp ult i64 %w.offset, %w.length
  %w.last = icmp eq i64 %next, 0
  %w.stop = or i1 %w.holds, %w.last
  br i1 %w.stop, label %found, label %walk
found:
{_field("start", L.START)}{_field("length", L.LENGTH)}{_field("writable", L.WRITABLE)}{_field("gap", L.GAP)}\
  %unmapped.0 = icmp eq i64 %length, 0
  %slot = lshr i64 %address, 32
  %start.slot = lshr i64 %start, 32
  %unmapped.1 = icmp ne i64 %slot, %start.slot
  %unmapped.2 = icmp ult i64 %address, %start
  %readonly = icmp eq i64 %writable, 0
  %unmapped.3 = and i1 %write, %readonly
  %bad.0 = or i1 %unmapped.0, %unmapped.1
  %bad.1 = or i1 %unmapped.2, %unmapped.3
  %bad = or i1 %bad.0, %bad.1
  %offset = sub i64 %address, %start
  %nogap = icmp eq i64 %gap, 0
  br i1 %bad, label %denied, label %check.gap
check.gap:
  br i1 %nogap, label %sized, label %gapped
gapped:
  %index = udiv i64 %offset, %gap
  %odd = and i64 %index, 1
  %ingap = icmp ne i64 %odd, 0
  br i1 %ingap, label %denied, label %packing
packing:
  %double = add i64 %gap, %gap
  %pairs = udiv i64 %offset, %double
  %base = mul i64 %pairs, %gap
  %within = urem i64 %offset, %gap
  %packed = add i64 %base, %within
  br label %sized
sized:
  %inner = phi i64 [ %offset, %check.gap ], [ %packed, %packing ]
  %end = add i64 %inner, %size
  %fits = icmp ule i64 %end, %length
  br i1 %fits, label %mapped, label %denied
mapped:
{_field("host", L.HOST)}\
  %result = add i64 %host, %inner
  ret i64 %result
denied:
  ret i64 0
}}
"""

# QUICK code's memory check, out of line: the fast path of `FunctionWriter.address`, else the slow
# path; the host address, or 0. `column` is the fast column's offset in the table.
_TRANSLATE = f"""
define internal i64 @bpf_translate(ptr %regions, i64 %address, i64 %size, i64 %column, i1 %write) {{
entry:
  %slot = lshr i64 %address, 32
  %row = call i64 @llvm.umin.i64(i64 %slot, i64 {L.SLOT_ROWS - 1})
  %start.i = add i64 %row, {L.START * L.REGION_ROWS}
  %start.p = getelementptr inbounds i64, ptr %regions, i64 %start.i
  %start = load i64, ptr %start.p
  %offset = sub i64 %address, %start
  %fast.i = add i64 %row, %column
  %fast.p = getelementptr inbounds i64, ptr %regions, i64 %fast.i
  %fast = load i64, ptr %fast.p
  %inside = icmp ult i64 %offset, %fast
  br i1 %inside, label %mapped, label %slow, !prof !2
mapped:
  %host.i = add i64 %row, {L.HOST * L.REGION_ROWS}
  %host.p = getelementptr inbounds i64, ptr %regions, i64 %host.i
  %host = load i64, ptr %host.p
  %result = add i64 %host, %offset
  ret i64 %result
slow:
  %checked = call i64 @bpf_checked_address(ptr %regions, i64 %row, i64 %address, i64 %size, i1 %write)
  ret i64 %checked
}}
"""

_METADATA = """
!0 = !{}
!1 = !{!"branch_weights", i32 1, i32 2000}
!2 = !{!"branch_weights", i32 2000, i32 1}
"""


def generate(program, starts=None, counting: bool = True, blocks_per_function: int | None = None
             ) -> tuple[str, list[int]]:
    """LLVM IR for the region of `program` made of the blocks starting at `starts` (every block if
    None), and the pcs where its blocks start."""
    analysis = program_analysis(program)
    blocks = analysis.blocks if starts is None else analysis.blocks_at(starts)
    generator = ModuleGenerator(analysis, blocks, counting, blocks_per_function)
    return generator.module(), generator.block_starts
