"""LLVM IR that the jit tests (and measure_compile.py) compile: small, readable, checkable in Python."""

import random
from dataclasses import dataclass

from jitvm.jit.blocks import partition

MASK64 = (1 << 64) - 1

# i64 loop_and_divide(i64* p): sum 0..p[0]-1 in a loop spread over four blocks, then add the low 64
# bits of (p[1] << 64) / p[2] -- an i128 udiv, which LLVM turns into a call to __udivti3.
LOOP_AND_DIVIDE_IR = r"""
define i64 @loop_and_divide(ptr %p) {
entry:
  %n = load i64, ptr %p
  br label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %i_next, %body ]
  %sum = phi i64 [ 0, %entry ], [ %sum_next, %body ]
  %more = icmp ult i64 %i, %n
  br i1 %more, label %body, label %divide

body:
  %sum_next = add i64 %sum, %i
  %i_next = add i64 %i, 1
  br label %loop

divide:
  %high_ptr = getelementptr i64, ptr %p, i64 1
  %high = load i64, ptr %high_ptr
  %divisor_ptr = getelementptr i64, ptr %p, i64 2
  %divisor = load i64, ptr %divisor_ptr
  %high_wide = zext i64 %high to i128
  %dividend = shl i128 %high_wide, 64
  %divisor_wide = zext i64 %divisor to i128
  %quotient = udiv i128 %dividend, %divisor_wide
  %quotient_low = trunc i128 %quotient to i64
  %result = add i64 %sum, %quotient_low
  ret i64 %result
}
"""


def loop_and_divide_expected(n: int, high: int, divisor: int) -> int:
    return (n * (n - 1) // 2 + (((high << 64) // divisor) & MASK64)) & MASK64


# void divisions(ptr p): p[0..1] and p[2..3] are two i128 (low word first); writes udiv, urem, sdiv,
# srem of them to p[4..11]. Exercises all four compiler-rt helpers.
DIVISIONS_IR = r"""
define void @divisions(ptr %p) {
  %a = load i128, ptr %p, align 8
  %b_ptr = getelementptr i128, ptr %p, i64 1
  %b = load i128, ptr %b_ptr, align 8
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  %sq = sdiv i128 %a, %b
  %sr = srem i128 %a, %b
  %out0 = getelementptr i128, ptr %p, i64 2
  store i128 %q, ptr %out0, align 8
  %out1 = getelementptr i128, ptr %p, i64 3
  store i128 %r, ptr %out1, align 8
  %out2 = getelementptr i128, ptr %p, i64 4
  store i128 %sq, ptr %out2, align 8
  %out3 = getelementptr i128, ptr %p, i64 5
  store i128 %sr, ptr %out3, align 8
  ret void
}
"""


@dataclass(frozen=True)
class SampleBlock:
    """acc += addend; if (acc >> 3) & 1 jump to `target`, else fall through to the next block."""

    addend: int
    target: int


def sample_program(block_count: int, seed: int = 1) -> list[SampleBlock]:
    rng = random.Random(seed)
    return [SampleBlock(rng.randrange(1, 1 << 32), rng.randrange(block_count)) for _ in range(block_count)]


def run_sample_program(program: list[SampleBlock], steps: int) -> tuple[int, int]:
    """The Python model: (final acc, block index where it stopped) after `steps` blocks."""
    acc, block = 0, 0
    for _ in range(steps):
        if block >= len(program):
            break
        acc = (acc + program[block].addend) & MASK64
        block = program[block].target if (acc >> 3) & 1 else block + 1
    return acc, block


def sample_program_module(program: list[SampleBlock], blocks_per_function: int) -> tuple[str, list[str]]:
    """IR for `program` split into functions `i64 region_K(ptr state, i64 first_block)`.

    state = [acc, steps_left]. A region runs blocks until a jump leaves it, steps run out or the
    program ends, and returns the block to continue at (the caller dispatches to its region).
    """
    lines, names = [], []
    for region in partition(len(program), blocks_per_function):
        name = f"region_{region.start}"
        names.append(name)
        lines += [
            f"define i64 @{name}(ptr %state, i64 %first) {{",
            "entry:",
            f"  switch i64 %first, label %leave_{region.start} [",
            *(f"    i64 {i}, label %b{i}" for i in region),
            "  ]",
        ]
        for i in region:
            block = program[i]
            fall, jump = i + 1, block.target

            def goto(label_index):
                return f"%b{label_index}" if label_index in region else f"%leave_{label_index}"

            lines += [
                f"b{i}:",
                f"  %steps{i} = load i64, ptr %steps_ptr_{region.start}",
                f"  %out{i} = icmp eq i64 %steps{i}, 0",
                f"  br i1 %out{i}, label %leave_{i}, label %run{i}",
                f"run{i}:",
                f"  %steps_left{i} = sub i64 %steps{i}, 1",
                f"  store i64 %steps_left{i}, ptr %steps_ptr_{region.start}",
                f"  %acc{i} = load i64, ptr %state",
                f"  %acc_next{i} = add i64 %acc{i}, {block.addend}",
                f"  store i64 %acc_next{i}, ptr %state",
                f"  %bit{i} = and i64 %acc_next{i}, 8",
                f"  %taken{i} = icmp ne i64 %bit{i}, 0",
                f"  br i1 %taken{i}, label {goto(jump)}, label {goto(fall)}",
            ]
        exits = set(region) | {region.start} | {
            target for i in region for target in (program[i].target, i + 1) if target not in region
        }
        for target in sorted(exits):
            lines += [f"leave_{target}:", f"  ret i64 {target}"]
        lines.append("}")
        # the steps pointer is computed once per function, in a block every path starts from
        entry_at = lines.index(f"define i64 @{name}(ptr %state, i64 %first) {{") + 2
        lines.insert(entry_at, f"  %steps_ptr_{region.start} = getelementptr i64, ptr %state, i64 1")
    return "\n".join(lines) + "\n", names
