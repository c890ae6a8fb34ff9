"""eBPF objects from `clang -target bpf -c`: the C programs in ebpf_src/ are compiled at test time,
loaded (entry section first, then the .text functions it calls) and run on every engine, which must
agree with each other and with the same computation in Python."""

import shutil
import subprocess
from pathlib import Path

import pytest

from jitvm.bpf.elf import load_elf, load_elf_file
from jitvm.bpf.engines import ENGINES, run
from jitvm.bpf.errors import ElfError, ErrorCode

from .fixtures import SBPF, require

SOURCES = Path(__file__).parent / "ebpf_src"
CLANG = shutil.which("clang")
U64 = (1 << 64) - 1

pytestmark = pytest.mark.skipif(CLANG is None, reason="clang is not installed: these tests compile C with "
                                                      "`clang -target bpf` (apt-get install clang)")


# -- what the C programs compute, in Python ----------------------------------------------------------

def fnv1a(data: bytes) -> int:
    h = 14695981039346656037
    for byte in data:
        h = ((h ^ byte) * 1099511628211) & U64
    return h


def rotate(x: int, n: int) -> int:
    return ((x << n) | (x >> (64 - n))) & U64


def functions(data: bytes) -> int:
    h = len(data)
    for byte in data:
        h = (rotate(h ^ byte, 13) * 5 + 0xE6546B64) & U64
    h = rotate(h, 7)
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & U64
    return h ^ (h >> 33)


def text_only(data: bytes) -> int:
    total = sum((i + 1) * byte for i, byte in enumerate(data))
    return (total & 0xFFFFFFFF) | (sum(byte > 0x7F for byte in data) << 32)


def helper(data: bytes) -> int:
    return 0 if sum(data) == 0 else sum(data) + 1  # unwind(0) ends the program with r0 = 0


def three_sections(data: bytes) -> int:
    return sum(byte * byte * (i + 1) + 1 for i, byte in enumerate(data)) & U64


def weigh(data: bytes, weight: int) -> int:
    total = 0
    for byte in data:
        total = (total * weight + byte) & U64
    return total


INPUTS = (b"", b"\x00\x00", b"abc\xff", bytes(range(256)) * 2)
PROGRAMS = [  # (source, optimisation, entry section, expected r0)
    ("cross_section", "-O2", None, fnv1a),
    ("cross_section", "-O0", None, fnv1a),
    ("functions", "-O2", None, functions),
    ("functions", "-O0", None, functions),
    ("text_only", "-O2", None, text_only),
    ("text_only", "-O0", None, text_only),
    ("helper", "-O2", None, helper),
    ("three_sections", "-O2", "prog", three_sections),
    ("three_sections", "-O0", "prog", three_sections),
    ("two_programs", "-O2", "socket", lambda data: weigh(data, 3)),
    ("two_programs", "-O2", "classifier", lambda data: weigh(data, 7) ^ 0x5A),
]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """compiled(name, optimisation) -> the object file of ebpf_src/<name>.c, compiled once."""
    folder, done = tmp_path_factory.mktemp("ebpf"), {}

    def compile_source(name: str, optimisation: str = "-O2") -> Path:
        if (name, optimisation) not in done:
            target = folder / f"{name}{optimisation}.o"
            subprocess.run([CLANG, optimisation, "-target", "bpf", "-c", str(SOURCES / f"{name}.c"), "-o", str(target)],
                           check=True, capture_output=True)
            done[name, optimisation] = target
        return done[name, optimisation]

    return compile_source


def run_everywhere(program, data: bytes):
    """The result on every engine, after checking that they all agree."""
    results = {engine: run(program, data, engine=engine) for engine in ENGINES}
    reference = results["reference"].summary()
    for engine, result in results.items():
        assert result.summary() == reference, f"{engine} differs from the reference on {data[:8]!r}..."
    return results["reference"]


@pytest.mark.parametrize("name, optimisation, section, expected", PROGRAMS,
                         ids=[f"{name}{optimisation}{'-' + section if section else ''}"
                              for name, optimisation, section, _ in PROGRAMS])
def test_programs_run_alike_on_every_engine(compiled, name, optimisation, section, expected):
    program = load_elf_file(compiled(name, optimisation), section=section)
    for data in INPUTS:
        result = run_everywhere(program, data)
        assert (result.r0, result.error) == (expected(data), None), data[:8]


def test_entry_section_comes_first_and_callees_are_functions(compiled):
    program = load_elf_file(compiled("functions"))
    starts = {start for _, start in program.functions}
    calls = {pc + 1 + step.imm for pc, step in enumerate(program.decoded)
             if step is not None and step.row.semantics == "call_local"}
    assert program.entry == 0 and 0 in starts
    assert calls and calls <= starts  # every callee is a function start the JIT cuts a block at
    assert len(starts) == 4  # entry (xdp) + rotate, step, finish (.text)


def test_called_sections_follow_the_entry_in_call_order(compiled):
    program = load_elf_file(compiled("three_sections"), section="prog")
    prog, scale, square = (start for _, start in program.functions)  # prog, then lib, then .text
    calls = [pc + 1 + step.imm for pc, step in enumerate(program.decoded)
             if step is not None and step.row.semantics == "call_local"]
    assert prog == 0 and calls == [scale, square]
    with pytest.raises(ElfError, match=r"several entry sections \((lib, prog|prog, lib)\)"):
        load_elf_file(compiled("three_sections"))


def test_text_only_object_runs_from_text(compiled):
    program = load_elf_file(compiled("text_only"))
    assert program.functions == ((0, 0),)


def test_access_violation_in_a_callee_is_the_same_everywhere(compiled):
    program = load_elf_file(compiled("overrun"))
    result = run_everywhere(program, b"abc")
    assert result.error is not None and result.error.code == ErrorCode.ACCESS_VIOLATION
    callee_start = max(start for _, start in program.functions)
    assert result.error.pc >= callee_start  # it happened in peek, laid out after the entry


def test_several_entry_sections_must_be_named(compiled):
    with pytest.raises(ElfError, match=r"SeveralPrograms: several entry sections \(socket, classifier\)"):
        load_elf_file(compiled("two_programs"))


def test_unknown_section_is_rejected_with_the_choices(compiled):
    with pytest.raises(ElfError, match=r"NoSuchSection: .*'xdp'.*\.text, socket, classifier"):
        load_elf_file(compiled("two_programs"), section="xdp")


@pytest.mark.parametrize("name, optimisation, symbol", [
    ("global_data", "-O2", "'counter' in .bss"),
    ("legacy_map", "-O2", "'counts' in maps"),
    ("helper", "-O0", "'.data'"),  # unoptimised, the helper's function pointer is a variable
])
def test_map_and_global_data_relocations_are_rejected(compiled, name, optimisation, symbol):
    with pytest.raises(ElfError, match=f"UnsupportedRelocation: R_BPF_64_64 of {symbol} at .*need a loader"):
        load_elf_file(compiled(name, optimisation))


def test_call_to_an_undefined_function_is_rejected(compiled):
    with pytest.raises(ElfError, match="UnresolvedSymbol: call to 'elsewhere' at prog"):
        load_elf_file(compiled("extern_call"))


def test_section_is_for_ebpf_objects_only():
    data = require(SBPF / "relative_call.so").read_bytes()
    with pytest.raises(ElfError, match="WrongType: section="):
        load_elf(data, "relative_call.so", section="prog")
