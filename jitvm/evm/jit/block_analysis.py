"""Block analysis of EVM code for the JIT, from the opcode table (as evmone's advanced analysis).

A block is a straight run of instructions the JIT compiles, optionally ended by one instruction it
leaves to the baseline kernel (a "kernel tail": host instructions, copies, KECCAK256, RETURN...).
Blocks begin at pc 0, at every JUMPDEST, after every jump or terminator and after every kernel
instruction, so the compiled code always resumes at a block start when the kernel hands back.

Per block, over its compiled instructions only (the kernel tail is checked by the kernel itself):
the static gas they charge, the stack height they need at entry (so none underflows) and the
largest height they reach above the entry height (so none overflows). If the block's entry check
passes, no compiled instruction of the block can fail a static check; if it fails, the kernel runs
the whole block and fails exactly where the reference does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jitvm.evm.jumpdests import jump_destinations
from jitvm.evm.opcodes import JUMP, TERMINATES, opcode_table
from jitvm.jit.blocks import find_leaders, split_blocks

# Instructions the code generator compiles (codegen.py has a method for each, or for its family).
COMPILED = frozenset({
    "STOP", "ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "ADDMOD", "MULMOD", "EXP", "SIGNEXTEND",
    "LT", "GT", "SLT", "SGT", "EQ", "ISZERO", "AND", "OR", "XOR", "NOT", "BYTE", "SHL", "SHR", "SAR", "CLZ",
    "ADDRESS", "ORIGIN", "CALLER", "CALLVALUE", "GASPRICE", "COINBASE", "TIMESTAMP", "NUMBER",
    "PREVRANDAO", "GASLIMIT", "CHAINID", "BASEFEE", "BLOBBASEFEE",
    "KECCAK256", "SLOAD", "CALLDATALOAD", "CALLDATASIZE", "CALLDATACOPY", "CODESIZE", "CODECOPY", "RETURNDATASIZE",
    "POP", "MLOAD", "MSTORE", "MSTORE8", "JUMP", "JUMPI", "PC", "MSIZE", "GAS", "JUMPDEST", "PUSH0",
    "RETURN", "REVERT", "SSTORE", "LOG0", "LOG1", "LOG2", "LOG3", "LOG4", "MCOPY",
})
COMPILED_FAMILIES = ("PUSH", "DUP", "SWAP")
MAX_BLOCK_INSTRUCTIONS = 64  # longer runs are cut into blocks of this many instructions
MAX_BLOCK_EXITS = 4  # and runs with more compiled instructions that may leave mid-block
MAY_LEAVE = frozenset({"KECCAK256", "SLOAD", "MLOAD", "MSTORE", "MSTORE8", "CALLDATALOAD", "EXP", "CODECOPY", "CALLDATACOPY",
                       "MCOPY", "RETURN", "REVERT", "SSTORE", "LOG0", "LOG1", "LOG2", "LOG3", "LOG4"})


@dataclass(frozen=True)
class Instruction:
    pc: int
    byte: int
    mnemonic: str | None  # None: undefined in this fork
    immediate: int  # the PUSH value (zero-padded past the end of the code), else 0
    static_gas: int
    inputs: int
    outputs: int
    compiled: bool


@dataclass(frozen=True)
class BlockInfo:
    start: int
    end: int  # pc after the block's last instruction (where execution falls through)
    body: tuple[Instruction, ...]  # the compiled instructions
    tail: Instruction | None  # the instruction left to the kernel, if the block ends with one
    gas: int  # static gas of the body
    prefix_gas: tuple[int, ...]  # static gas of the first i body instructions, i = 0..len(body)
    stack_needed: int  # height the body needs at entry
    stack_growth: int  # the most the body raises the height above its entry height

    @property
    def count(self) -> int:
        """Instructions the kernel runs when it takes the whole block over."""
        return len(self.body) + (self.tail is not None)


@dataclass(frozen=True)
class CodeAnalysis:
    code: bytes
    fork: str
    blocks: tuple[BlockInfo, ...]
    jumpdests: frozenset[int]

    @property
    def jumps(self) -> int:
        """The code's JUMP and JUMPI instructions."""
        return sum(1 for block in self.blocks if block.body and block.body[-1].mnemonic in ("JUMP", "JUMPI"))

    @property
    def instructions_per_jump(self) -> float:
        """Instructions of the code per JUMP or JUMPI in it (infinite without any): how much work
        the compiled code does, on average, between two jumps."""
        jumps = self.jumps
        return sum(block.count for block in self.blocks) / jumps if jumps else float("inf")


def is_compiled(mnemonic: str | None) -> bool:
    return mnemonic is not None and (mnemonic in COMPILED or mnemonic.startswith(COMPILED_FAMILIES))


def decode(code: bytes, fork: str) -> list[Instruction]:
    table = opcode_table(fork)
    size_of = opcode_table("Cancun").immediate_size  # as jitvm.evm.jumpdests: immediates of every fork
    instructions = []
    pc = 0
    while pc < len(code):
        byte = code[pc]
        size = int(size_of[byte])
        opcode = table[byte]
        immediate = int.from_bytes(code[pc + 1 : pc + 1 + size].ljust(size, b"\0"), "big") if size else 0
        if opcode is None:
            instructions.append(Instruction(pc, byte, None, 0, 0, 0, 0, False))
        else:
            instructions.append(Instruction(pc, byte, opcode.mnemonic, immediate, opcode.static_gas,
                                            opcode.inputs, opcode.outputs, is_compiled(opcode.mnemonic)))
        pc += 1 + size
    return instructions


def _ends_block(instruction: Instruction, flags) -> bool:
    return not instruction.compiled or bool(flags[instruction.byte] & (JUMP | TERMINATES))


@lru_cache(maxsize=256)
def analyse(code: bytes, fork: str) -> CodeAnalysis:
    instructions = decode(code, fork)
    flags = opcode_table(fork).flags
    jumpdests = jump_destinations(code)
    starts = [instruction.pc for instruction in instructions]
    leaders = find_leaders(starts, jump_targets=jumpdests,
                           ends_block=[i.pc for i in instructions if _ends_block(i, flags)])
    block_map = split_blocks(starts, len(code), leaders) if starts else None
    blocks = []
    runs = []
    for block in block_map.blocks if block_map else ():
        members = [instructions[index] for index in block.instructions]
        # Long straight runs are cut: LLVM's passes are superlinear in the size of a basic block.
        # So are runs with many instructions that may leave mid-block: each such exit stores the
        # block's stack so far, which is quadratic in the run's length.
        run, exits = [], 0
        for instruction in members:
            if len(run) == MAX_BLOCK_INSTRUCTIONS or exits == MAX_BLOCK_EXITS:
                runs.append(run)
                run, exits = [], 0
            run.append(instruction)
            exits += instruction.mnemonic in MAY_LEAVE
        runs.append(run)
    for members in runs:
        end = members[-1].pc + 1 + int(opcode_table("Cancun").immediate_size[members[-1].byte])
        tail = None if members[-1].compiled else members[-1]
        body = tuple(members[:-1] if tail else members)
        assert all(instruction.compiled for instruction in body)
        prefix, height, needed, growth = [0], 0, 0, 0
        for instruction in body:
            prefix.append(prefix[-1] + instruction.static_gas)
            needed = max(needed, instruction.inputs - height)
            height += instruction.outputs - instruction.inputs
            growth = max(growth, height)
        blocks.append(BlockInfo(members[0].pc, end, body, tail, prefix[-1], tuple(prefix), needed, growth))
    return CodeAnalysis(code, fork, tuple(blocks), jumpdests)
