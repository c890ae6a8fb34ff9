"""The bpf_conformance test-file format (`*.data`): sections introduced by `-- NAME` lines.

    -- asm      assembly text            -- raw     instruction words (0x... per line, or 8 hex bytes)
    -- mem      input bytes in hex       -- result  expected r0
    -- error    an expected failure      -- c, -- no register offset: notes, ignored
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jitvm.bpf.assembler import assemble
from jitvm.bpf.errors import AssemblyError, VerifyError
from jitvm.errors import InputError

KNOWN_SECTIONS = {"asm", "raw", "mem", "result", "error", "c", "no register offset"}


@dataclass(frozen=True)
class ConformanceTest:
    name: str
    assembly: str | None
    raw: bytes | None
    memory: bytes
    result: int | None
    error: str | None

    def bytecode(self, profile: str = "ebpf-v4") -> bytes:
        """The program: the raw words if given (they take precedence, as in bpf_conformance)."""
        if self.raw is not None:
            return self.raw
        if self.assembly is None:
            raise InputError(self.name, "the test has neither an asm nor a raw section")
        return assemble(self.assembly, profile, source=self.name)


def parse_test(text: str, name: str = "<test>") -> ConformanceTest:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("--"):
            current = line[2:].strip()
            if current not in KNOWN_SECTIONS:
                raise InputError(name, f"unknown section {line.strip()!r}")
            sections.setdefault(current, [])
            continue
        if current is not None:
            sections[current].append(line)
    assembly = "\n".join(sections["asm"]) if "asm" in sections else None
    raw = _raw_words(sections["raw"], name) if "raw" in sections else None
    memory = bytes.fromhex("".join("".join(sections.get("mem", [])).split()))
    result = _number(sections["result"], name) if "result" in sections else None
    error = " ".join(line.strip() for line in sections["error"] if line.strip()) if "error" in sections else None
    if result is None and error is None:
        raise InputError(name, "the test expects neither a result nor an error")
    return ConformanceTest(name, assembly, raw, memory, result, error)


def load_test(path: Path) -> ConformanceTest:
    return parse_test(Path(path).read_text(), Path(path).name)


def _raw_words(lines: list[str], name: str) -> bytes:
    """Words as `0x5566778800000018` (a little-endian 64-bit value) or as 8 hex bytes in order."""
    code = b""
    for line in lines:
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        if len(tokens) == 8 and all(len(token) == 2 for token in tokens):
            code += bytes.fromhex("".join(tokens))
            continue
        for token in tokens:
            try:
                code += int(token, 0).to_bytes(8, "little")
            except (ValueError, OverflowError):
                raise InputError(name, f"raw word {token!r} is not a 64-bit number") from None
    return code


def _number(lines: list[str], name: str) -> int:
    values = [line.strip() for line in lines if line.strip()]
    if len(values) != 1:
        raise InputError(name, f"expected one result value, got {len(values)}")
    try:
        return int(values[0], 0)
    except ValueError:
        raise InputError(name, f"result {values[0]!r} is not a number") from None


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    r0: int | None = None


def check_test(test: ConformanceTest, engine: str = "reference", profile: str = "ebpf-v4") -> Outcome:
    """Run a test the way the bpf_conformance runner judges it; rejected input is a failure with a
    message, never an exception."""
    from jitvm.bpf.engines import run
    from jitvm.bpf.program import Program

    try:
        program = Program(test.bytecode(profile), profile=profile, source=test.name)
        program.decoded  # verify now, so a bad program is a clear rejection
    except (AssemblyError, VerifyError, InputError) as rejected:
        if test.error is not None:
            return Outcome(True, f"rejected as expected: {rejected}")
        return Outcome(False, f"rejected: {rejected}")
    result = run(program, test.memory, engine=engine)
    if test.error is not None:
        if result.error is not None:
            return Outcome(True, f"failed as expected: {result.error}")
        return Outcome(False, f"expected an error ({test.error}), got r0 = {result.r0:#x}", result.r0)
    if result.error is not None:
        return Outcome(False, f"expected r0 = {test.result:#x}, got error: {result.error}")
    if result.r0 != test.result:
        return Outcome(False, f"expected r0 = {test.result:#x}, got {result.r0:#x}", result.r0)
    return Outcome(True, f"r0 = {result.r0:#x}", result.r0)
