"""SDIV and SMOD of operands that fit in 64 or 128 bits, in line (the OPTIMIZED tier's code
generator).

Fixed-point Solidity (snailtracer: 258k SDIVs a call, 230k of them in one Newton square-root loop,
x / z with x of 64-80 bits and z of 32-64) divides small signed numbers. The limb helper
(evm_sdiv) costs about 230 CPU instructions a call plus the operands' round trip through memory.
When both operands are sign-extended 64-bit values the division is one machine instruction; when
both are sign-extended 128-bit values it is LLVM's i128 division (libgcc's __divti3/__modti3,
jitvm.jit.compiler_rt: one or two 128/64-bit machine divisions for a divisor of 64 bits). Wider
operands still call the helper.

EVM semantics on the narrow paths (the values are exact: a narrow operand's i256 is its sign
extension):
- a zero divisor gives 0 (SDIV and SMOD);
- a divisor of -1: SDIV is the negation, computed on i256 so that -(-2**(n-1)) = 2**(n-1) is exact,
  SMOD is 0; neither reaches the machine division, which traps (or, for i128, is undefined) on
  the most negative value / -1;
- otherwise SDIV truncates toward zero and SMOD takes the numerator's sign, as LLVM's sdiv and
  srem do.
"""

from __future__ import annotations

FAST_PATH = {"SDIV": "sdiv", "SMOD": "srem"}
WIDTHS = (64, 128)


def signed_division(writer, name: str, a, b, helper: str) -> str:
    """`name` (SDIV or SMOD) of the i256 operands `a` (numerator) and `b` on `writer` (a
    codegen.FunctionWriter): a 64-bit division when both fit, else a 128-bit one when both fit,
    else a call of `helper` (out of line)."""
    w = writer
    done = w.label("sdiv.done")
    incoming = []
    for width in WIDTHS:
        narrow = {label: w.op(f"trunc i256 {value} to i{width}") for label, value in (("a", a), ("b", b))}
        fits = [w.op(f"icmp eq i256 {w.op(f'sext i{width} {narrow[label]} to i256')}, {value}")
                for label, value in (("a", a), ("b", b)) if not _fits(value, width)]
        both = fits[0] if fits else "true"
        for other in fits[1:]:
            both = w.op(f"and i1 {both}, {other}")
        fast, wider = w.label(f"sdiv.fast{width}"), w.label(f"sdiv.wide{width}")
        w.emit(f"br i1 {both}, label %{fast}, label %{wider}")
        w.start(fast)
        incoming.append((_narrow_division(w, name, narrow["a"], narrow["b"], width), fast))
        w.emit(f"br label %{done}")
        w.start(wider, cold=width == WIDTHS[-1])  # the helper's call: with the function's cold paths
    incoming.append((w.helper(helper, a, b, cold=True), wider))
    w.emit(f"br label %{done}", cold=True)
    w.start(done)
    return w.op("phi i256 " + ", ".join(f"[ {value}, %{label} ]" for value, label in incoming))


def _narrow_division(w, name: str, numerator: str, divisor: str, width: int) -> str:
    """The i256 result of `name` on operands narrowed to i`width` (they fit: see the module)."""
    zero = w.op(f"icmp eq i{width} {divisor}, 0")
    minus_one = w.op(f"icmp eq i{width} {divisor}, -1")
    safe = w.op(f"select i1 {w.op(f'or i1 {zero}, {minus_one}')}, i{width} 1, i{width} {divisor}")
    result = w.op(f"sext i{width} {w.op(f'{FAST_PATH[name]} i{width} {numerator}, {safe}')} to i256")
    if name == "SDIV":  # x / -1 = -x (exact on i256, also for the most negative x); x / 0 = 0
        negated = w.op(f"sub i256 0, {w.op(f'sext i{width} {numerator} to i256')}")
        result = w.op(f"select i1 {minus_one}, i256 {negated}, i256 {result}")
        result = w.op(f"select i1 {zero}, i256 0, i256 {result}")
    # SMOD: x % 1 = 0 covers both the zero divisor and -1.
    return result


def _fits(value, width: int) -> bool:
    """Whether `value` is a constant whose signed value fits in `width` bits (no check needed)."""
    if not isinstance(value, int):
        return False
    signed = value - (1 << 256) if value >= 1 << 255 else value
    return -(1 << (width - 1)) <= signed < 1 << (width - 1)
