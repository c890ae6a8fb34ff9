"""MULMOD in LLVM IR for the OPTIMIZED tier: a modulus of 193 bits or more (its top limb not zero),
with the reciprocal of its normalized top two limbs cached per compiled function.

The limb helper (jitvm.evm.limbs.uint256_div.mulmod, called out of line through memory) costs about
75 ns; most of it is algorithm D's quotient estimates (Knuth's q-hat, a 2-by-1 divide and up to two
corrections in a loop) and the reciprocal, which it computes again on every call. Here:

- the 512-bit product is sixteen 64x64 -> 128 multiplies, shifted left by the modulus's leading
  zeros (funnel shifts, no wide variable shift);
- each of the (four or) five quotient limbs comes from Möller and Granlund's 3-by-2 division
  ("Improved division by invariant integers", IEEE Trans. Computers, 2011, algorithm 5), which is
  exact for the top three limbs over the divisor's top two and so at most one too large for the
  whole divisor: the rest of the step multiplies the quotient by the divisor's low two limbs only and
  adds the divisor back at most once (no loop; the unlikely corrections are branches, off the
  critical path of the next step);
- the first step is skipped when the top five limbs of the shifted product are already below the
  divisor (always, when both factors are below the modulus: field arithmetic);
- the reciprocal (algorithm 6, from algorithm 2's 2-by-1 reciprocal, a seed table and Newton steps)
  depends only on the modulus, and field arithmetic uses one modulus again and again: the caller
  passes a three-word cache (normalized top limb, next limb, reciprocal) that lives in its stack
  frame, keyed by the two limbs. A normalized top limb has its top bit set, so a zero key never
  matches and the caller only zeroes it on entry. Nothing is allocated and nothing is shared between
  threads.

3-by-2 division needs (u2:u1) < (d1:d0); when the running remainder's top two limbs equal the
divisor's (about 2**-128 for random operands, but a program can choose them), the step takes
Knuth's q-hat = 2**64 - 1 and adds the divisor back up to twice, in a cold block.

Moduli below 2**192 and a zero modulus go on to the limb helper from inside the function, so that a
MULMOD is one call in straight-line code at its site (a branch there, at every MULMOD of a large
code, cost weierstrudel's OPTIMIZED compile 50% more CPU time: more basic blocks for i256 values to
live across). Results equal the limb helper's bit for bit (tests/evm/test_jit_mulmod.py holds both
to Python's `(a * b) % n`).
"""

from __future__ import annotations

NAME = "evm_mulmod_wide"
CACHE_WORDS = 3  # normalized top limb, next limb, reciprocal
WIDE_FROM = 1 << 192  # the smallest modulus computed here (top limb not zero)
HELPER = "evm_mulmod"  # the limb helper that takes the others (declared by the module: codegen.HELPERS)

# v0 of the 2-by-1 reciprocal by the divisor's top 9 bits minus 256: floor((2^19 - 3 * 2^8) / d9)
# (as jitvm.evm.limbs.word64's table).
_SEEDS = ", ".join(f"i16 {(2**19 - 3 * 2**8) // top9}" for top9 in range(256, 512))

