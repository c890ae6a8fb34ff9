"""The EVM JIT's code generator: the blocks of analysis.py as LLVM IR text.

The generated code works on the baseline kernel's arrays (jitvm.evm.baseline.layout) and leaves them
exactly as the kernel would, so the kernel can always take over where the compiled code stops:

    i64 evm_enter(ptr code, ptr data, ptr words, ptr memory, ptr control, i64 capacity, i64 data_size)

runs blocks from registers[PC] and returns DONE (the frame ended: registers[STATUS], OUT_OFFSET,
OUT_SIZE as the kernel sets them) or INTERPRET (the kernel must run the next registers[STEPS]
instructions from registers[PC]; the engine then enters the compiled code again).

Inside a block the stack is a list of i256 SSA values: operands are loaded from the limb rows of
`words` when first used, and results are stored back only when the block ends or leaves. Each block
checks its stack bounds and static gas once, on entry (analysis.py); if the check fails, the kernel
runs the whole block and reports the error exactly where the reference does. An instruction the
code generator leaves to the kernel (a block's "tail") or a case it does not handle (memory growth
beyond the buffer, CALLDATALOAD near the end of the calldata) leaves INTERPRET with the registers as
the kernel expects them before that instruction: the static gas of the rest of the block is given
back, since the kernel charges it again.

Blocks are grouped into functions of at most BLOCKS_PER_FUNCTION blocks (jitvm.jit.blocks.partition);
evm_enter looks up the function holding registers[PC] and calls it until one returns for good. Dynamic jumps
are a switch over the function's JUMPDESTs; a jump elsewhere goes back through evm_enter.
Division, modulo, ADDMOD, MULMOD and EXP call the limb helpers of jitvm.evm.limbs (never i256 udiv),
except on the OPTIMIZED tier: ADDMOD of operands below the modulus in line, MULMOD through
mulmod_ir's function (docs/jit-arithmetic.md).
A large code with fewer than MIN_INSTRUCTIONS_PER_JUMP instructions per jump is not compiled at all
(`generate` returns None and the baseline runs it): its compiled code would be slower.

What keeps the backend's time down (it is most of the compile time, and grows with the number of
basic blocks that i256 values live across): cold exits are a few stores and a branch to one shared
tail per function; memory expansion is computed without branching, so a memory access adds a side
exit but no join; shifts by an amount known only at run time call small out-of-line functions
(an inline i256 shift by a variable amount is a large piece of machine code).
"""

from __future__ import annotations

from jitvm.evm import gas
from jitvm.evm.jit import mulmod_ir, runtime_ir, signed_division
from jitvm.evm.jit.entry import CONTINUE, DONE, ENTRY, INTERPRET, WORK_COUNTERS
from jitvm.evm.jit.block_analysis import BlockInfo, CodeAnalysis, Instruction
from jitvm.evm.message import Status
from jitvm.evm.baseline import layout as L
from jitvm.evm.opcodes import STACK_LIMIT
from jitvm.jit.blocks import partition
from jitvm.jit.irtext import IrText

# Blocks per LLVM function. i256 code makes the backend's register allocation the largest cost, and
# it grows faster than linearly with the function: 50 compiles snailtracer 30% faster than
# jitvm.jit.blocks' default of 150, with the same speed (measured: 5.8 s against 8.2 s, 27 ms both).
BLOCKS_PER_FUNCTION = 50
# A code with at least DECLINE_FROM_JUMPS jumps (JUMP, JUMPI) and fewer than
# MIN_INSTRUCTIONS_PER_JUMP instructions per jump is not compiled: the baseline kernel runs it.
# Compiled code pays per block it enters (the entry checks and a branch), the kernel per
# instruction (3-4 ns). While the compiled code stays in the processor's caches a block costs a few
# ns and compiling pays; a code of thousands of tiny blocks each run once per call (jump_around:
# 4,096 blocks of JUMPDEST PUSH2 JUMP, 3 instructions per jump) runs from cold cache lines through
# unpredicted jumps, 15-30 ns a block, and the kernel is faster. Measured with
# bench/jit_block_size_study.py (jit/baseline, OPTIMIZED tier): 4,096 blocks of 3, 5, 6, 7, 8
# instructions: 1.40, 1.18, 1.01, 0.98, 0.92; 3,072 blocks of 3 and 5: 1.19, 1.04; 2,048: 0.94,
# 0.90; 1,024: 0.95, 0.86 (how many blocks fit the caches depends on the processor). Compiled
# contracts have 11-35 instructions per jump (bundled and realworld ones), so the rule leaves them
# alone. Putting jump_around in one function (no jump leaving it) instead of 82 did not make it
# faster (bench/jit_partition_study.py): the cost is the cold code, not the calls between functions.
MIN_INSTRUCTIONS_PER_JUMP = 6
DECLINE_FROM_JUMPS = 2500
HELPERS = ("evm_div", "evm_sdiv", "evm_mod", "evm_smod", "evm_exp", "evm_addmod", "evm_mulmod", "evm_keccak256",
           "evm_sload", "evm_sstore", "evm_log")
_DIVISION = {"DIV": "evm_div", "SDIV": "evm_sdiv", "MOD": "evm_mod", "SMOD": "evm_smod"}
_BINARY = {"ADD": "add", "MUL": "mul", "SUB": "sub", "AND": "and", "OR": "or", "XOR": "xor"}
_COMPARE = {"LT": "ult", "GT": "ugt", "SLT": "slt", "SGT": "sgt", "EQ": "eq"}
_SHIFT_LIKE = ("SHL", "SHR", "SAR", "BYTE", "SIGNEXTEND")
_ENVIRONMENT = set(L.ENVIRONMENT_MNEMONICS)
_ARGUMENTS = "ptr %code, ptr %data, ptr %words, ptr %memory, ptr %control, i64 %capacity, i64 %datasize"
_PASS = "ptr %code, ptr %data, ptr %words, ptr %memory, ptr %control, i64 %capacity, i64 %datasize"


# Memory expansion to end = start + size as FunctionWriter.expand_inline computes it, out of line:
# 0 when done (gas charged with `extra`, msize grown), 1 when out of reach (offset of 2**32 or more,
# or past the buffer), 2 when the gas does not cover it (nothing changed): either way the kernel
# takes over the access.
MEMORY_EXPANSION = f"""define internal i64 @expand_memory(i1 %small, i64 %start, i64 %size, i64 %extra, ptr %msize.a, ptr %gas.a, i64 %capacity) {{
entry:
  %end = add i64 %start, %size
  %far = icmp ugt i64 %end, %capacity
  %inside = xor i1 %far, true
  %reachable = and i1 %small, %inside
  br i1 %reachable, label %charge, label %beyond
beyond:
  ret i64 1
charge:
  %msize = load i64, ptr %msize.a
  %left = load i64, ptr %gas.a
  %old = lshr i64 %msize, 5
  %end.up = add i64 %end, 31
  %needed = lshr i64 %end.up, 5
  %new = call i64 @llvm.umax.i64(i64 %old, i64 %needed)
  %grown = sub i64 %new, %old
  %linear = mul i64 %grown, {gas.MEMORY_WORD}
  %new.square = mul i64 %new, %new
  %new.quadratic = udiv i64 %new.square, {gas.MEMORY_QUADRATIC_DIVISOR}
  %old.square = mul i64 %old, %old
  %old.quadratic = udiv i64 %old.square, {gas.MEMORY_QUADRATIC_DIVISOR}
  %quadratic = sub i64 %new.quadratic, %old.quadratic
  %expansion = add i64 %linear, %quadratic
  %cost = add i64 %expansion, %extra
  %after = sub i64 %left, %cost
  %unpayable = icmp slt i64 %after, 0
  br i1 %unpayable, label %out.of.gas, label %grow
out.of.gas:
  ret i64 2
grow:
  store i64 %after, ptr %gas.a
  %msize.new = shl i64 %new, 5
  store i64 %msize.new, ptr %msize.a
  ret i64 0
}}
"""


