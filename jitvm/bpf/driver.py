"""Runs a program on the fast engines: sets up the shared arrays, enters an engine, serves what it
returns for, and turns the final state into the same ExecutionResult the reference gives.

An engine returns to Python only at the end of a run, at a helper or syscall call, or to hand the
run to the other engine (layout.EXIT_*). A `call imm` to a function the ELF loader registered under
that key is made by the engines themselves (layout.function_target); `serve_call` makes it only when
they cannot (a helper with the same key, a target outside the code). Helpers run here, on the same Memory and a Meter holding
the run's units, exactly as the reference calls them; then the engine is entered again at the
instruction after the call. Entering again converts nothing: the arrays stay the same. (This return
is the runtime callback of both engines: a C callback from generated code into Python would cross
the same boundary, and here Python exceptions and a registry users extend at will stay in Python.
A helper call costs about 2 us on the JIT, 3.5 us on the interpreter.)

Tiers: 'baseline' runs the Numba interpreter only; 'jit' runs the compiled blocks and lets the
interpreter take over a block not compiled yet (jitvm.bpf.jit.program_code compiles a program as
runs reach it), a block whose budget check failed or a pc that starts no block (a callx into the
middle of a block, the end of the code), until it reaches a compiled block start again; 'auto'
starts on the interpreter and moves to the JIT (see `AutoPolicy`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from jitvm.bpf import reference
from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.helpers import HelperContext, HelperExit, HelperRegistry, LogCollector, Meter, SyscallFailure
from jitvm.bpf.machine import DEFAULT_SBPF_COMPUTE_BUDGET, ExecutionResult, build_memory
from jitvm.bpf.memory import DEFAULT_HEAP_SIZE, Memory
from jitvm.bpf.baseline import layout as L
from jitvm.bpf.table import profile_table

_NO_LEADERS = np.zeros(1, dtype=np.uint8)


def resolve_options(program, helpers: HelperRegistry | None, compute_budget: int | None):
    """The defaults of `jitvm.bpf.reference.run_reference`: Solana's syscalls and budget for sBPF."""
    from jitvm.bpf.helpers import default_ebpf_helpers
    from jitvm.bpf.syscalls import default_syscalls

    profile = profile_table(program.profile).profile
    if helpers is None:
        helpers = default_syscalls() if profile.is_sbpf else default_ebpf_helpers()
    if compute_budget is None and profile.metered:
        compute_budget = DEFAULT_SBPF_COMPUTE_BUDGET
    return profile, helpers, compute_budget