_RECIPROCAL = f"""@mulmod.seeds = private unnamed_addr constant [256 x i16] [{_SEEDS}]
define internal i64 @mulmod_reciprocal_2by1(i64 %d) noinline {{
  %lowest = and i64 %d, 1
  %d40 = lshr i64 %d, 24
  %top40 = add i64 %d40, 1
  %half = lshr i64 %d, 1
  %half.up = add i64 %half, %lowest
  %top9 = lshr i64 %d, 55
  %index = sub i64 %top9, 256
  %seed.p = getelementptr inbounds [256 x i16], ptr @mulmod.seeds, i64 0, i64 %index
  %seed16 = load i16, ptr %seed.p
  %v0 = zext i16 %seed16 to i64
  %v0.sq = mul i64 %v0, %v0
  %v0.sq.d = mul i64 %v0.sq, %top40
  %v0.term = lshr i64 %v0.sq.d, 40
  %v0.shifted = shl i64 %v0, 11
  %v1.a = sub i64 %v0.shifted, %v0.term
  %v1 = sub i64 %v1.a, 1
  %v1.d = mul i64 %v1, %top40
  %e1 = sub i64 1152921504606846976, %v1.d
  %v1.e = mul i64 %v1, %e1
  %v1.term = lshr i64 %v1.e, 47
  %v1.shifted = shl i64 %v1, 13
  %v2 = add i64 %v1.shifted, %v1.term
  %mask = sub i64 0, %lowest
  %v2.half = lshr i64 %v2, 1
  %e2.a = and i64 %v2.half, %mask
  %v2.h = mul i64 %v2, %half.up
  %e2 = sub i64 %e2.a, %v2.h
  %v2.w = zext i64 %v2 to i128
  %e2.w = zext i64 %e2 to i128
  %v2e2 = mul i128 %v2.w, %e2.w
  %v2e2.hw = lshr i128 %v2e2, 64
  %v2e2.h = trunc i128 %v2e2.hw to i64
  %v2e2.term = lshr i64 %v2e2.h, 1
  %v2.shifted = shl i64 %v2, 31
  %v3 = add i64 %v2.shifted, %v2e2.term
  %v3.w = zext i64 %v3 to i128
  %d.w = zext i64 %d to i128
  %v3d = mul i128 %v3.w, %d.w
  %v3d.plus = add i128 %v3d, %d.w
  %v3d.hw = lshr i128 %v3d.plus, 64
  %v3d.h = trunc i128 %v3d.hw to i64
  %v4.a = sub i64 %v3, %v3d.h
  %v4 = sub i64 %v4.a, %d
  ret i64 %v4
}}
define internal i64 @mulmod_reciprocal_3by2(i64 %d1, i64 %d0) noinline {{
entry:
  %v = call i64 @mulmod_reciprocal_2by1(i64 %d1)
  %p.a = mul i64 %d1, %v
  %p = add i64 %p.a, %d0
  %carried = icmp ult i64 %p, %d0
  br i1 %carried, label %adjust, label %second
adjust:
  %twice = icmp uge i64 %p, %d1
  %v.less = sub i64 %v, 1
  %v.less2 = sub i64 %v, 2
  %v.adj = select i1 %twice, i64 %v.less2, i64 %v.less
  %p.less = sub i64 %p, %d1
  %p.adj1 = select i1 %twice, i64 %p.less, i64 %p
  %p.adj = sub i64 %p.adj1, %d1
  br label %second
second:
  %v.1 = phi i64 [ %v, %entry ], [ %v.adj, %adjust ]
  %p.1 = phi i64 [ %p, %entry ], [ %p.adj, %adjust ]
  %v.w = zext i64 %v.1 to i128
  %d0.w = zext i64 %d0 to i128
  %t = mul i128 %v.w, %d0.w
  %t.hw = lshr i128 %t, 64
  %t1 = trunc i128 %t.hw to i64
  %t0 = trunc i128 %t to i64
  %p.2 = add i64 %p.1, %t1
  %carried2 = icmp ult i64 %p.2, %t1
  %v.2 = sub i64 %v.1, 1
  %p.2w = zext i64 %p.2 to i128
  %p.2s = shl i128 %p.2w, 64
  %t0.w = zext i64 %t0 to i128
  %pt = or i128 %p.2s, %t0.w
  %d1.w = zext i64 %d1 to i128
  %d1.s = shl i128 %d1.w, 64
  %dd = or i128 %d1.s, %d0.w
  %again = icmp uge i128 %pt, %dd
  %v.3 = sub i64 %v.1, 2
  %v.4 = select i1 %again, i64 %v.3, i64 %v.2
  %v.5 = select i1 %carried2, i64 %v.4, i64 %v.1
  ret i64 %v.5
}}
"""


def _limb(word: str, index: int, out: str) -> list[str]:
    """`out` = limb `index` (0 lowest) of the i256 `word`."""
    if index == 0:
        return [f"  {out} = trunc i256 {word} to i64"]
    return [f"  {out}.sh = lshr i256 {word}, {64 * index}", f"  {out} = trunc i256 {out}.sh to i64"]


def _product() -> list[str]:
    """%x0 .. %x7: the limbs of the 512-bit product %a * %b, by schoolbook rows of 128-bit
    multiply-adds (each a * b + addend + carry fits 128 bits)."""
    lines = []
    for i in range(4):
        lines += _limb("%a", i, f"%a{i}") + _limb("%b", i, f"%b{i}")
        lines += [f"  %a{i}.w = zext i64 %a{i} to i128", f"  %b{i}.w = zext i64 %b{i} to i128"]
    current = {}  # column -> name of the running limb (i64)
    for i in range(4):
        carry = None
        for j in range(4):
            name = f"%m{i}{j}"
            lines.append(f"  {name} = mul i128 %a{i}.w, %b{j}.w")
            total = name
            if (i + j) in current:
                lines += [f"  {name}.addend = zext i64 {current[i + j]} to i128",
                          f"  {name}.p = add i128 {total}, {name}.addend"]
                total = f"{name}.p"
            if carry is not None:
                lines += [f"  {name}.c = add i128 {total}, {carry}"]
                total = f"{name}.c"
            lines += [f"  {name}.lo = trunc i128 {total} to i64", f"  {name}.hs = lshr i128 {total}, 64"]
            current[i + j] = f"{name}.lo"
            carry = f"{name}.hs"
        lines.append(f"  %row{i}.top = trunc i128 {carry} to i64")
        current[i + 4] = f"%row{i}.top"
    for column in range(8):
        lines.append(f"  %x{column} = add i64 {current[column]}, 0")
    return lines