def _memory_access(name: str) -> str:
    """The compact form's MLOAD, MSTORE or MSTORE8 (FunctionWriter.access_through_rows) with its
    operands in the stack rows, `%top` the row of the offset: 0 when done, else what
    @expand_memory returned (nothing changed: the kernel runs the instruction)."""
    size = 1 if name == "MSTORE8" else 32
    if name == "MLOAD":
        work = ["  %word = load i256, ptr %at, align 1", "  %swapped = call i256 @llvm.bswap.i256(i256 %word)",
                "  store i256 %swapped, ptr %top, align 8"]
    else:
        work = ["  %value.p = getelementptr inbounds i256, ptr %top, i64 -1",
                "  %value = load i256, ptr %value.p, align 8"]
        if name == "MSTORE":
            work += ["  %swapped = call i256 @llvm.bswap.i256(i256 %value)", "  store i256 %swapped, ptr %at, align 1"]
        else:
            work += ["  %byte = trunc i256 %value to i8", "  store i8 %byte, ptr %at, align 1"]
    return "\n".join([
        f"define internal i64 @{MEMORY_ACCESSES[name]}(ptr %top, ptr %memory, i64 %capacity, ptr %msize.a, ptr %gas.a) {{",
        "entry:", "  %offset = load i256, ptr %top, align 8", "  %small = icmp ult i256 %offset, 4294967296",
        "  %start = trunc i256 %offset to i64",
        f"  %outcome = call i64 @expand_memory(i1 %small, i64 %start, i64 {size}, i64 0, ptr %msize.a, ptr %gas.a, "
        "i64 %capacity)",
        "  %failed = icmp ne i64 %outcome, 0", "  br i1 %failed, label %declined, label %access",
        "declined:", "  ret i64 %outcome", "access:", "  %at = getelementptr inbounds i8, ptr %memory, i64 %start",
        *work, "  ret i64 0", "}", ""])


MEMORY_ACCESSES = {"MLOAD": "memory_load", "MSTORE": "memory_store", "MSTORE8": "memory_store_byte"}


class BlockStack:
    """The stack inside one block: positions relative to the entry height, values as SSA names or
    int constants; `dirty` positions differ from the limb rows."""

    def __init__(self, writer: "FunctionWriter"):
        self.w = writer
        self.values: dict[int, str | int] = {}
        self.dirty: set[int] = set()
        self.height = 0

    def peek(self, depth: int) -> str | int:
        """The value `depth` below the top (0: the top)."""
        position = self.height - 1 - depth
        if position not in self.values:
            self.values[position] = self.w.op(f"load i256, ptr {self.w.row(position)}, align 8")
        return self.values[position]

    def pop(self) -> str | int:
        value = self.peek(0)
        self.height -= 1
        return value

    def push(self, value: str | int) -> None:
        self.values[self.height] = value
        self.dirty.add(self.height)
        self.height += 1

    def put(self, depth: int, value: str | int) -> None:
        position = self.height - 1 - depth
        self.values[position] = value
        self.dirty.add(position)

    def flush(self, cold: bool = False) -> None:
        """Store the changed rows and the height (on the path being emitted)."""
        for position in sorted(self.dirty):
            if position < self.height:
                value = self.values[position]
                self.w.emit(f"store i256 {value}, ptr {self.w.row(position, cold)}, align 8", cold)
        self.w.emit(f"store i64 {self.w.op(f'add i64 {self.w.sp}, {self.height}', cold)}, ptr %sp.a", cold)


