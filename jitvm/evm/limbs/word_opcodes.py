"""Which word kernel computes each EVM arithmetic, comparison and bitwise opcode.

Each kernel takes the opcode's inputs in the order the EVM pops them (top of the stack first) and
returns its one output; stack effects and gas stay in the opcode table.
"""

from jitvm.evm.limbs.uint256 import add, eq, exp, gt, iszero, lt, mul, sgt, slt, sub
from jitvm.evm.limbs.uint256_bits import and_, byte, not_, or_, sar, shl, shr, signextend, xor
from jitvm.evm.limbs.uint256_div import addmod, div, mod, mulmod, sdiv, smod

WORD_KERNELS = {
    "ADD": add,
    "MUL": mul,
    "SUB": sub,
    "DIV": div,
    "SDIV": sdiv,
    "MOD": mod,
    "SMOD": smod,
    "ADDMOD": addmod,
    "MULMOD": mulmod,
    "EXP": exp,
    "SIGNEXTEND": signextend,
    "LT": lt,
    "GT": gt,
    "SLT": slt,
    "SGT": sgt,
    "EQ": eq,
    "ISZERO": iszero,
    "AND": and_,
    "OR": or_,
    "XOR": xor,
    "NOT": not_,
    "BYTE": byte,
    "SHL": shl,
    "SHR": shr,
    "SAR": sar,
}