def _step(index: int, remainder: str, limb: str) -> list[str]:
    """One quotient limb of algorithm D: `%r{index}` = ((remainder << 64) | limb) mod %D, for an
    i256 `remainder` below %D and an i64 `limb`. Leaves the current basic block at label
    `step{index}.done`."""
    p = f"%s{index}."
    lines = []
    for limb_index, name in ((3, "u2"), (2, "u1"), (1, "u0"), (0, "low")):
        lines += _limb(remainder, limb_index, f"{p}{name}")
    lines += [
        f"  {p}equal3 = icmp eq i64 {p}u2, %d3", f"  {p}equal2 = icmp eq i64 {p}u1, %d2",
        f"  {p}equal = and i1 {p}equal3, {p}equal2",
        f"  br i1 {p}equal, label %step{index}.rare, label %step{index}.usual, !prof !1",
        f"step{index}.usual:",
        # 3-by-2 division of (u2:u1:u0) by (d3:d2): quotient q, remainder rhat (exact).
        f"  {p}u2.w = zext i64 {p}u2 to i128", f"  {p}u1.w = zext i64 {p}u1 to i128",
        f"  {p}vu2 = mul i128 %v.w, {p}u2.w",
        f"  {p}u2.s = shl i128 {p}u2.w, 64", f"  {p}u21 = or i128 {p}u2.s, {p}u1.w",
        f"  {p}q = add i128 {p}vu2, {p}u21",
        f"  {p}q1.s = lshr i128 {p}q, 64", f"  {p}q1 = trunc i128 {p}q1.s to i64", f"  {p}q0 = trunc i128 {p}q to i64",
        f"  {p}q1d3 = mul i64 {p}q1, %d3", f"  {p}r1 = sub i64 {p}u1, {p}q1d3",
        f"  {p}q1.w = zext i64 {p}q1 to i128", f"  {p}t = mul i128 %d2.w, {p}q1.w",
        f"  {p}r1.w = zext i64 {p}r1 to i128", f"  {p}r1.s = shl i128 {p}r1.w, 64",
        f"  {p}u0.w = zext i64 {p}u0 to i128", f"  {p}r1u0 = or i128 {p}r1.s, {p}u0.w",
        f"  {p}r.a = sub i128 {p}r1u0, {p}t", f"  {p}r.b = sub i128 {p}r.a, %dd",
        f"  {p}rb.s = lshr i128 {p}r.b, 64", f"  {p}rb1 = trunc i128 {p}rb.s to i64",
        f"  {p}q.b = add i64 {p}q1, 1",
        f"  {p}back = icmp uge i64 {p}rb1, {p}q0",
        f"  {p}q.c1 = sub i64 {p}q.b, 1", f"  {p}q.c = select i1 {p}back, i64 {p}q.c1, i64 {p}q.b",
        f"  {p}r.c1 = add i128 {p}r.b, %dd", f"  {p}r.c = select i1 {p}back, i128 {p}r.c1, i128 {p}r.b",
        # Rarely still at or above the divisor: a branch, not a select, so that the next
        # multiplies need not wait for the comparison (bench/mulmod_speed.py: 37 -> 33 ns).
        f"  {p}over = icmp uge i128 {p}r.c, %dd",
        f"  br i1 {p}over, label %step{index}.over, label %step{index}.estimated, !prof !1",
        f"step{index}.over:",
        f"  {p}q.d1 = add i64 {p}q.c, 1", f"  {p}r.d1 = sub i128 {p}r.c, %dd",
        f"  br label %step{index}.estimated",
        f"step{index}.estimated:",
        f"  {p}q.d = phi i64 [ {p}q.c, %step{index}.usual ], [ {p}q.d1, %step{index}.over ]",
        f"  {p}rhat = phi i128 [ {p}r.c, %step{index}.usual ], [ {p}r.d1, %step{index}.over ]",
        # (rhat : low : limb) - q * (d1:d0): below zero at most by %D (q at most one too large).
        f"  {p}rhat.w = zext i128 {p}rhat to i256", f"  {p}rhat.s = shl i256 {p}rhat.w, 128",
        f"  {p}low.w = zext i64 {p}low to i256", f"  {p}low.s = shl i256 {p}low.w, 64",
        f"  {p}limb.w = zext i64 {limb} to i256",
        f"  {p}t.a = or i256 {p}rhat.s, {p}low.s", f"  {p}top = or i256 {p}t.a, {p}limb.w",
        f"  {p}qd.w = zext i64 {p}q.d to i128",
        f"  {p}qd0 = mul i128 {p}qd.w, %d0.w", f"  {p}qd1 = mul i128 {p}qd.w, %d1.w",
        f"  {p}qd0.w = zext i128 {p}qd0 to i256", f"  {p}qd1.w = zext i128 {p}qd1 to i256",
        f"  {p}qd1.s = shl i256 {p}qd1.w, 64", f"  {p}qdl = add i256 {p}qd0.w, {p}qd1.s",
        f"  {p}diff = sub i256 {p}top, {p}qdl",
        f"  {p}negative = icmp ult i256 {p}top, {p}qdl",  # the quotient was one too large (rare)
        f"  br i1 {p}negative, label %step{index}.back, label %step{index}.done, !prof !1",
        f"step{index}.back:",
        f"  {p}fixed = add i256 {p}diff, %D",
        f"  br label %step{index}.done",
        # Knuth's q-hat = 2^64 - 1, at most two too large: W - q * D, plus D while below zero.
        f"step{index}.rare:",
        f"  {p}w.r = zext i256 {remainder} to i320", f"  {p}w.s = shl i320 {p}w.r, 64",
        f"  {p}limb.r = zext i64 {limb} to i320", f"  {p}w = or i320 {p}w.s, {p}limb.r",
        f"  {p}D.r = zext i256 %D to i320", f"  {p}D.s = shl i320 {p}D.r, 64", f"  {p}qD = sub i320 {p}D.s, {p}D.r",
        f"  {p}n0 = sub i320 {p}w, {p}qD",
        f"  {p}neg0 = icmp slt i320 {p}n0, 0", f"  {p}n1.a = add i320 {p}n0, {p}D.r",
        f"  {p}n1 = select i1 {p}neg0, i320 {p}n1.a, i320 {p}n0",
        f"  {p}neg1 = icmp slt i320 {p}n1, 0", f"  {p}n2.a = add i320 {p}n1, {p}D.r",
        f"  {p}n2 = select i1 {p}neg1, i320 {p}n2.a, i320 {p}n1",
        f"  {p}rare = trunc i320 {p}n2 to i256",
        f"  br label %step{index}.done",
        f"step{index}.done:",
        (f"  %r{index} = phi i256 [ {p}diff, %step{index}.estimated ], [ {p}fixed, %step{index}.back ], "
         f"[ {p}rare, %step{index}.rare ]"),
    ]
    return lines