class FunctionWriter(IrText):
    """One part (a range of blocks) as an LLVM function."""

    def __init__(self, generator: "ModuleGenerator", index: int, blocks: list[BlockInfo]):
        super().__init__()
        self.g = generator
        self.index = index
        self.name = function_name(index)
        # The QUICK tier's smaller code (expand_out_of_line): the QUICK tier, and the cold functions
        # of an OPTIMIZED module that optimizes only the hot ones.
        self.compact = generator.compact or index in generator.cold_parts
        self.blocks = blocks
        self.pcs = {block.start for block in blocks}
        self.stubs: dict[int, str] = {}
        self.stack: BlockStack | None = None
        self.block: BlockInfo | None = None
        self.sp = self.base = ""
        self.dispatch_used = False
        self.failures: dict[tuple[Status, int], str] = {}
        # What each cold exit hands its tail, (pc, status or steps, 0 or refund), as rows of one
        # constant table: an exit stores only its row's index (one store instead of three).
        self.exits: dict[tuple[int, int, int], int] = {}
        self.tail_parts: set[int] = set()  # the functions this one continues in by a tail call
        self.mulmod_used = False  # whether a MULMOD calls mulmod_ir's function (its cache is in the frame)

    # -- text ---------------------------------------------------------------------------------------

    def row(self, position: int, cold: bool = False) -> str:
        return self.op(f"getelementptr inbounds i256, ptr {self.base}, i64 {position}", cold)

    def register(self, column: int, cold: bool = False) -> str:
        return self.op(f"getelementptr inbounds i64, ptr %control, i64 {column}", cold)

    def set_register(self, column: int, value, cold: bool = True) -> None:
        self.emit(f"store i64 {value}, ptr {self.register(column, cold)}", cold)

    def check(self, failed: str, failure_label: str) -> None:
        ok = self.label("ok")
        self.emit(f"br i1 {failed}, label %{failure_label}, label %{ok}, !prof !1")
        self.start(ok)

    # -- exits --------------------------------------------------------------------------------------

    def goto(self, pc: int) -> str:
        """The label that continues at `pc`: its block here, the end of the code, or a tail call of
        the function holding it (without the round trip through evm_enter)."""
        if pc in self.pcs:
            return f"b{pc}"
        if pc not in self.stubs:
            label = self.label("away")
            self.start(label, cold=True)
            if pc >= len(self.g.analysis.code):  # running off the end is STOP
                self.finish(Status.SUCCESS, pc)
            else:
                part = self.g.part_of[pc]
                self.tail_parts.add(part)
                self.emit(f"store i64 {pc}, ptr %pc.a", cold=True)
                self.emit(f"br label %tail{part}", cold=True)
            self.stubs[pc] = label
        return self.stubs[pc]

    def finish(self, status: Status, pc, cold: bool = True, out_offset="0", out_size="0") -> None:
        """End the frame (the current path is cold or hot as `cold` says) with its output at
        memory[out_offset : out_offset + out_size]."""
        self.set_register(L.STATUS, int(status), cold)
        self.set_register(L.OUT_OFFSET, out_offset, cold)
        self.set_register(L.OUT_SIZE, out_size, cold)
        self.set_register(L.EXIT, L.EXIT_DONE, cold)
        self.emit(f"store i64 {pc}, ptr %pc.a", cold)
        self.emit(f"store i64 {DONE}, ptr %ret.a", cold)
        self.emit("br label %leave", cold)

    def failure(self, status: Status, pc: int) -> str:
        """A cold exit ending the frame with an exceptional `status`; returns its label. Failures do
        not depend on the stack, so one label serves every check of (status, pc), and they share
        one tail (`failed`): each cold exit is a few instructions, which keeps the backend fast."""
        key = (status, pc)
        if key not in self.failures:
            label = self.failures[key] = self.label("fail")
            self.start(label, cold=True)
            self.emit(f"store i64 {self.exit_row(pc, int(status), 0)}, ptr %exit.a", cold=True)
            self.emit("br label %failed", cold=True)
        return self.failures[key]

    def bail(self, position: int) -> str:
        """A cold exit handing the rest of the block, from body instruction `position`, to the
        kernel: the stack as it is now, the static gas of the rest given back."""
        block = self.block
        label = self.label("bail")
        self.start(label, cold=True)
        self.stack.flush(cold=True)
        self.interpret(block.body[position].pc, block.count - position, block.gas - block.prefix_gas[position],
                       cold=True)
        return label

    def interpret(self, pc: int, steps: int, refund: int, cold: bool) -> None:
        """Hand `steps` instructions from `pc` to the kernel, giving back `refund` gas, through the
        function's shared `interpreting` tail."""
        self.emit(f"store i64 {self.exit_row(pc, steps, refund)}, ptr %exit.a", cold)
        self.emit("br label %interpreting", cold)

    def exit_row(self, pc: int, second: int, third: int) -> int:
        """The index of a cold exit's row in the function's exit table (see shared_tails)."""
        return self.exits.setdefault((pc, second, third), len(self.exits))

    # -- the function -------------------------------------------------------------------------------

    def write(self) -> str:
        for block in self.blocks:
            self.write_block(block)
        head = [f"define internal i64 @{self.name}({_ARGUMENTS}) {{", "entry:"]
        for name, column in (("pc", L.PC), ("gas", L.GAS), ("sp", L.SP), ("msize", L.MSIZE)):
            head += [f"  %{name}.a = alloca i64",
                     f"  %{name}.p = getelementptr inbounds i64, ptr %control, i64 {column}",
                     f"  %{name}.v = load i64, ptr %{name}.p", f"  store i64 %{name}.v, ptr %{name}.a"]
        head += ["  %ret.a = alloca i64", f"  store i64 {CONTINUE}, ptr %ret.a",
                 f"  %cds.p = getelementptr inbounds i64, ptr %control, i64 {L.CALLDATA_SIZE}",
                 "  %cds = load i64, ptr %cds.p"]
        head += [f"  %h.{name} = alloca i256, align 8" for name in ("out", "a", "b", "n")]
        head.append("  %h.log = alloca [6 x i256], align 8")  # LOGn's offset, size and topics
        head += ["  %target.a = alloca i64", "  %exit.a = alloca i64"]
        if self.mulmod_used:  # mulmod_ir's reciprocal cache: a zero key never matches
            head += [f"  %mulmod.cache = alloca [{mulmod_ir.CACHE_WORDS} x i64], align 8",
                     "  store i64 0, ptr %mulmod.cache"]
        head.append(f"  switch i64 %pc.v, label %leave [ {' '.join(f'i64 {pc}, label %b{pc}' for pc in sorted(self.pcs))} ]")
        tail = self.shared_tails() + self.tail_calls() + ["leave:"]
        for name in ("pc", "gas", "sp", "msize"):
            tail += [f"  %{name}.o = load i64, ptr %{name}.a", f"  store i64 %{name}.o, ptr %{name}.p"]
        tail += ["  %ret = load i64, ptr %ret.a", "  ret i64 %ret", "}"]
        dispatch = self.dispatch() if self.dispatch_used else []
        rows = ", ".join(f"[3 x i64] [i64 {pc}, i64 {second}, i64 {third}]"
                         for pc, second, third in self.exits) or "[3 x i64] zeroinitializer"
        table = f"@exits.{self.name} = private unnamed_addr constant [{max(1, len(self.exits))} x [3 x i64]] [{rows}]"
        return "\n".join([table] + head + self.body + self.cold + dispatch + tail) + "\n"

    def shared_tails(self) -> list[str]:
        """The exits every cold path of the function branches to (see failure and interpret): each
        reads its row of the exit table, (pc, status, 0) or (pc, steps, refund)."""
        lines = []
        for tail in ("failed", "interpreting"):
            lines += [f"{tail}:", f"  %{tail}.i = load i64, ptr %exit.a",
                      f"  %{tail}.row = getelementptr inbounds [3 x i64], ptr @exits.{self.name}, i64 %{tail}.i"]
            for index, field in enumerate(("pc", "second", "third")[:2 if tail == "failed" else 3]):
                lines += [f"  %{tail}.{field}.p = getelementptr inbounds i64, ptr %{tail}.row, i64 {index}",
                          f"  %{tail}.{field} = load i64, ptr %{tail}.{field}.p"]
            lines.append(f"  store i64 %{tail}.pc, ptr %pc.a")
            if tail == "failed":
                lines += [f"  %failed.status.p = getelementptr inbounds i64, ptr %control, i64 {L.STATUS}",
                          "  store i64 %failed.second, ptr %failed.status.p",
                          *(f"  %failed.{column}.p = getelementptr inbounds i64, ptr %control, i64 {column}\n"
                            f"  store i64 {value}, ptr %failed.{column}.p"
                            for column, value in ((L.OUT_OFFSET, 0), (L.OUT_SIZE, 0), (L.EXIT, L.EXIT_DONE))),
                          f"  store i64 {DONE}, ptr %ret.a", "  br label %leave"]
            else:
                lines += ["  %interpreting.gas = load i64, ptr %gas.a",
                          "  %interpreting.left = add i64 %interpreting.gas, %interpreting.third",
                          "  store i64 %interpreting.left, ptr %gas.a",
                          f"  %interpreting.steps.p = getelementptr inbounds i64, ptr %control, i64 {L.STEPS}",
                          "  store i64 %interpreting.second, ptr %interpreting.steps.p",
                          f"  store i64 {INTERPRET}, ptr %ret.a", "  br label %leave"]
        return lines

    def tail_calls(self) -> list[str]:
        """Per function a static jump continues in: write the registers back, as `leave` does, and
        tail-call it (musttail: the native stack does not grow however often jumps cross)."""
        lines = []
        for part in sorted(self.tail_parts):
            lines.append(f"tail{part}:")
            for name in ("pc", "gas", "sp", "msize"):
                lines += [f"  %{name}.t{part} = load i64, ptr %{name}.a", f"  store i64 %{name}.t{part}, ptr %{name}.p"]
            lines += [f"  %result.t{part} = musttail call i64 @evm_part{part}({_PASS})",
                      f"  ret i64 %result.t{part}"]
        return lines

    def write_block(self, block: BlockInfo) -> None:
        self.block = block
        self.stack = BlockStack(self)
        if block.start not in self.g.analysis.jumpdests:  # entered only from the block before it
            self.stack.values.update(self.g.entry_constants.get(block.start, {}))
        self.covered_end = 0  # memory below this is known to be inside msize (msize never shrinks)
        self.covered: set[tuple[str, int]] = set()  # (offset value, size) known to be inside msize
        self.start(f"b{block.start}")
        self.sp = f"%sp.{block.start}"  # the height at the block's entry
        self.emit(f"{self.sp} = load i64, ptr %sp.a")
        self.base = f"%base.{block.start}"  # the row of that height
        self.emit(f"{self.base} = getelementptr inbounds i256, ptr %words, i64 {self.sp}")
        if block.body:
            fallback = self.label("fallback")
            self.start(fallback, cold=True)
            self.interpret(block.start, block.count, 0, cold=True)
            left = self.op("load i64, ptr %gas.a")
            checks = []
            if block.stack_needed:
                checks.append(self.op(f"icmp slt i64 {self.sp}, {block.stack_needed}"))
            if block.stack_growth:
                checks.append(self.op(f"icmp sgt i64 {self.sp}, {STACK_LIMIT - block.stack_growth}"))
            if block.gas:
                checks.append(self.op(f"icmp slt i64 {left}, {block.gas}"))
            if checks:
                failed = checks[0]
                for other in checks[1:]:
                    failed = self.op(f"or i1 {failed}, {other}")
                self.check(failed, fallback)
            if block.gas:
                self.emit(f"store i64 {self.op(f'sub i64 {left}, {block.gas}')}, ptr %gas.a")
            if self.g.counting:
                self.count_work(block.count)
        ended = False
        for position, instruction in enumerate(block.body):
            ended = self.instruction(position, instruction)
        if block.tail is None and (not ended or block.body[-1].mnemonic == "JUMPI"):
            self.pass_constants(block.end)
        if not ended:
            if block.tail is not None:
                self.stack.flush()
                self.interpret(block.tail.pc, 1, 0, cold=False)
            else:
                self.stack.flush()
                self.emit(f"br label %{self.goto(block.end)}")

    def count_work(self, instructions: int) -> None:
        """Add a block's instructions to its function's row of WORK_COUNTERS (the QUICK tier: which
        functions the OPTIMIZED tier optimizes)."""
        counter = (f"getelementptr inbounds ([{len(self.g.parts)} x i64], ptr @{WORK_COUNTERS}, "
                   f"i64 0, i64 {self.index})")
        counted = self.op(f"load i64, ptr {counter}")
        self.emit(f"store i64 {self.op(f'add i64 {counted}, {instructions}')}, ptr {counter}")

    def pass_constants(self, successor: int) -> None:
        """Tell the block at `successor`, which this one falls through to, which of the stack rows
        it starts with hold constants. A block that does not begin with a JUMPDEST is entered
        only from here (compiled, or by the kernel after it ran this block): its rows hold these
        values whichever way it is entered, and its code can fold them (a SIGNEXTEND or a shift by
        a known amount, a constant jump target) instead of loading them."""
        s = self.stack
        # A row more than STACK_LIMIT below the top can never be read (the height never exceeds the
        # limit): leaving them out keeps the map small where constants pile up (64 KB of PUSH1s:
        # 13 s of code generation under a profiler without the bound, quadratic in the blocks).
        deepest = s.height - STACK_LIMIT
        self.g.entry_constants[successor] = {position - s.height: value for position, value in s.values.items()
                                             if deepest <= position < s.height and isinstance(value, int)}

    # -- instructions -------------------------------------------------------------------------------

    def rest_after(self, position: int) -> int:
        """Static gas the block charged up front for the instructions after `position`."""
        return self.block.gas - self.block.prefix_gas[position + 1]

    def instruction(self, position: int, instruction: Instruction) -> bool:
        """Emit one instruction; True if it ended the block's path."""
        name = instruction.mnemonic
        s = self.stack
        if name.startswith("PUSH"):
            s.push(instruction.immediate)
        elif name.startswith("DUP"):
            s.push(s.peek(instruction.inputs - 1))
        elif name.startswith("SWAP"):
            depth = instruction.inputs - 1
            top, other = s.peek(0), s.peek(depth)
            s.put(0, other)
            s.put(depth, top)
        elif name == "POP":
            s.height -= 1
        elif name == "JUMPDEST":
            pass
        elif name in _BINARY:
            a, b = s.pop(), s.pop()
            s.push(self.op(f"{_BINARY[name]} i256 {a}, {b}"))
        elif name in _COMPARE:
            a, b = s.pop(), s.pop()
            s.push(self.op(f"zext i1 {self.op(f'icmp {_COMPARE[name]} i256 {a}, {b}')} to i256"))
        elif name == "ISZERO":
            s.push(self.op(f"zext i1 {self.op(f'icmp eq i256 {s.pop()}, 0')} to i256"))
        elif name == "NOT":
            s.push(self.op(f"xor i256 {s.pop()}, -1"))
        elif name == "CLZ":  # zero is defined: 256 leading zeros
            s.push(self.op(f"call i256 @llvm.ctlz.i256(i256 {s.pop()}, i1 false)"))
        elif name in _SHIFT_LIKE:
            amount, value = s.pop(), s.pop()
            if isinstance(amount, int):
                s.push(self.constant_shift(name, amount, value))
            else:  # out of line: an i256 shift by a variable amount is a large piece of machine code
                s.push(self.op(f"call i256 @evm_{name.lower()}(i256 {amount}, i256 {value})"))
        elif name in _DIVISION:
            a, b = s.pop(), s.pop()
            s.push(self.divide(name, a, b))
        elif name == "ADDMOD" and not self.compact:
            a, b, n = s.pop(), s.pop(), s.pop()
            s.push(self.addmod(a, b, n))
        elif name == "MULMOD" and not self.compact:
            a, b, n = s.pop(), s.pop(), s.pop()
            s.push(self.mulmod(a, b, n))
        elif name in ("ADDMOD", "MULMOD"):
            a, b, n = s.pop(), s.pop(), s.pop()
            s.push(self.helper("evm_" + name.lower(), a, b, n))
        elif name == "EXP":
            base, exponent = s.peek(0), s.peek(1)
            zeros = self.op(f"call i256 @llvm.ctlz.i256(i256 {exponent}, i1 false)")
            bits = self.op(f"sub i64 256, {self.op(f'trunc i256 {zeros} to i64')}")
            length = self.op(f"lshr i64 {self.op(f'add i64 {bits}, 7')}, 3")
            cost = self.op(f"mul i64 {length}, {gas.EXP_BYTE}")
            self.charge(cost, position, self.failure(Status.OUT_OF_GAS, instruction.pc))
            s.pop(), s.pop()
            if base == 2:  # 2**x, common in compiled Solidity: a shift (zero from 256 on)
                s.push(self.op(f"call i256 @evm_shl(i256 {exponent}, i256 1)"))
            else:
                s.push(self.helper("evm_exp", base, exponent))
        elif name in _ENVIRONMENT:
            row = self.op(f"getelementptr inbounds i256, ptr %words, i64 {L.ENV_START + instruction.byte}")
            s.push(self.op(f"load i256, ptr {row}, align 8"))
        elif name == "PC":
            s.push(instruction.pc)
        elif name == "CODESIZE":
            s.push(len(self.g.analysis.code))
        elif name == "CALLDATASIZE":
            s.push(self.op("zext i64 %cds to i256"))
        elif name == "RETURNDATASIZE":
            s.push(self.op(f"zext i64 {self.op('sub i64 %datasize, %cds')} to i256"))
        elif name == "MSIZE":
            s.push(self.op(f"zext i64 {self.op('load i64, ptr %msize.a')} to i256"))
        elif name == "GAS":  # the gas left, plus any reserve beyond NATIVE_GAS_LIMIT (host.NativeFrame)
            left = self.op(f"add i64 {self.op('load i64, ptr %gas.a')}, {self.rest_after(position)}")
            reserve = self.op(f"load i64, ptr {self.register(L.GAS_RESERVE)}")
            s.push(self.op(f"zext i64 {self.op(f'add i64 {left}, {reserve}')} to i256"))
        elif name == "CALLDATALOAD":
            offset = s.peek(0)
            inside = self.op(f"icmp ult i256 {offset}, 4294967296")
            start = self.op(f"trunc i256 {offset} to i64")
            fits = self.op(f"icmp ule i64 {self.op(f'add i64 {start}, 32')}, %cds")
            self.check(self.op(f"xor i1 {self.op(f'and i1 {inside}, {fits}')}, true"), self.bail(position))
            pointer = self.op(f"getelementptr inbounds i8, ptr %data, i64 {start}")
            word = self.op(f"load i256, ptr {pointer}, align 1")
            s.pop()
            s.push(self.op(f"call i256 @llvm.bswap.i256(i256 {word})"))
        elif name == "SLOAD":
            self.sload(position, instruction)
        elif name == "SSTORE":
            self.sstore(position, instruction)
        elif name.startswith("LOG"):
            self.log(position, instruction)
        elif name in ("CODECOPY", "CALLDATACOPY"):
            self.copy(position, instruction)
        elif name == "MCOPY":
            self.memory_copy(position, instruction)
        elif name == "KECCAK256":
            self.keccak256(position, instruction)
        elif name in ("MLOAD", "MSTORE", "MSTORE8") and self.compact \
                and not self.known_inside(s.peek(0), 1 if name == "MSTORE8" else 32):
            self.access_through_rows(position, name)
        elif name in ("MLOAD", "MSTORE", "MSTORE8"):
            pointer = self.memory(s.peek(0), 1 if name == "MSTORE8" else 32, position)
            s.pop()
            if name == "MLOAD":
                s.push(self.op(f"call i256 @llvm.bswap.i256(i256 {self.op(f'load i256, ptr {pointer}, align 1')})"))
            elif name == "MSTORE":
                value = self.op(f"call i256 @llvm.bswap.i256(i256 {s.pop()})")
                self.emit(f"store i256 {value}, ptr {pointer}, align 1")
            else:
                self.emit(f"store i8 {self.op(f'trunc i256 {s.pop()} to i8')}, ptr {pointer}, align 1")
        elif name == "STOP":
            self.finish(Status.SUCCESS, instruction.pc + 1, cold=False)
            return True
        elif name in ("RETURN", "REVERT"):
            self.leave_with_output(position, instruction)
            return True
        elif name == "JUMP":
            target = s.pop()
            s.flush()
            self.jump(target, instruction.pc)
            return True
        elif name == "JUMPI":
            target, condition = s.pop(), s.pop()
            s.flush()
            taken = self.label("taken")
            self.emit(f"br i1 {self.op(f'icmp ne i256 {condition}, 0')}, label %{taken}, label %{self.goto(self.block.end)}")
            self.start(taken)
            self.jump(target, instruction.pc)
            return True
        else:
            raise AssertionError(f"analysis.COMPILED lists {name} but codegen has no case for it")
        return False

    def divide(self, name: str, a, b) -> str | int:
        """DIV, SDIV, MOD or SMOD. Unsigned division by a known power of two (or zero) is a shift or
        a mask; everything else calls the limb helpers."""
        if isinstance(b, int) and name in ("DIV", "MOD"):
            if b == 0:
                return 0
            if b & (b - 1) == 0:
                bits = b.bit_length() - 1
                return self.op(f"lshr i256 {a}, {bits}") if name == "DIV" else self.op(f"and i256 {a}, {b - 1}")
        if name in signed_division.FAST_PATH and not self.compact:
            return signed_division.signed_division(self, name, a, b, _DIVISION[name])
        return self.helper(_DIVISION[name], a, b)

    def constant_shift(self, name: str, amount: int, value) -> str | int:
        """SHL, SHR, SAR, BYTE or SIGNEXTEND by a known amount (the generated code is one or two
        instructions)."""
        if name == "SHL":
            return self.op(f"shl i256 {value}, {amount}") if amount < 256 else 0
        if name == "SHR":
            return self.op(f"lshr i256 {value}, {amount}") if amount < 256 else 0
        if name == "SAR":
            return self.op(f"ashr i256 {value}, {min(amount, 255)}")
        if name == "BYTE":
            if amount >= 32:
                return 0
            return self.op(f"and i256 {self.op(f'lshr i256 {value}, {248 - 8 * amount}')}, 255")
        if amount >= 31:  # SIGNEXTEND of the whole word
            return value
        bits = 248 - 8 * amount
        return self.op(f"ashr i256 {self.op(f'shl i256 {value}, {bits}')}, {bits}")

    def helper(self, function: str, *operands, cold: bool = False) -> str:
        """Call a limb helper of jitvm.evm.limbs on i256 operands."""
        names = ("a", "b", "n")[: len(operands)]
        for name, value in zip(names, operands):
            self.emit(f"store i256 {value}, ptr %h.{name}, align 8", cold)
        arguments = ", ".join(f"ptr %h.{name}" for name in names)
        self.emit(f"call void @{function}(ptr %h.out, {arguments})", cold)
        return self.op("load i256, ptr %h.out, align 8", cold)

    def addmod(self, a, b, n) -> str:
        """ADDMOD in line when both operands are below the modulus (field arithmetic; a zero modulus
        is never above them): their sum, less the modulus if the exact sum reaches it (it is below
        twice the modulus: one subtraction, wrapping back if the sum carried past 2**256). Other
        operands take the limb helper, out of line. bench/mulmod_speed.py: ADDMOD 22 -> 4 ns."""
        below = self.op(f"and i1 {self.op(f'icmp ult i256 {a}, {n}')}, {self.op(f'icmp ult i256 {b}, {n}')}")
        fast, slow, done = self.label("addmod.fast"), self.label("addmod.slow"), self.label("addmod.done")
        self.emit(f"br i1 {below}, label %{fast}, label %{slow}, !prof !2")
        self.start(slow, cold=True)
        called = self.helper("evm_addmod", a, b, n, cold=True)
        self.emit(f"br label %{done}", cold=True)
        self.start(fast)
        total = self.op(f"add i256 {a}, {b}")  # past 2**256 (carried) or at the modulus: subtract it
        reaches = self.op(f"or i1 {self.op(f'icmp ult i256 {total}, {a}')}, {self.op(f'icmp uge i256 {total}, {n}')}")
        result = self.op(f"select i1 {reaches}, i256 {self.op(f'sub i256 {total}, {n}')}, i256 {total}")
        self.emit(f"br label %{done}")
        self.start(done)
        return self.op(f"phi i256 [ {result}, %{fast} ], [ {called}, %{slow} ]")

    def mulmod(self, a, b, n) -> str:
        """MULMOD by mulmod_ir's function (the limb helper's work in registers, the reciprocal cached
        in this function's frame; a modulus below 2**192 goes on to the helper from there).
        bench/mulmod_speed.py: MULMOD 79 -> 33 ns (docs/jit-arithmetic.md)."""
        self.mulmod_used = True
        return self.op(f"call i256 @{mulmod_ir.NAME}(i256 {a}, i256 {b}, i256 {n}, ptr %mulmod.cache)")

    def charge(self, cost: str, position: int, out_of_gas: str) -> None:
        """Charge dynamic gas at body instruction `position`. The block has already charged the
        static gas of the rest, so what is left must cover `cost`: if it covers the cost but not
        the rest, the reference runs out of gas a few instructions later in the block, and the
        frame ends the same way (out of gas, all gas used) as failing here."""
        left = self.op("load i64, ptr %gas.a")
        self.check(self.op(f"icmp sgt i64 {cost}, {left}"), out_of_gas)
        self.emit(f"store i64 {self.op(f'sub i64 {left}, {cost}')}, ptr %gas.a")

    def available(self, position: int) -> str:
        """The exact gas left at body instruction `position` (the block charged the rest's static gas)."""
        return self.op(f"add i64 {self.op('load i64, ptr %gas.a')}, {self.rest_after(position)}")

    def sload(self, position: int, instruction: Instruction) -> None:
        """SLOAD of a slot in the state's storage table through helpers.evm_sload (the kernel's own
        code: the cold access charged and the slot warmed natively); a slot the table does not hold
        goes to the kernel, which leaves it to the host."""
        s = self.stack
        self.emit(f"store i256 {s.peek(0)}, ptr %h.a, align 8")
        cost = self.op(f"call i64 @evm_sload(ptr %words, ptr %control, ptr %h.a, i64 {self.available(position)})")
        self.check(self.op(f"icmp slt i64 {cost}, 0"), self.bail(position))
        self.charge(cost, position, self.failure(Status.OUT_OF_GAS, instruction.pc))
        s.pop()
        s.push(self.op("load i256, ptr %h.a, align 8"))

    def sstore(self, position: int, instruction: Instruction) -> None:
        """SSTORE of a slot in the state's storage table, natively (helpers.evm_sstore, the kernel's
        own code); anything else (a slot the table does not hold, a static frame, the stipend guard)
        goes to the kernel, which leaves it to the host."""
        s = self.stack
        self.emit(f"store i256 {s.peek(0)}, ptr %h.a, align 8")
        self.emit(f"store i256 {s.peek(1)}, ptr %h.b, align 8")
        cost = self.op(f"call i64 @evm_sstore(ptr %words, ptr %control, ptr %h.a, ptr %h.b, i64 {self.available(position)})")
        self.check(self.op(f"icmp slt i64 {cost}, 0"), self.bail(position))
        self.charge(cost, position, self.failure(Status.OUT_OF_GAS, instruction.pc))
        s.pop(), s.pop()

    def log(self, position: int, instruction: Instruction) -> None:
        """LOG0-LOG4 into the native log buffer (helpers.evm_log, the kernel's own code), growing
        memory inside the buffer; a log that does not fit, a static frame or memory past the buffer
        goes to the kernel."""
        s = self.stack
        for index in range(instruction.inputs):
            row = self.op(f"getelementptr inbounds [6 x i256], ptr %h.log, i64 0, i64 {index}")
            self.emit(f"store i256 {s.peek(index)}, ptr {row}, align 8")
        cost = self.op(f"call i64 @evm_log(ptr %words, ptr %control, ptr %memory, i64 %capacity, ptr %msize.a, "
                       f"ptr %h.log, i64 {instruction.inputs - 2}, i64 {self.available(position)})")
        self.check(self.op(f"icmp slt i64 {cost}, 0"), self.bail(position))
        self.charge(cost, position, self.failure(Status.OUT_OF_GAS, instruction.pc))
        for _ in range(instruction.inputs):
            s.pop()

    def copy(self, position: int, instruction: Instruction) -> None:
        """CODECOPY and CALLDATACOPY of a non-empty range inside the source (the kernel does the
        rest: empty copies, zero padding, offsets past 2**32)."""
        s = self.stack
        destination, source, size = s.peek(0), s.peek(1), s.peek(2)
        either = self.op(f"or i256 {source}, {size}")
        small = self.op(f"icmp ult i256 {self.op(f'or i256 {destination}, {either}')}, 4294967296")
        count, start = self.op(f"trunc i256 {size} to i64"), self.op(f"trunc i256 {source} to i64")
        if instruction.mnemonic == "CODECOPY":
            base, length = "%code", str(len(self.g.analysis.code))
        else:
            base, length = "%data", "%cds"
        usable = self.op(f"and i1 {small}, {self.op(f'icmp ne i64 {count}, 0')}")
        self.check(self.op(f"xor i1 {usable}, true"), self.bail(position))
        words = self.op(f"lshr i64 {self.op(f'add i64 {count}, 31')}, 5")
        copying = self.op(f"mul i64 {words}, {gas.COPY_WORD}")
        available = self.op(f"add i64 {self.op('load i64, ptr %gas.a')}, {self.rest_after(position)}")
        self.check(self.op(f"icmp sgt i64 {copying}, {available}"), self.failure(Status.OUT_OF_GAS, instruction.pc))
        target = self.memory(destination, count, position, extra=copying)
        # The source reads as zeros past its end.
        within = self.op(f"icmp ult i64 {start}, {length}")
        present = self.op(f"call i64 @llvm.umin.i64(i64 {self.op(f'sub i64 {length}, {start}')}, i64 {count})")
        present = self.op(f"select i1 {within}, i64 {present}, i64 0")
        origin = self.op(f"getelementptr i8, ptr {base}, i64 {self.op(f'select i1 {within}, i64 {start}, i64 0')}")
        self.emit(f"call void @llvm.memcpy.p0.p0.i64(ptr {target}, ptr {origin}, i64 {present}, i1 false)")
        padding = self.op(f"getelementptr i8, ptr {target}, i64 {present}")
        self.emit(f"call void @llvm.memset.p0.i64(ptr {padding}, i8 0, i64 {self.op(f'sub i64 {count}, {present}')}, "
                  "i1 false)")
        s.pop(), s.pop(), s.pop()

    def memory_copy(self, position: int, instruction: Instruction) -> None:
        """MCOPY of a non-empty range with offsets and size below 2**32 (the kernel does the rest):
        memory grows to cover the farther of the two ranges, then the bytes move (they may overlap).
        Compiled because Vyper and Solidity emit it for every dynamic array and string they pass on:
        handing each to the kernel cost a round trip of two native entries."""
        s = self.stack
        destination, source, size = s.peek(0), s.peek(1), s.peek(2)
        either = self.op(f"or i256 {source}, {size}")
        small = self.op(f"icmp ult i256 {self.op(f'or i256 {destination}, {either}')}, 4294967296")
        count = self.op(f"trunc i256 {size} to i64")
        usable = self.op(f"and i1 {small}, {self.op(f'icmp ne i64 {count}, 0')}")
        self.check(self.op(f"xor i1 {usable}, true"), self.bail(position))
        target, start = self.op(f"trunc i256 {destination} to i64"), self.op(f"trunc i256 {source} to i64")
        words = self.op(f"lshr i64 {self.op(f'add i64 {count}, 31')}, 5")
        copying = self.op(f"mul i64 {words}, {gas.COPY_WORD}")
        available = self.op(f"add i64 {self.op('load i64, ptr %gas.a')}, {self.rest_after(position)}")
        self.check(self.op(f"icmp sgt i64 {copying}, {available}"), self.failure(Status.OUT_OF_GAS, instruction.pc))
        farthest = self.op(f"call i64 @llvm.umax.i64(i64 {target}, i64 {start})")
        self.memory(self.op(f"zext i64 {farthest} to i256"), count, position, extra=copying)
        into = self.op(f"getelementptr inbounds i8, ptr %memory, i64 {target}")
        origin = self.op(f"getelementptr inbounds i8, ptr %memory, i64 {start}")
        self.emit(f"call void @llvm.memmove.p0.p0.i64(ptr {into}, ptr {origin}, i64 {count}, i1 false)")
        s.pop(), s.pop(), s.pop()

    def leave_with_output(self, position: int, instruction: Instruction) -> None:
        """RETURN and REVERT: the frame ends here, with no round trip through the kernel (which would
        cost every call a few microseconds). An empty output, or one at an offset or of a size of
        2**32 or more, is left to the kernel."""
        s = self.stack
        status = Status.SUCCESS if instruction.mnemonic == "RETURN" else Status.REVERT
        offset, size = s.peek(0), s.peek(1)
        small = self.op(f"icmp ult i256 {self.op(f'or i256 {offset}, {size}')}, 4294967296")
        count = self.op(f"trunc i256 {size} to i64")
        usable = self.op(f"and i1 {small}, {self.op(f'icmp ne i64 {count}, 0')}")
        self.check(self.op(f"xor i1 {usable}, true"), self.bail(position))
        self.memory(offset, count, position)
        start = self.op(f"trunc i256 {offset} to i64")
        self.finish(status, instruction.pc + 1, cold=False, out_offset=start, out_size=count)

    def keccak256(self, position: int, instruction: Instruction) -> None:
        """KECCAK256 of a non-empty region below 2**32 (the kernel hashes the empty one)."""
        s = self.stack
        offset, size = s.peek(0), s.peek(1)
        small = self.op(f"icmp ult i256 {self.op(f'or i256 {offset}, {size}')}, 4294967296")
        count = self.op(f"trunc i256 {size} to i64")
        usable = self.op(f"and i1 {small}, {self.op(f'icmp ne i64 {count}, 0')}")
        self.check(self.op(f"xor i1 {usable}, true"), self.bail(position))
        words = self.op(f"lshr i64 {self.op(f'add i64 {count}, 31')}, 5")
        hashing = self.op(f"mul i64 {words}, {gas.KECCAK256_WORD}")
        available = self.op(f"add i64 {self.op('load i64, ptr %gas.a')}, {self.rest_after(position)}")
        self.check(self.op(f"icmp sgt i64 {hashing}, {available}"), self.failure(Status.OUT_OF_GAS, instruction.pc))
        self.memory(offset, count, position, extra=hashing)
        start = self.op(f"trunc i256 {offset} to i64")
        self.emit(f"call void @evm_keccak256(ptr %h.out, ptr %memory, i64 {start}, i64 {count})")
        s.pop(), s.pop()
        s.push(self.op("load i256, ptr %h.out, align 8"))

    def memory(self, offset, size, position: int, extra: str | None = None) -> str:
        """The address of memory[offset : offset + size], expanding memory (with its gas) inside the
        buffer; past the buffer, at an offset of 2**32 or more, or when the gas does not cover
        the expansion, the kernel takes over before anything is charged (and fails exactly where
        the reference does: one cold exit per access rather than a bail and an out-of-gas exit,
        which the backend paid for at every access). `extra` is gas to charge with the
        expansion (a copy's, already known to be payable on its own).

        The expansion is computed without branching (its cost is zero when memory does not grow),
        and only the failures leave: a slow path that joined the hot one again at every access
        was most of the backend's time (measured on snailtracer: 4.4 s against 2.8 s)."""
        if extra is None and self.known_inside(offset, size):
            start = offset if isinstance(offset, int) else self.op(f"trunc i256 {offset} to i64")
            return self.op(f"getelementptr inbounds i8, ptr %memory, i64 {start}")
        small = self.op(f"icmp ult i256 {offset}, 4294967296")
        start = self.op(f"trunc i256 {offset} to i64")
        if self.compact:
            self.expand_out_of_line(small, start, size, position, extra)
        else:
            self.expand_inline(small, start, size, position, extra)
        if isinstance(size, int):
            if isinstance(offset, int):
                self.covered_end = max(self.covered_end, offset + size)
            else:
                self.covered.add((offset, size))
        return self.op(f"getelementptr inbounds i8, ptr %memory, i64 {start}")

    def expand_inline(self, small: str, start: str, size, position: int, extra: str | None) -> None:
        """Memory expansion to start + size, computed here (the OPTIMIZED tier: no call)."""
        end = self.op(f"add i64 {start}, {size}")
        msize, left = self.op("load i64, ptr %msize.a"), self.op("load i64, ptr %gas.a")
        old_words = self.op(f"lshr i64 {msize}, 5")
        needed = self.op(f"lshr i64 {self.op(f'add i64 {end}, 31')}, 5")
        new_words = self.op(f"call i64 @llvm.umax.i64(i64 {old_words}, i64 {needed})")
        linear = self.op(f"mul i64 {self.op(f'sub i64 {new_words}, {old_words}')}, {gas.MEMORY_WORD}")
        quadratic = [self.op(f"udiv i64 {self.op(f'mul i64 {words}, {words}')}, {gas.MEMORY_QUADRATIC_DIVISOR}")
                     for words in (new_words, old_words)]
        cost = self.op(f"add i64 {linear}, {self.op(f'sub i64 {quadratic[0]}, {quadratic[1]}')}")
        if extra is not None:
            cost = self.op(f"add i64 {cost}, {extra}")
        after = self.op(f"sub i64 {left}, {cost}")
        unpayable = self.op(f"icmp slt i64 {after}, 0")  # as in charge(): the rest is already paid
        beyond = self.op(f"or i1 {self.op(f'xor i1 {small}, true')}, {self.op(f'icmp ugt i64 {end}, %capacity')}")
        self.check(self.op(f"or i1 {unpayable}, {beyond}"), self.bail(position))
        self.emit(f"store i64 {after}, ptr %gas.a")
        self.emit(f"store i64 {self.op(f'shl i64 {new_words}, 5')}, ptr %msize.a")

    def expand_out_of_line(self, small: str, start: str, size, position: int, extra: str | None) -> None:
        """Memory expansion to start + size by a call of @expand_memory (MEMORY_EXPANSION): the QUICK
        tier, whose compile time grows with the instructions; a memory-heavy contract has
        thousands of accesses, each two dozen instructions inline (memory_grow_mstore: 40% of
        its IR)."""
        outcome = self.op(f"call i64 @expand_memory(i1 {small}, i64 {start}, i64 {size}, i64 {extra or 0}, "
                          "ptr %msize.a, ptr %gas.a, i64 %capacity)")
        self.check(self.op(f"icmp ne i64 {outcome}, 0"), self.bail(position))

    def access_through_rows(self, position: int, name: str) -> None:
        """MLOAD, MSTORE or MSTORE8 by a call of its helper (MEMORY_ACCESSES), which reads the
        operands from the stack rows and expands memory: the compact form's access, a few
        instructions where the inline one has the i256 compare, byte swap and store and a cold
        exit that stores the block's changed rows (memory_grow_mstore's QUICK tier: 4,096
        accesses, the bails alone a third of its instruction selection). The rows are stored
        before the call instead (the kernel, if the helper declines, finds the stack as it was
        before the instruction), and a declined access goes straight to the function's
        `interpreting` tail with this instruction's exit row."""
        s, block = self.stack, self.block
        offset = s.peek(0)
        s.flush()
        s.dirty.clear()
        self.emit(f"store i64 {self.exit_row(block.body[position].pc, block.count - position, block.gas - block.prefix_gas[position])}, "
                  "ptr %exit.a")
        outcome = self.op(f"call i64 @{MEMORY_ACCESSES[name]}(ptr {self.row(s.height - 1)}, ptr %memory, i64 %capacity, "
                          "ptr %msize.a, ptr %gas.a)")
        self.check(self.op(f"icmp ne i64 {outcome}, 0"), "interpreting")
        size = 1 if name == "MSTORE8" else 32
        if isinstance(offset, int):
            self.covered_end = max(self.covered_end, offset + size)
        else:
            self.covered.add((offset, size))
        s.pop()
        if name == "MLOAD":  # the helper wrote the word into the offset's row: read when used
            s.values.pop(s.height, None)
            s.height += 1
        else:
            s.pop()

    def known_inside(self, offset, size) -> bool:
        """Whether an earlier access in this block already made memory[offset : offset + size] part
        of msize (on every path that reaches here: the others left the block)."""
        if not isinstance(size, int):
            return False
        if isinstance(offset, int):
            return offset + size <= self.covered_end
        return (offset, size) in self.covered or (size == 1 and (offset, 32) in self.covered)

    def jump(self, target, pc: int) -> None:
        """Continue at the JUMPDEST `target` (the stack is flushed), or fail with INVALID_JUMP."""
        if isinstance(target, int):
            if target in self.g.analysis.jumpdests:
                self.emit(f"br label %{self.goto(target)}")
            else:
                self.emit(f"br label %{self.failure(Status.INVALID_JUMP, pc)}")
            return
        small = self.op(f"icmp ult i256 {target}, {len(self.g.analysis.code)}")
        inside = self.label("jump")
        self.emit(f"br i1 {small}, label %{inside}, label %{self.failure(Status.INVALID_JUMP, pc)}")
        self.start(inside)
        self.emit(f"store i64 {self.op(f'trunc i256 {target} to i64')}, ptr %target.a")
        self.emit("br label %dispatch")
        self.dispatch_used = True

    def dispatch(self) -> list[str]:
        """The one switch every dynamic jump of the function goes through: to a JUMPDEST of this
        function, to evm_enter for one elsewhere, or INVALID_JUMP."""
        here = sorted(pc for pc in self.pcs if pc in self.g.analysis.jumpdests)
        cases = " ".join(f"i64 {pc}, label %b{pc}" for pc in here)
        row = len(self.g.analysis.code) + L.CODE_PADDING
        return ["dispatch:", "  %target = load i64, ptr %target.a",
                f"  switch i64 %target, label %elsewhere [ {cases} ]",
                "elsewhere:", f"  %flag.i = add i64 %target, {row}",
                "  %flag.p = getelementptr inbounds i8, ptr %code, i64 %flag.i", "  %flag = load i8, ptr %flag.p",
                "  %valid = icmp ne i8 %flag, 0", "  br i1 %valid, label %away, label %invalid",
                "away:", "  store i64 %target, ptr %pc.a", f"  store i64 {CONTINUE}, ptr %ret.a", "  br label %leave",
                "invalid:", f"  %status.p = getelementptr inbounds i64, ptr %control, i64 {L.STATUS}",
                f"  store i64 {int(Status.INVALID_JUMP)}, ptr %status.p",
                f"  %exit.p = getelementptr inbounds i64, ptr %control, i64 {L.EXIT}",
                f"  store i64 {L.EXIT_DONE}, ptr %exit.p", f"  store i64 {DONE}, ptr %ret.a", "  br label %leave"]