class NativeRun:
    """One run on the fast engines."""

    def __init__(self, program, input_data: bytes, helpers: HelperRegistry | None = None,
                 compute_budget: int | None = None, heap_size: int = DEFAULT_HEAP_SIZE, *,
                 memory: Memory | None = None, registers=None, direct_mapping: bool = False,
                 logs: LogCollector | None = None):
        """`memory` and `registers` replace the usual map and initial registers (jitvm.bpf.vm);
        `logs` is a log collector to add to."""
        self.program = program
        self.profile, self.helpers, self.budget = resolve_options(program, helpers, compute_budget)
        self.lowered = L.lower(program)  # verifies the program, as the reference does first
        self.memory = memory or build_memory(program, self.profile, bytes(input_data), heap_size)
        self.heap_size = heap_size
        self.direct_mapping = direct_mapping
        self.arrays = L.run_arrays(self.profile, self.memory, bytes(input_data), program.entry, self.budget)
        self.state[L.NATIVE_FUNCTION_CALLS] = L.native_function_calls(self.lowered, self.helpers)
        if registers is not None:
            self.arrays.registers[:len(registers)] = [value & L.U64 for value in registers]
            self.state[L.STACK_POINTER] = np.int64(np.uint64(self.arrays.registers[10]))
        self.rules = L.call_rules(program, self.profile)
        self.logs: list[str] = LogCollector() if logs is None else logs
        self.result: ExecutionResult | None = None

    @classmethod
    def prepared(cls, program, profile, helpers: HelperRegistry, budget: int | None, lowered, rules,
                 memory: Memory, arrays, heap_size: int, logs: list | None = None) -> NativeRun:
        """A run on memory and arrays the caller built: for a runtime that runs one program many
        times and prepares what the runs share once (jitvm.svm.vm.PreparedProgram), including
        state[NATIVE_FUNCTION_CALLS] (layout.native_function_calls); `logs` as in __init__."""
        run = cls.__new__(cls)
        run.program, run.profile, run.helpers, run.budget = program, profile, helpers, budget
        run.lowered, run.rules, run.memory, run.arrays, run.heap_size = lowered, rules, memory, arrays, heap_size
        run.direct_mapping = False
        run.logs = LogCollector() if logs is None else logs
        run.result = None
        return run

    @property
    def state(self) -> np.ndarray:
        return self.arrays.state

    # -- the interpreter ---------------------------------------------------------------------------

    def interpret(self, leaders: np.ndarray | None = None, units: int | None = None) -> int:
        """Run the Numba interpreter; stop at a block start in `leaders`, or after about `units`."""
        from jitvm.bpf.baseline.kernel import run_kernel

        lowered, arrays, rules, profile = self.lowered, self.arrays, self.rules, self.profile
        state = arrays.state
        budget = state[L.BUDGET]
        state[L.LIMIT] = budget if units is None else min(budget, state[L.UNITS] + units)
        return run_kernel(lowered.code, arrays.registers, state, arrays.frames, arrays.regions,
                          _NO_LEADERS if leaders is None else leaders, leaders is not None,
                          profile.division_by_zero == "error", profile.signed_division_overflow == "error",
                          rules.max_depth, rules.dynamic_frames, rules.frame_stride, rules.text_address)

    # -- serving the engines -----------------------------------------------------------------------

    def serve_call(self) -> bool:
        """Run the helper or syscall the engine stopped at; False if the run ended there."""
        state, registers = self.state, self.arrays.registers
        key, pc = int(state[L.CALL_KEY]) & L.U64, int(state[L.PC])
        helper = self.helpers.get(key)
        if helper is not None:
            meter = Meter(self.budget)
            meter.used = int(state[L.UNITS])
            context = HelperContext(self.memory, meter, pc, self.logs, self.direct_mapping)
            try:
                value = helper.function(context, *registers[1:6].tolist())
            except HelperExit as finished:
                state[L.UNITS] = meter.used
                return self._finish(r0=finished.value & L.U64)
            except SyscallFailure as failure:
                state[L.UNITS] = meter.used
                return self._finish(error=VmError(ErrorCode.SYSCALL_ERROR, pc, value=key, detail=str(failure)))
            except VmError as error:
                state[L.UNITS] = meter.used
                return self._finish(error=error)
            state[L.UNITS] = meter.used
            registers[0] = int(value) & L.U64
            state[L.PC] = pc + 1
            return True
        functions = self.program.function_map
        if (state[L.CALL_KIND] == L.CALL_BY_KEY and self.profile.is_sbpf and not self.profile.static_syscalls
                and key in functions):
            return self._call_function(pc, functions[key])
        return self._finish(error=VmError(ErrorCode.UNKNOWN_HELPER, pc, value=key))

    def _call_function(self, pc: int, target: int) -> bool:
        """A call whose key names a function the ELF loader registered, when the engines did not make
        it themselves (the kernel's call_function: a target outside the code, or a helper with the key
        of another function of the program)."""
        state, registers, frames, rules = self.state, self.arrays.registers, self.arrays.frames, self.rules
        depth = int(state[L.DEPTH])
        frames[depth, L.FRAME_R6:L.FRAME_R9 + 1] = registers[6:10]
        frames[depth, L.FRAME_FP] = registers[10]
        frames[depth, L.FRAME_SP] = state[L.STACK_POINTER]
        frames[depth, L.FRAME_RETURN] = pc + 1
        state[L.DEPTH] = depth = depth + 1
        if depth >= rules.max_depth:
            return self._finish(error=VmError(ErrorCode.CALL_DEPTH_EXCEEDED, pc, value=rules.max_depth))
        if not rules.dynamic_frames:  # dynamic frames: r10 stays where the program moved it
            registers[10] += np.uint64(rules.frame_stride)
        state[L.STACK_POINTER] = np.int64(registers[10])
        if not 0 <= target < self.lowered.length:
            return self._finish(error=VmError(ErrorCode.CALL_OUTSIDE_TEXT, pc, value=target))
        state[L.PC] = target
        return True

    def finish(self, status: int) -> ExecutionResult:
        """The result after an engine returned `status` (EXIT_DONE or EXIT_ERROR)."""
        if status == L.EXIT_DONE:
            self._finish(r0=int(self.arrays.registers[0]))
        elif status == L.EXIT_ERROR:
            self._finish(error=self._error())
        else:
            raise AssertionError(f"engine returned {status} where a run ends")
        return self.result

    def _error(self) -> VmError:
        state, pc = self.state, int(self.state[L.PC])
        code = int(state[L.ERROR_CODE])
        if code == 0:
            return self._reference_error(pc)
        return VmError(ErrorCode(code), pc, address=int(state[L.ERROR_ADDRESS]) & L.U64,
                       size=int(state[L.ERROR_SIZE]), write=bool(state[L.ERROR_WRITE]),
                       value=int(state[L.ERROR_VALUE]) & L.U64)

    def _reference_error(self, pc: int) -> VmError:
        """The error of an instruction that always fails, as the reference words it."""
        machine = reference.Machine(self.program, b"", self.helpers, None, self.heap_size)
        machine.pc = pc
        step = machine.code[pc]
        try:
            reference.SEMANTICS[step.row.semantics](machine, step)
        except VmError as error:
            return error
        raise AssertionError(f"{step.row.mnemonic} at {pc} was expected to fail")

    def _finish(self, r0: int | None = None, error: VmError | None = None) -> bool:
        state = self.state
        self.result = ExecutionResult(None if error else r0, error, int(state[L.INSTRUCTIONS]),
                                      int(state[L.UNITS]), self.logs, self.memory)
        return False

    # -- tiers -------------------------------------------------------------------------------------

    def run_interpreter(self) -> ExecutionResult:
        while True:
            status = self.interpret()
            if status == L.EXIT_CALL and self.serve_call():
                continue
            return self.result if self.result is not None else self.finish(status)

    def run_tiered(self, code=None, build=None, hot_units: int | None = None) -> ExecutionResult:
        """Run on the JIT's `code` (jitvm.bpf.jit.program_code.ProgramCode), the interpreter covering
        the blocks it holds no code for yet. Without `code`, start on the interpreter and call
        `build()` for it after `hot_units` units."""
        if code is None:
            while True:
                status = self.interpret(units=hot_units)
                if status == L.EXIT_CALL:
                    if self.serve_call():
                        continue
                    return self.result
                if status != L.EXIT_YIELD:
                    return self.finish(status)
                code = build()
                break
        result = self._run_compiled(code)
        code.finished_run(result.instructions)
        return result

    def _run_compiled(self, code) -> ExecutionResult:
        """The compiled code where it holds a block, else the interpreter, which notes the blocks it
        reaches (code.reached) and stops at every compiled one; what it reached is compiled at the
        start of the next run, or here once it has spent the policy's window of units."""
        state = self.state
        code.compile_pending()  # the blocks earlier runs reached
        window = code.policy.window
        interpreted = 0  # interpreter units since the last compile in this run
        on_jit = code.holds(int(state[L.PC]))
        while True:
            if on_jit:
                status = code.enter(self.arrays)
            else:
                code.reached(int(state[L.PC]))
                before = int(state[L.UNITS])
                status = self.interpret(leaders=code.leaders, units=max(1, window - interpreted))
                interpreted += int(state[L.UNITS]) - before
            if status == L.EXIT_CALL:
                if self.serve_call():
                    continue
                return self.result
            if status == L.EXIT_YIELD:  # the window is spent: compile what the interpreter reached
                code.compile_pending()
                interpreted = 0
                on_jit = code.holds(int(state[L.PC]))
            elif status == L.EXIT_FALLBACK:
                on_jit = False
            elif status == L.EXIT_LEADER:  # a compiled block, or one to note
                on_jit = code.holds(int(state[L.PC]))
            else:
                return self.finish(status)