def _function() -> str:
    lines = [f"define internal i256 @{NAME}(i256 %a, i256 %b, i256 %n, ptr %cache) noinline {{", "entry:",
             "  %h = alloca [4 x i256], align 8",
             f"  %wide = icmp uge i256 %n, {WIDE_FROM}", "  br i1 %wide, label %product, label %narrow, !prof !2",
             # A smaller or zero modulus: the limb helper, through memory (its operands' order: out, a, b, n).
             "narrow:"]
    for index, name in enumerate(("out", "a", "b", "n")):
        lines.append(f"  %h.{name} = getelementptr inbounds [4 x i256], ptr %h, i64 0, i64 {index}")
    lines += [f"  store i256 %{name}, ptr %h.{name}, align 8" for name in ("a", "b", "n")]
    lines += [f"  call void @{HELPER}(ptr %h.out, ptr %h.a, ptr %h.b, ptr %h.n)",
              "  %narrow.result = load i256, ptr %h.out, align 8", "  ret i256 %narrow.result", "product:"]
    lines += _product()
    # Normalize: D = n << s with its top bit set; X = product << s, nine limbs %y0 .. %y8. Every
    # shift is of 64-bit limbs by s < 64 (funnel shifts): an i256 shift by a variable amount is
    # about 20 instructions, since LLVM does not know that s is below 64.
    for index in range(4):
        lines += _limb("%n", index, f"%n{index}")
    lines += ["  %s = call i64 @llvm.ctlz.i64(i64 %n3, i1 true)", "  %d0 = shl i64 %n0, %s"]
    lines += [f"  %d{k} = call i64 @llvm.fshl.i64(i64 %n{k}, i64 %n{k - 1}, i64 %s)" for k in range(1, 4)]
    lines += _word("%d0", "%d1", "%d2", "%d3", "D")
    lines += ["  %d0.w = zext i64 %d0 to i128", "  %d1.w = zext i64 %d1 to i128", "  %d2.w = zext i64 %d2 to i128",
              "  %d3.w = zext i64 %d3 to i128", "  %d3.s = shl i128 %d3.w, 64", "  %dd = or i128 %d3.s, %d2.w"]
    lines += ["  %y0 = shl i64 %x0, %s"]
    lines += [f"  %y{k} = call i64 @llvm.fshl.i64(i64 %x{k}, i64 %x{k - 1}, i64 %s)" for k in range(1, 8)]
    lines += ["  %y8 = call i64 @llvm.fshl.i64(i64 0, i64 %x7, i64 %s)"]
    # The reciprocal of (d3:d2), from the cache if it holds these two limbs.
    lines += ["  %key3.p = getelementptr inbounds i64, ptr %cache, i64 0", "  %key3 = load i64, ptr %key3.p",
              "  %key2.p = getelementptr inbounds i64, ptr %cache, i64 1", "  %key2 = load i64, ptr %key2.p",
              "  %v.p = getelementptr inbounds i64, ptr %cache, i64 2",
              "  %hit3 = icmp eq i64 %key3, %d3", "  %hit2 = icmp eq i64 %key2, %d2", "  %hit = and i1 %hit3, %hit2",
              "  br i1 %hit, label %cached, label %miss, !prof !2",
              "miss:", "  %v.new = call i64 @mulmod_reciprocal_3by2(i64 %d3, i64 %d2)",
              "  store i64 %d3, ptr %key3.p", "  store i64 %d2, ptr %key2.p", "  store i64 %v.new, ptr %v.p",
              "  br label %known",
              "cached:", "  %v.old = load i64, ptr %v.p", "  br label %known",
              "known:", "  %v = phi i64 [ %v.new, %miss ], [ %v.old, %cached ]", "  %v.w = zext i64 %v to i128"]
    # The top five limbs: already below D (skip a step), or the top four (always below D) and a step.
    top4 = _word("%y5", "%y6", "%y7", "%y8", "top4")
    lines += top4
    lines += ["  %top5.h = zext i256 %top4 to i320", "  %top5.s = shl i320 %top5.h, 64",
              "  %top5.l = zext i64 %y4 to i320", "  %top5 = or i320 %top5.s, %top5.l",
              "  %D.320 = zext i256 %D to i320", "  %small = icmp ult i320 %top5, %D.320",
              "  br i1 %small, label %skip, label %step0", "skip:", "  %skipped = trunc i320 %top5 to i256",
              "  br label %steps", "step0:"]
    lines += _step(0, "%top4", "%y4")
    lines += ["  br label %steps", "steps:", "  %r.in = phi i256 [ %skipped, %skip ], [ %r0, %step0.done ]"]
    previous = "%r.in"
    for index, limb in zip(range(1, 5), ("%y3", "%y2", "%y1", "%y0")):
        lines += _step(index, previous, limb)
        previous = f"%r{index}"
    for index in range(4):
        lines += _limb(previous, index, f"%f{index}")
    lines += [f"  %g{k} = call i64 @llvm.fshr.i64(i64 %f{k + 1}, i64 %f{k}, i64 %s)" for k in range(3)]
    lines += ["  %g3 = lshr i64 %f3, %s"]
    lines += _word("%g0", "%g1", "%g2", "%g3", "result")
    lines += ["  ret i256 %result", "}"]
    return "\n".join(lines) + "\n"


def _word(l0: str, l1: str, l2: str, l3: str, out: str) -> list[str]:
    """`%out` = the i256 of four i64 limbs, lowest first."""
    lines = []
    for index, limb in enumerate((l0, l1, l2, l3)):
        lines.append(f"  %{out}.{index} = zext i64 {limb} to i256")
        if index:
            lines.append(f"  %{out}.{index}s = shl i256 %{out}.{index}, {64 * index}")
    lines += [f"  %{out}.a = or i256 %{out}.0, %{out}.1s", f"  %{out}.b = or i256 %{out}.2s, %{out}.3s",
              f"  %{out} = or i256 %{out}.a, %{out}.b"]
    return lines


DECLARATIONS = ("declare i64 @llvm.fshl.i64(i64, i64, i64)\ndeclare i64 @llvm.fshr.i64(i64, i64, i64)\n"
                "declare i64 @llvm.ctlz.i64(i64, i1)\n")
# The module text that defines NAME (and what it calls), for a module with a MULMOD on the OPTIMIZED tier.
DEFINITION = _RECIPROCAL + _function()
