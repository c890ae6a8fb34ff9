"""Random EVM test cases: a few contracts calling each other, and one transaction into the first.

Valid-biased: a contract is a list of pieces, and every piece leaves the stack as it found it, so
programs run far instead of ending at the first instruction. Pieces store to memory (growing it),
storage and transient storage, log, call each other, the precompiles and an empty account with
value, copy return data, and jump to real JUMPDESTs (loops are counted, so they end). A few pieces
break the rules on purpose (an undefined opcode, a jump into data, a stack underflow) so the error
paths are exercised too, and one program in ten has one byte replaced by any byte (a mutation: it
may break the stack balance, turn data into code or code into PUSH data).

A case is plain data (`EvmCase`), so it pickles to workers and shrinks by dropping pieces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from jitvm.evm.opcodes import opcode_table

OP = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}

# The state tests' usual sender: its secret key goes into reproducer files, so other clients can replay them.
CALLER_SECRET_KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
CALLER = bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
COINBASE = bytes.fromhex("c01b000000000000000000000000000000c01b00")
EMPTY_ACCOUNT = bytes.fromhex("e0a0000000000000000000000000000000e0a000")
CONTRACTS = tuple(bytes.fromhex(f"c0de{index:036x}") for index in range(1, 5))
CALLER_BALANCE = 10**24
# Precompile address -> input sizes worth trying (blake2f wants exactly 213 bytes, the point
# evaluation 192); the input is whatever memory holds there.
PRECOMPILE_INPUTS = {
    1: (128, 0, 32), 2: (0, 32, 100), 3: (0, 32, 100), 4: (0, 1, 64, 200), 5: (96, 99, 128, 0),
    6: (128, 0, 64), 7: (96, 0, 64), 8: (0, 192, 384), 9: (213, 212, 0), 10: (192, 0),
}
EDGE_WORDS = (0, 1, 2, 3, 7, 31, 32, 255, 256, 2**64 - 1, 2**64, 2**128, 2**255, 2**255 - 1, 2**256 - 1,
              2**256 - 2)
BINARY_OPS = ("ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "EXP", "SIGNEXTEND", "LT", "GT", "SLT", "SGT",
              "EQ", "AND", "OR", "XOR", "BYTE", "SHL", "SHR", "SAR")
UNARY_OPS = ("ISZERO", "NOT")
TERNARY_OPS = ("ADDMOD", "MULMOD")
CONTEXT_OPS = ("ADDRESS", "ORIGIN", "CALLER", "CALLVALUE", "CALLDATASIZE", "CODESIZE", "RETURNDATASIZE",
               "SELFBALANCE", "GAS", "PC", "MSIZE", "GASPRICE", "CHAINID", "PUSH0")  # not BASEFEE: pyrevm reads 0
SLOTS = 8
MEMORY_SCRATCH = 0x400  # pieces write results below this; loop counters live just above it


@dataclass(frozen=True)
class Piece:
    """A stack-balanced run of code, a JUMPDEST with a label, or a jump to a label."""

    code: bytes = b""
    label: int | None = None  # this piece is a JUMPDEST named `label`
    jump_to: int | None = None  # this piece jumps to the JUMPDEST named `jump_to`
    jump_prefix: bytes = b""  # code pushing the JUMPI condition (empty: an unconditional JUMP)


@dataclass(frozen=True)
class EvmCase:
    contracts: tuple[tuple[Piece, ...], ...]  # pieces of CONTRACTS[i]
    storage: tuple[tuple[tuple[int, int], ...], ...]  # starting storage of CONTRACTS[i]
    balances: tuple[int, ...]
    calldata: bytes
    value: int
    gas: int
    seed: int = 0
    notes: tuple[str, ...] = field(default=(), compare=False)

    def codes(self) -> tuple[bytes, ...]:
        return tuple(assemble(pieces) for pieces in self.contracts)

    def pieces(self) -> list[tuple[int, Piece]]:
        return [(index, piece) for index, pieces in enumerate(self.contracts) for piece in pieces]

    def with_pieces(self, kept: list[tuple[int, Piece]]) -> "EvmCase":
        contracts = [[] for _ in self.contracts]
        for index, piece in kept:
            contracts[index].append(piece)
        return replace(self, contracts=tuple(tuple(pieces) for pieces in contracts))


def push(value: int) -> bytes:
    value %= 1 << 256
    if value == 0:
        return bytes([OP["PUSH0"]])
    size = (value.bit_length() + 7) // 8
    return bytes([OP["PUSH1"] + size - 1]) + value.to_bytes(size, "big")


def ops(*parts) -> bytes:
    """Bytecode from mnemonics, ints (pushed with the shortest PUSH) and raw bytes."""
    out = bytearray()
    for part in parts:
        if isinstance(part, str):
            out.append(OP[part])
        elif isinstance(part, bytes):
            out += part
        else:
            out += push(part)
    return bytes(out)


JUMP_SIZE = 4  # PUSH2 hi lo JUMP(I)


def assemble(pieces) -> bytes:
    """The code of a contract; a jump whose JUMPDEST was dropped (while shrinking) is left out."""
    labels = {piece.label for piece in pieces if piece.label is not None}
    kept = [piece for piece in pieces if piece.jump_to is None or piece.jump_to in labels]
    offsets, position = {}, 0
    for piece in kept:
        if piece.label is not None:
            offsets[piece.label] = position
            position += 1
        elif piece.jump_to is not None:
            position += len(piece.jump_prefix) + JUMP_SIZE
        else:
            position += len(piece.code)
    code = bytearray()
    for piece in kept:
        if piece.label is not None:
            code.append(OP["JUMPDEST"])
        elif piece.jump_to is not None:
            target = offsets[piece.jump_to] if piece.jump_to >= 0 else -piece.jump_to  # negative: a raw offset
            code += piece.jump_prefix + bytes([OP["PUSH2"]]) + (target % 65536).to_bytes(2, "big")
            code.append(OP["JUMPI"] if piece.jump_prefix else OP["JUMP"])
        else:
            code += piece.code
    return bytes(code)


class _Generator:
    def __init__(self, rng: random.Random, contract: int, contracts: int):
        self.rng = rng
        self.contract = contract
        self.contracts = contracts
        self.labels: list[int] = []
        self.next_label = contract * 1000

    # operands
    def word(self) -> int:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(EDGE_WORDS)
        if roll < 0.8:
            return rng.randrange(300)
        return rng.getrandbits(rng.choice((8, 64, 160, 256)))

    def offset(self) -> int:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            return rng.randrange(0, MEMORY_SCRATCH, rng.choice((1, 32)))
        if roll < 0.995:
            return rng.randrange(MEMORY_SCRATCH, 24_000)
        return rng.choice((2**32, 2**64 - 1, 2**255))  # out of gas

    def size(self) -> int:
        rng = self.rng
        return rng.choice((0, 1, 20, 32, 33, 64, 100, rng.randrange(300)))

    def address(self) -> int:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:
            return int.from_bytes(CONTRACTS[rng.randrange(self.contracts)], "big")
        if roll < 0.7:
            return rng.randrange(1, 11)  # a precompile
        if roll < 0.85:
            return int.from_bytes(EMPTY_ACCOUNT, "big")
        return int.from_bytes(rng.choice((CALLER, COINBASE)), "big")

    def store_result(self) -> bytes:
        return ops(self.rng.randrange(0, MEMORY_SCRATCH, 32), "MSTORE") if self.rng.random() < 0.7 else ops("POP")

    # pieces
    def piece(self) -> Piece:
        rng = self.rng
        kinds = (self.arithmetic, self.arithmetic, self.context, self.memory, self.memory, self.copy,
                 self.storage, self.storage, self.log, self.call, self.call, self.precompile, self.account,
                 self.jumpdest, self.jump, self.jump, self.loop, self.rule_breaker)
        weights = (6, 4, 3, 4, 3, 3, 4, 2, 2, 3, 2, 2, 2, 3, 2, 1, 1, 0.3)
        return rng.choices(kinds, weights)[0]()

    def arithmetic(self) -> Piece:
        rng = self.rng
        arity = rng.choices((1, 2, 3), (1, 6, 1))[0]
        name = rng.choice({1: UNARY_OPS, 2: BINARY_OPS, 3: TERNARY_OPS}[arity])
        return Piece(b"".join(push(self.word()) for _ in range(arity)) + ops(name) + self.store_result())

    def context(self) -> Piece:
        return Piece(ops(self.rng.choice(CONTEXT_OPS)) + self.store_result())

    def memory(self) -> Piece:
        rng = self.rng
        kind = rng.choice(("MSTORE", "MSTORE8", "MLOAD", "CALLDATALOAD", "KECCAK256"))
        if kind == "MLOAD":
            return Piece(ops(self.offset(), "MLOAD") + self.store_result())
        if kind == "CALLDATALOAD":
            return Piece(ops(rng.choice((0, 4, 32, 60, 2**64)), "CALLDATALOAD") + self.store_result())
        if kind == "KECCAK256":
            return Piece(ops(self.size(), self.offset(), "KECCAK256") + self.store_result())
        return Piece(ops(self.word(), self.offset(), kind))

    def copy(self) -> Piece:
        rng = self.rng
        kind = rng.choice(("CALLDATACOPY", "CODECOPY", "RETURNDATACOPY", "MCOPY", "EXTCODECOPY"))
        if kind == "RETURNDATACOPY":  # mostly in bounds: size from RETURNDATASIZE
            if rng.random() < 0.85:
                return Piece(ops("RETURNDATASIZE", 0, self.offset(), "RETURNDATACOPY"))
            return Piece(ops(self.size(), rng.choice((0, 1, 32)), self.offset(), "RETURNDATACOPY"))
        if kind == "EXTCODECOPY":
            return Piece(ops(self.size(), rng.randrange(64), self.offset(), self.address(), "EXTCODECOPY"))
        return Piece(ops(self.size(), rng.choice((0, 1, 5, 32, 90)), self.offset(), kind))

    def storage(self) -> Piece:
        rng = self.rng
        slot = rng.randrange(SLOTS)
        kind = rng.choice(("SSTORE", "SSTORE", "SLOAD", "TSTORE", "TLOAD"))
        if kind in ("SLOAD", "TLOAD"):
            return Piece(ops(slot, kind) + self.store_result())
        value = rng.choice((0, 0, 1, 2, self.word()))
        return Piece(ops(value, slot, kind))

    def log(self) -> Piece:
        rng = self.rng
        topics = rng.randrange(5)
        return Piece(ops(*[self.word() for _ in range(topics)], self.size(), self.offset(), f"LOG{topics}"))

    def account(self) -> Piece:
        kind = self.rng.choice(("BALANCE", "EXTCODESIZE", "EXTCODEHASH"))
        address = self.address()
        if kind == "BALANCE" and address == int.from_bytes(CALLER, "big"):
            # The sender's balance during the call is not comparable with pyrevm: a transaction has
            # bought its gas by then, a pyrevm call buys none (found by this fuzzer, seed 8589942671).
            address = int.from_bytes(EMPTY_ACCOUNT, "big")
        return Piece(ops(address, kind) + self.store_result())

    def _call(self, to: int, args_size: int) -> Piece:
        rng = self.rng
        kind = rng.choices(("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"), (5, 2, 2, 1))[0]
        out_offset, out_size = rng.randrange(0, MEMORY_SCRATCH, 32), rng.choice((0, 32, 64))
        args_offset = rng.randrange(0, MEMORY_SCRATCH - 256)
        value = rng.choice((0, 0, 0, 1, 1000, 10**17)) if kind in ("CALL", "CALLCODE") else None
        # Gas: a share of what is left (so deep call chains end), a constant, or a stipend-sized one.
        gas = rng.choice((ops("GAS", rng.choice((2, 3, 4)), "SWAP1", "DIV"), ops(rng.choice((0, 2300, 30_000))),
                          ops("GAS")))
        operands = [out_size, out_offset, args_size, args_offset] + ([value] if value is not None else [])
        return Piece(ops(*operands, to) + gas + ops(kind) + self.store_result())

    def call(self) -> Piece:
        return self._call(self.address(), self.size())

    def precompile(self) -> Piece:
        address = self.rng.randrange(1, 11)
        return self._call(address, self.rng.choice(PRECOMPILE_INPUTS[address]))

    def jumpdest(self) -> Piece:
        label = self.next_label
        self.next_label += 1
        self.labels.append(label)
        return Piece(label=label)

    def jump(self) -> Piece:
        """A jump (forward or back) to a JUMPDEST made so far or to come; conditional or not."""
        rng = self.rng
        if rng.random() < 0.5 or not self.labels:
            target = self.next_label + rng.randrange(3)  # a label that may come later (else dropped)
        else:
            target = rng.choice(self.labels)
        backward = target in self.labels
        if backward:  # may loop forever: only with a condition that changes, see `loop`
            return self.loop(target)
        prefix = push(rng.choice((0, 1, self.word()))) if rng.random() < 0.6 else b""
        return Piece(jump_to=target, jump_prefix=prefix)

    def loop(self, target: int | None = None) -> Piece:
        """Back to a JUMPDEST while a counter in memory stays below a bound."""
        rng = self.rng
        if target is None:
            if not self.labels:
                return self.jumpdest()
            target = rng.choice(self.labels)
        counter = MEMORY_SCRATCH + 32 * (target % 16)
        bound = rng.choice((1, 2, 5, 20))
        prefix = ops(counter, "MLOAD", 1, "ADD", "DUP1", counter, "MSTORE", bound, "GT")
        return Piece(jump_to=target, jump_prefix=prefix)

    def rule_breaker(self) -> Piece:
        rng = self.rng
        kind = rng.choice(("undefined", "bad_jump", "underflow", "invalid", "selfdestruct", "stop", "revert"))
        if kind == "undefined":
            return Piece(bytes([rng.choice((0x0C, 0x21, 0xA5, 0xEF, 0xF6, 0xFC))]))
        if kind == "bad_jump":
            return Piece(jump_to=-rng.randrange(1, 64), jump_prefix=push(rng.choice((0, 1))))
        if kind == "underflow":
            return Piece(ops("POP"))
        if kind == "invalid":
            return Piece(ops("INVALID"))
        if kind == "selfdestruct":
            return Piece(ops(self.address(), "SELFDESTRUCT"))
        if kind == "stop":
            return Piece(ops("STOP"))
        return Piece(ops(self.size(), self.offset(), "REVERT"))

    def ending(self) -> Piece:
        rng = self.rng
        kind = rng.choices(("RETURN", "REVERT", "STOP", "none"), (6, 1, 1, 1))[0]
        if kind == "none":
            return Piece(b"")
        if kind == "STOP":
            return Piece(ops("STOP"))
        return Piece(ops(rng.choice((0, 32, 64, 96)), rng.randrange(0, 256, 32), kind))


def generate_case(seed: int) -> EvmCase:
    """The case for `seed` (the same seed gives the same case on every machine)."""
    rng = random.Random(seed)
    count = rng.choice((1, 2, 2, 3, 4))
    contracts, storage = [], []
    with_storage = rng.random() < 0.5
    for index in range(count):
        generator = _Generator(rng, index, count)
        pieces = [generator.piece() for _ in range(rng.randrange(3, 40))]
        pieces.append(generator.ending())
        if rng.random() < 0.1:  # a mutated program: one byte of one piece replaced by any byte
            candidates = [i for i, piece in enumerate(pieces) if piece.code]
            if candidates:
                index = rng.choice(candidates)
                code = bytearray(pieces[index].code)
                code[rng.randrange(len(code))] = rng.randrange(256)
                pieces[index] = Piece(bytes(code))
        contracts.append(tuple(pieces))
        # Starting storage in half the cases only: pyrevm cannot be given storage that is not warm
        # (docs/pyrevm-compat.md), so it is compared on the other half.
        slots = rng.randrange(4) if with_storage else 0
        storage.append(tuple(sorted({(rng.randrange(SLOTS), rng.choice((1, 2, 2**255))) for _ in range(slots)})))
    balances = tuple(rng.choice((0, 1, 10**18)) for _ in range(count))
    calldata = rng.randbytes(rng.choice((0, 4, 32, 68, rng.randrange(200))))
    value = rng.choice((0, 0, 1, 10**18))
    gas = 21_000 + 16 * len(calldata) + rng.choices((0, 500, 5_000, 50_000, 200_000, 400_000, 1_000_000),
                                                     (1, 1, 1, 3, 6, 5, 3))[0]
    return EvmCase(tuple(contracts), tuple(storage), balances, calldata, value, gas, seed)