# -- entry points ----------------------------------------------------------------------------------

def run_baseline(program, input_data: bytes = b"", *, helpers: HelperRegistry | None = None,
                 compute_budget: int | None = None, heap_size: int = DEFAULT_HEAP_SIZE,
                 direct_mapping: bool = False, logs: LogCollector | None = None) -> ExecutionResult:
    """Run `program` on the Numba interpreter (same options and result as run_reference)."""
    return NativeRun(program, input_data, helpers, compute_budget, heap_size,
                     direct_mapping=direct_mapping, logs=logs).run_interpreter()


def run_jit(program, input_data: bytes = b"", *, helpers: HelperRegistry | None = None,
            compute_budget: int | None = None, heap_size: int = DEFAULT_HEAP_SIZE,
            direct_mapping: bool = False, logs: LogCollector | None = None) -> ExecutionResult:
    """Run `program` on the block JIT (its blocks compiled, or loaded from the object cache, as runs
    reach them: jitvm.bpf.jit.program_code)."""
    from jitvm.bpf.jit.compile import compiled_program

    run = NativeRun(program, input_data, helpers, compute_budget, heap_size, direct_mapping=direct_mapping,
                    logs=logs)
    return run.run_tiered(compiled_program(program))


@dataclass
class AutoPolicy:
    """When 'auto' uses the JIT: from the start for a program already compiled in this process or
    run more than `hot_runs` times; otherwise after the interpreter spent `hot_units` compute units
    in one run (about a millisecond), where compiling pays for itself. When a program's hot blocks
    (on 'jit' or 'auto') get the OPTIMIZED tier, compiled in the background: after `upgrade_runs`
    runs or `upgrade_instructions` instructions on its compiled code (program_code.ProgramCode)."""

    hot_runs: int = 8
    hot_units: int = 1 << 20
    upgrade_runs: int = 64
    upgrade_instructions: int = 1 << 22


