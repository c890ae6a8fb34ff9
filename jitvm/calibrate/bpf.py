"""BPF instructions in generated loops, on each engine. One compute unit per instruction is the
price sBPF charges, so the time per instruction is also the time per unit."""

from __future__ import annotations

from jitvm.calibrate.measure import BODY_REPEAT, Measurement, best_time, difference, iterations_for

PROFILE = "ebpf-v4"
_OPERANDS = {
    "alu_imm": "%r1, 7",
    "alu_reg": "%r1, %r2",
    "alu_unary": "%r1",
    "alu_end": "%r1",
    "load": "%r1, [%r10-8]",
    "store_imm": "[%r10-8], 7",
    "store_reg": "[%r10-8], %r1",
}


def _program(body: list[str], iterations: int):
    from jitvm.bpf.program import Program

    lines = ["mov %r1, 3", "mov %r2, 5", "stdw [%r10-8], 1", f"mov %r6, {iterations}", "loop:"]
    lines += body * BODY_REPEAT
    lines += ["sub %r6, 1", "mov %r2, 5", "jne %r6, 0, loop", "mov %r0, 0", "exit"]
    return Program.from_assembly("\n".join(lines), PROFILE)


def measure(engines: tuple[str, ...], only: set[str] | None = None) -> list[Measurement]:
    from jitvm.bpf.engines import run
    from jitvm.bpf.table import profile_table

    rows = [row for row in profile_table(PROFILE).instructions
            if row.form in _OPERANDS and (not only or row.mnemonic in only)]
    results: list[Measurement] = []
    for engine in engines:
        iterations = iterations_for(lambda n: (lambda p=_program(["mov %r3, 1"], n): run(p, b"", engine=engine)))
        control = _program([], iterations)
        count = iterations * BODY_REPEAT
        baseline_time = best_time(lambda: run(control, b"", engine=engine))
        baseline_units = run(control, b"", engine=engine).compute_units
        for row in rows:
            # Keep the divisor and the shifted value sane: r2 is reset each iteration.
            text = f"{row.mnemonic} {_OPERANDS[row.form]}"
            try:
                program = _program([text], iterations)  # noqa: B023
                result = run(program, b"", engine=engine)
                if not result.ok:
                    raise RuntimeError(str(result.error))
                seconds = best_time(lambda: run(program, b"", engine=engine))
            except Exception as exc:
                results.append(Measurement(f"bpf/{engine}", row.mnemonic, "instruction", 0.0, 0.0,
                                           note=f"not measured: {str(exc)[:60]}"))
                continue
            units = (result.compute_units - baseline_units) / count
            label = f"{row.mnemonic} {row.source}" if row.source else row.mnemonic
            results.append(Measurement(f"bpf/{engine}", label, "instruction",
                                       difference(seconds, baseline_time, count), units))
    return results


def workloads(engines: tuple[str, ...]) -> list[Measurement]:
    """The bundled BPF benchmark programs: time against compute units."""
    from jitvm.bench.workloads import bundled_bpf_cases, find_fixtures
    from jitvm.bpf.engines import run

    try:
        cases = [case for case in bundled_bpf_cases(find_fixtures()) if case.name.endswith("/small")]
    except Exception as exc:
        return [Measurement("bpf", "benchmarks", "workload", 0.0, 0.0, note=f"not measured: {exc}")]
    results = []
    for engine in engines:
        for case in cases:
            data = case.memory.build()
            call = lambda: run(case.program, data, engine=engine)  # noqa: E731
            units = call().compute_units
            results.append(Measurement(f"bpf/{engine}", case.name, "workload",
                                       best_time(call, budget=0.05, rounds=3) * 1e9, units))
    return results
