"""One BPF case on every engine against the reference: r0 or the typed error, instruction count,
compute units, logs and the final memory must be equal. For a mutated case the verifier decides
first: it must reject a word the profile does not define, and every engine must then refuse the
program the same way."""

from __future__ import annotations

from jitvm.fuzz.bpf_programs import BpfCase
from jitvm.fuzz.evm_check import Mismatch

ENGINES = ("reference", "baseline", "jit", "auto")


def load(case: BpfCase):
    """The verified Program, or the rejection as ('rejected', message)."""
    from jitvm.bpf.errors import AssemblyError, VerifyError
    from jitvm.bpf.program import Program

    try:
        program = Program(case.bytecode(), profile=case.profile, source=f"fuzz-{case.seed}")
        program.decoded
    except (AssemblyError, VerifyError) as error:
        return None, {"rejected": f"{type(error).__name__}: {error}"}
    return program, None


def outcome(program, case: BpfCase, engine: str) -> dict:
    from jitvm.bpf.engines import run

    result = run(program, case.memory, engine=engine, compute_budget=case.budget)
    memory = tuple(None if region is None else bytes(region.data) for region in result.memory.regions)
    r0, error, instructions, units, logs = result.summary()
    return {"r0": r0, "error": error, "instructions": instructions, "compute_units": units, "logs": logs,
            "memory": memory}


def check_case(case: BpfCase, engines=ENGINES[1:]) -> list[Mismatch]:
    return run_case(case, engines)[1]


def run_case(case: BpfCase, engines=ENGINES[1:]) -> tuple[str, list[Mismatch]]:
    """How the reference ended the case (ok, an error's name, or rejected), and what differed.

    'auto' runs before 'jit': a program the JIT has compiled in this process runs compiled from its
    first instruction on 'auto' too, so only this order has 'auto' start on the interpreter and move
    to the JIT a few units in (campaign.fuzzing_settings), comparing both of its tiers."""
    program, rejection = load(case)
    if rejection is not None:
        return "rejected", []  # the verifier is shared by every engine: a rejected program runs nowhere
    expected = outcome(program, case, "reference")
    status = "ok" if expected["error"] is None else error_name(expected["error"])
    if case.must_reject:
        detail = {"verifier": "accepted a word the profile does not define"}
        return status, [Mismatch("verifier", ("verifier",), {"verifier": "rejects"}, detail)]
    mismatches = []
    for engine in sorted(engines, key=lambda name: name == "jit"):
        try:
            actual = outcome(program, case, engine)
        except Exception as error:  # an engine that crashes disagrees too
            actual = {"crash": f"{type(error).__name__}: {error}"}
        fields = tuple(name for name in (*expected, "crash") if expected.get(name) != actual.get(name))
        if fields:
            mismatches.append(Mismatch(engine, fields, expected, actual))
    return status, mismatches


def error_name(fields: tuple) -> str:
    code = fields[0]
    return getattr(code, "name", str(code)).lower()