AUTO = AutoPolicy()
_runs: dict = {}  # program -> runs so far in this process
_RUNS_REMEMBERED = 4096
_runs_lock = threading.Lock()


def run_auto(program, input_data: bytes = b"", *, helpers: HelperRegistry | None = None,
             compute_budget: int | None = None, heap_size: int = DEFAULT_HEAP_SIZE,
             direct_mapping: bool = False, logs: LogCollector | None = None) -> ExecutionResult:
    from jitvm.bpf.jit.compile import compiled_program, loaded_in_process

    run = NativeRun(program, input_data, helpers, compute_budget, heap_size, direct_mapping=direct_mapping,
                    logs=logs)
    with _runs_lock:
        if len(_runs) > _RUNS_REMEMBERED:
            _runs.clear()
        count = _runs[program] = _runs.get(program, 0) + 1
    if count > AUTO.hot_runs or loaded_in_process(program):
        return run.run_tiered(compiled_program(program))
    return run.run_tiered(build=lambda: compiled_program(program), hot_units=AUTO.hot_units)


class JitTiers:
    """The BPF JIT's compile_stats() and settle(), as the EVM engines have them (for `jitvm bench`)."""

    def compile_stats(self) -> dict[str, float]:
        from jitvm.bpf.jit.compile import compile_stats

        return compile_stats()

    def settle(self) -> None:
        """Give every program compiled in this process its OPTIMIZED tier now, and wait for it."""
        from jitvm.bpf.jit.compile import settle

        settle()
