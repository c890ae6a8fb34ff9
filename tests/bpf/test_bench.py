"""The benchmark programs: reduced variants on the reference interpreter (expected values computed
here by independent Python code), and the full README figures marked `slow`."""

import pytest

from jitvm.bpf.engines import run
from jitvm.bpf.program import Program

from .fixtures import BENCH, require

U32, U64 = (1 << 32) - 1, (1 << 64) - 1


def xorshift_bytes(count: int) -> bytes:
    """The README's `seq` input."""
    x, out = 0x9E3779B97F4A7C15, bytearray(count)
    for index in range(count):
        x ^= (x << 13) & U64
        x ^= x >> 7
        x ^= (x << 17) & U64
        out[index] = x & 0xFF
    return bytes(out)


def xorshift_step(x: int) -> int:
    x ^= (x << 13) & U64
    x ^= x >> 7
    return x ^ ((x << 17) & U64)


def fib_mod(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) & U64
    return a


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & U64
    return h


def primes_below(n: int) -> int:
    return sum(1 for k in range(2, n) if all(k % d for d in range(2, int(k ** 0.5) + 1)))


def bubble_checksum(data: bytes) -> int:
    words = sorted(int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data) - len(data) % 4, 4))
    return sum(value * (index + 1) for index, value in enumerate(words)) & U32


def xxh32_like(data: bytes) -> int:
    p1, p2, p3, p5 = 2654435761, 2246822519, 3266489917, 374761393
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & U32  # noqa: E731
    v = [(p1 + p2) & U32, p2, 0, (-p1) & U32]
    at = 0
    while at + 16 <= len(data):
        for lane in range(4):
            word = int.from_bytes(data[at:at + 4], "little")
            v[lane] = (rotl((v[lane] + word * p2) & U32, 13) * p1) & U32
            at += 4
    h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18) + len(data)) & U32
    while at < len(data):
        h = (h + data[at] * p5) & U32
        h = (rotl(h, 11) * p1) & U32
        at += 1
    h ^= h >> 15
    h = (h * p2) & U32
    h ^= h >> 13
    h = (h * p3) & U32
    return h ^ (h >> 16)


def program(name: str, replace: tuple[str, str] | None = None) -> Program:
    path = require(BENCH / name)
    if path.suffix == ".bin":
        return Program(path.read_bytes(), source=name)
    text = path.read_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return Program.from_assembly(text, source=name)


# name, bound replacement, input, expected r0, expected instruction count (None: not asserted)
REDUCED = [
    ("sum_loop.asm", ("10000000", "3000"), b"", 3000 * 2999 // 2, 3 * 3000 + 3),
    ("fib_loop.asm", ("10000000", "2000"), b"", fib_mod(2000), 6 * 2000 + 4),
    ("call_local.asm", ("1000000", "500"), b"", None, 16 * 500 + 4),
    ("fnv1a.asm", None, xorshift_bytes(1500), fnv1a(xorshift_bytes(1500)), 6 * 1500 + 6),
    ("sieve.asm", None, bytes(2000), primes_below(2000), None),
    ("bubble32.asm", None, xorshift_bytes(160), bubble_checksum(xorshift_bytes(160)), None),
    ("xxh32_c.bin", None, xorshift_bytes(1000), xxh32_like(xorshift_bytes(1000)), None),
]


def _call_local_expected(iterations: int) -> int:
    x = 0x9E3779B97F4A7C15
    for _ in range(iterations):
        x = xorshift_step(x)
    return x


@pytest.mark.parametrize("name,replace,data,expected,count", REDUCED, ids=[case[0] for case in REDUCED])
def test_reduced_on_reference(name, replace, data, expected, count):
    if expected is None:
        expected = _call_local_expected(500)
    result = run(program(name, replace), data, engine="reference")
    assert result.error is None, result.error
    assert result.r0 == expected
    if count is not None:
        assert result.instructions == count


FULL = [
    ("sum_loop.asm", b"", 49999995000000, 30_000_003),
    ("fib_loop.asm", b"", 10047910021417012027, 60_000_004),
    ("fnv1a.asm", ("seq", 4194304), 4324633664114419725, 25_165_830),
    ("sieve.asm", ("zero", 1000000), 78498, 20_046_258),
    ("bubble32.asm", ("seq", 8000), 2577093695, 18_026_484),
    ("call_local.asm", b"", 4500339045783072515, 16_000_004),
    ("xxh32_c.bin", ("seq", 4194304), 2690364203, 20_971_571),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,data,expected,count", FULL, ids=[case[0] for case in FULL])
def test_full_readme_figures(name, data, expected, count):
    if isinstance(data, tuple):
        kind, size = data
        data = xorshift_bytes(size) if kind == "seq" else bytes(size)
    result = run(program(name), data, engine="reference")
    assert (result.r0, result.instructions) == (expected, count)