class ModuleGenerator:
    """The whole module: the parts and `evm_enter`."""

    def __init__(self, analysis: CodeAnalysis, blocks_per_function: int | None = None, compact: bool = False,
                 counting: bool = False, cold_parts: frozenset[int] = frozenset()):
        self.analysis = analysis
        self.compact = compact  # the QUICK tier's smaller code (FunctionWriter.expand_out_of_line)
        self.counting = counting  # count each function's instructions in WORK_COUNTERS
        self.cold_parts = cold_parts  # functions written compact (and compiled as QUICK: compile.py)
        blocks = list(analysis.blocks)
        limit = blocks_per_function or BLOCKS_PER_FUNCTION
        self.parts = [blocks[part.start : part.stop] for part in partition(len(blocks), limit)]
        self.part_of = {block.start: index for index, part in enumerate(self.parts) for block in part}
        # Stack rows (relative to a block's entry height) known to hold constants at its entry, by
        # block start (FunctionWriter.pass_constants); blocks are written in code order.
        self.entry_constants: dict[int, dict[int, int]] = {}

    def module(self) -> str:
        from jitvm.jit import symbols

        writers = [FunctionWriter(self, index, part) for index, part in enumerate(self.parts)]
        functions = [writer.write() for writer in writers]
        mulmod = ([mulmod_ir.DECLARATIONS, mulmod_ir.DEFINITION] if any(writer.mulmod_used for writer in writers)
                  else [])
        prelude = ("declare i256 @llvm.bswap.i256(i256)\ndeclare i256 @llvm.ctlz.i256(i256, i1)\n"
                   "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n"
                   "declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1)\n"
                   "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)\ndeclare i64 @llvm.umin.i64(i64, i64)\n"
                   "declare i64 @llvm.umax.i64(i64, i64)\n"
                   + symbols.declarations(HELPERS))
        expansion = ([MEMORY_EXPANSION, *map(_memory_access, MEMORY_ACCESSES)]
                     if self.compact or self.cold_parts else [])
        counters = f"@{WORK_COUNTERS} = global [{len(self.parts)} x i64] zeroinitializer"
        return "\n".join([prelude, counters, *runtime_ir.FUNCTIONS, *mulmod, *expansion, *functions, self.enter(),
                          runtime_ir.METADATA])

    def enter(self) -> str:
        size = len(self.analysis.code) + 1
        owner = [-1] * size
        for index, part in enumerate(self.parts):
            for block in part:
                owner[block.start] = index
        table = ", ".join(f"i32 {value}" for value in owner)
        lines = [f"@part_of = private unnamed_addr constant [{size} x i32] [{table}]",
                 f"define i64 @{ENTRY}({_ARGUMENTS}) {{", "entry:", "  br label %loop", "loop:",
                 "  %pc = load i64, ptr %control",
                 f"  %inside = icmp ult i64 %pc, {size}",
                 "  br i1 %inside, label %lookup, label %interpret",
                 "lookup:",
                 f"  %owner.p = getelementptr inbounds [{size} x i32], ptr @part_of, i64 0, i64 %pc",
                 "  %owner = load i32, ptr %owner.p",
                 f"  switch i32 %owner, label %interpret [ "
                 f"{' '.join(f'i32 {index}, label %call{index}' for index in range(len(self.parts)))} ]"]
        for index in range(len(self.parts)):
            lines += [f"call{index}:",
                      f"  %s{index} = call i64 @evm_part{index}({_PASS})",
                      f"  %again{index} = icmp eq i64 %s{index}, {CONTINUE}",
                      f"  br i1 %again{index}, label %loop, label %return{index}",
                      f"return{index}:", f"  ret i64 %s{index}"]
        lines += ["interpret:", f"  %steps.p = getelementptr inbounds i64, ptr %control, i64 {L.STEPS}",
                  "  store i64 1, ptr %steps.p", f"  ret i64 {INTERPRET}", "}"]
        return "\n".join(lines) + "\n"


def worth_compiling(analysis: CodeAnalysis) -> bool:
    """Whether compiled code can be expected to run the code at least as fast as the baseline kernel
    (see MIN_INSTRUCTIONS_PER_JUMP)."""
    return analysis.jumps < DECLINE_FROM_JUMPS or analysis.instructions_per_jump >= MIN_INSTRUCTIONS_PER_JUMP


def generate(analysis: CodeAnalysis, blocks_per_function: int | None = None, compact: bool = False,
             counting: bool = False, cold_parts: frozenset[int] = frozenset()) -> str | None:
    """LLVM IR for the analysed code, or None if it is not worth compiling (the baseline runs it);
    `compact`: for the QUICK tier (fewer instructions to compile, a call where the OPTIMIZED tier
    computes inline); `counting`: count each function's instructions (WORK_COUNTERS);
    `cold_parts`: the indexes of the functions to write compact in an OPTIMIZED module."""
    if not worth_compiling(analysis):
        return None
    return ModuleGenerator(analysis, blocks_per_function, compact, counting, cold_parts).module()


def function_name(index: int) -> str:
    """The LLVM name of the function holding part `index` of the blocks."""
    return f"evm_part{index}"

