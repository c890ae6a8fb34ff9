"""SDIV and SMOD of operands that fit in 64 bits, in line (the OPTIMIZED tier's code generator).

Fixed-point Solidity (snailtracer: 258k SDIVs a call, 230k of them in one Newton square-root loop)
divides small signed numbers. The limb helper (evm_sdiv) costs about 250 CPU instructions a call
plus the operands' round trip through memory; a 64-bit division is one instruction. Operands that
are not sign-extended 64-bit values, on either side, still call the helper.

EVM semantics on the 64-bit path (the values are exact: a 64-bit operand's i256 is its sign
extension):
- a zero divisor gives 0 (SDIV and SMOD);
- a divisor of -1: SDIV is the negation, computed on i256 so that -(-2**63) = 2**63 is exact,
  SMOD is 0; neither reaches the machine division, which traps on INT64_MIN / -1;
- otherwise SDIV truncates toward zero and SMOD takes the numerator's sign, as LLVM's sdiv and
  srem do.
"""

from __future__ import annotations

FAST_PATH = {"SDIV": "sdiv", "SMOD": "srem"}


def signed_division(writer, name: str, a, b, helper: str) -> str:
    """`name` (SDIV or SMOD) of the i256 operands `a` (numerator) and `b` on `writer` (a
    codegen.FunctionWriter): the 64-bit division when both fit, else a call of `helper`."""
    w = writer
    fits = []
    narrow = {}
    for label, value in (("a", a), ("b", b)):
        low = w.op(f"trunc i256 {value} to i64")
        narrow[label] = low
        if not (isinstance(value, int) and -(1 << 63) <= _signed(value) < (1 << 63)):
            fits.append(w.op(f"icmp eq i256 {w.op(f'sext i64 {low} to i256')}, {value}"))
    fast, slow, done = w.label("sdiv.fast"), w.label("sdiv.slow"), w.label("sdiv.done")
    both = fits[0] if fits else "true"
    for other in fits[1:]:
        both = w.op(f"and i1 {both}, {other}")
    w.emit(f"br i1 {both}, label %{fast}, label %{slow}, !prof !2")
    w.start(slow, cold=True)
    called = w.helper(helper, a, b, cold=True)
    w.emit(f"br label %{done}", cold=True)
    w.start(fast)
    numerator, divisor = narrow["a"], narrow["b"]
    zero = w.op(f"icmp eq i64 {divisor}, 0")
    minus_one = w.op(f"icmp eq i64 {divisor}, -1")
    safe = w.op(f"select i1 {w.op(f'or i1 {zero}, {minus_one}')}, i64 1, i64 {divisor}")
    quotient = w.op(f"sext i64 {w.op(f'{FAST_PATH[name]} i64 {numerator}, {safe}')} to i256")
    if name == "SDIV":  # x / -1 = -x (exact on i256, also for -2**63); x / 0 = 0
        negated = w.op(f"sub i256 0, {w.op(f'sext i64 {numerator} to i256')}")
        quotient = w.op(f"select i1 {minus_one}, i256 {negated}, i256 {quotient}")
        quotient = w.op(f"select i1 {zero}, i256 0, i256 {quotient}")
    # SMOD: x % 1 = 0 covers both the zero divisor and -1.
    w.emit(f"br label %{done}")
    w.start(done)
    return w.op(f"phi i256 [ {quotient}, %{fast} ], [ {called}, %{slow} ]")


def _signed(value: int) -> int:
    """An i256 constant (as the stack holds it: 0 <= value < 2**256) as a signed number."""
    return value - (1 << 256) if value >= 1 << 255 else value
