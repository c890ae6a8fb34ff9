"""The BPF loaders: programs deployed under loader v1 (unaligned input), v2 and v3 (upgradeable:
a program account pointing at a programdata account), loaded once into jitvm.bpf Programs and
executed on any jitvm engine with Agave's input, compute meter, logs and errors."""

from __future__ import annotations

import base64
import struct

from jitvm.bpf import load_elf
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.memory import MM_INPUT_START
from jitvm.svm import serialization
from jitvm.svm.accounts import Account
from jitvm.svm.context import TransactionContext
from jitvm.svm.errors import InstructionError, SyscallError
from jitvm.svm.ids import BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, base58
from jitvm.svm.syscalls import SyscallHost, VmRuntime, access_violation_text
from jitvm.svm.vm import PreparedProgram, run_native, run_program

PROGRAMDATA_METADATA_SIZE = 45  # u32 tag, u64 slot, Option<Pubkey> upgrade authority
PROGRAM_STATE_TAG = 2
PROGRAMDATA_STATE_TAG = 3
LOADER_COMPUTE_UNITS = {BPF_LOADER_DEPRECATED: 1140, BPF_LOADER: 570, BPF_LOADER_UPGRADEABLE: 2370}

# sbpf's EbpfError Display for the errors a program raises itself.
_VM_ERROR_TEXT = {
    ErrorCode.DIVIDE_BY_ZERO: "divide by zero at BPF instruction",
    ErrorCode.DIVIDE_OVERFLOW: "division overflow at BPF instruction",
    ErrorCode.CALL_DEPTH_EXCEEDED: "exceeded max BPF to BPF call depth",
    ErrorCode.COMPUTE_BUDGET_EXCEEDED: "exceeded CUs meter at BPF instruction",
    ErrorCode.INVALID_INSTRUCTION: "invalid BPF instruction",
    ErrorCode.CALL_OUTSIDE_TEXT: "callx attempted to call outside of the text segment",
    ErrorCode.EXECUTION_OVERRUN: "attempted to execute past the end of the text segment at BPF instruction",
    ErrorCode.UNKNOWN_HELPER: "unsupported BPF instruction",
}


HEAP_PAGE = 32 * 1024
HEAP_PAGE_COST = 8  # compute units per 32 KiB of heap beyond the first


def heap_cost(heap_size: int) -> int:
    return ((heap_size + HEAP_PAGE - 1) // HEAP_PAGE - 1) * HEAP_PAGE_COST


def program_account_data(programdata_address: bytes) -> bytes:
    return struct.pack("<I", PROGRAM_STATE_TAG) + programdata_address


def programdata_account_data(elf: bytes, slot: int = 0, authority: bytes | None = None) -> bytes:
    header = struct.pack("<IQ", PROGRAMDATA_STATE_TAG, slot)
    header += (b"\x01" + authority) if authority is not None else b"\x00" + bytes(32)
    return header + elf


class ProgramCache:
    """Loaded programs by address. An entry remembers the bank's account object its ELF came from:
    the bank replaces an account object whenever a transaction or set_account writes it (nothing
    mutates a stored account in place), so the same object means the same ELF."""

    def __init__(self, host: SyscallHost):
        self.host = host
        self._loaded: dict[bytes, tuple[object, bytes, object]] = {}  # address -> (source account, ELF, program)
        self._compiled: dict[int, tuple[object, object]] = {}  # id(program) -> (program, its JIT code)
        self._prepared: dict[tuple[int, int], tuple[object, PreparedProgram]] = {}  # (id(program), heap size)

    def program_for(self, address: bytes, account: Account, bank_account) -> object | None:
        """The loaded program of an executable account (its programdata's ELF for loader v3), or None."""
        source = account
        if account.owner == BPF_LOADER_UPGRADEABLE:
            if len(account.data) < 36 or struct.unpack_from("<I", account.data)[0] != PROGRAM_STATE_TAG:
                return None
            source = bank_account(bytes(account.data[4:36]))
            if source is None or len(source.data) < PROGRAMDATA_METADATA_SIZE:
                return None
        cached = self._loaded.get(address)
        if cached is not None and cached[0] is source:
            return cached[2]
        elf = bytes(source.data[PROGRAMDATA_METADATA_SIZE:] if source is not account else source.data)
        if cached is not None and cached[1] == elf:
            self._loaded[address] = (source, elf, cached[2])
            return cached[2]
        program = self.load(address, elf)
        self._loaded[address] = (source, elf, program)
        return program

    def compiled(self, program):
        """The JIT's code for `program`, looked up once per loaded program (the JIT's own lookup
        hashes the whole bytecode on every run)."""
        entry = self._compiled.get(id(program))
        if entry is None or entry[0] is not program:
            from jitvm.bpf.jit.compile import compiled_program

            entry = self._compiled[id(program)] = (program, compiled_program(program))
        return entry[1]

    def prepared(self, program, heap_size: int):
        """What the fast engines' runs of `program` with this heap share (jitvm.svm.vm)."""
        key = (id(program), heap_size)
        entry = self._prepared.get(key)
        if entry is None or entry[0] is not program:
            entry = self._prepared[key] = (program, PreparedProgram(program, self.host.registry, heap_size))
        return entry[1]

    def remember(self, address: bytes, source: Account, elf: bytes, program) -> None:
        self._loaded[address] = (source, elf, program)

    def load(self, address: bytes, elf: bytes):
        # Like Agave at execution time: a call to an unknown syscall loads, and fails when it runs.
        return load_elf(elf, base58(address), syscalls=self.host.registry, reject_broken_elfs=False)


def execute(context: TransactionContext, program, loader: bytes) -> None:
    """Run the BPF program of the current instruction; raises InstructionError (already logged by the
    caller) or returns normally. Logs "consumed" and "return" lines as Agave's loader does."""
    frame = context.frame
    program_id = frame.program_id
    aligned = loader != BPF_LOADER_DEPRECATED
    buffer, layout, data_offset = serialization.serialize(context, aligned)
    meter_before = context.meter.remaining
    try:
        context.meter.consume(heap_cost(context.heap_size))  # when the VM is created, outside "consumed"
    except InstructionError as error:
        context.log_message(f"Failed to create SBF VM: {error.message()}")
        raise InstructionError("ProgramEnvironmentSetupFailure") from None
    budget = context.meter.remaining
    host = context.programs.host
    accounts = context.accounts
    runtime = VmRuntime(context, program_id, aligned, budget,
                        original_lengths=[len(accounts[account.index_in_transaction].data) for account in frame.accounts])
    prepared = run = None
    host.active.append(runtime)
    try:
        if context.engine == "reference":
            result = run_program(program, buffer, engine="reference", helpers=host.registry, compute_budget=budget,
                                 heap_size=context.heap_size, instruction_data_offset=data_offset)
        else:  # the input region is `buffer` itself: the program's writes land in it
            prepared = context.programs.prepared(program, context.heap_size)
            run = prepared.start(buffer, budget, MM_INPUT_START + data_offset)
            result = run_native(run, context.engine, program, context.programs.compiled)
    finally:
        host.active.pop()
    try:
        _conclude(context, runtime, result, buffer, layout, aligned, program_id, meter_before, budget)
    finally:
        if run is not None:
            prepared.finish(run)


def _conclude(context: TransactionContext, runtime: VmRuntime, result, buffer: bytearray, layout, aligned: bool,
              program_id: bytes, meter_before: int, budget: int) -> None:
    """Log the run, raise its error, or carry the program's changes back to the accounts."""
    context.meter.remaining = budget - result.compute_units
    context.log_message(f"Program {base58(program_id)} consumed {result.compute_units} of {meter_before} "
                        f"compute units")
    returned_program, returned = context.return_data
    if returned:
        context.log_message(f"Program return: {base58(returned_program)} {base64.b64encode(returned).decode()}")
    error = result.error
    if error is not None:
        if error.code is ErrorCode.SYSCALL_ERROR and runtime.error is not None:
            raise runtime.error
        context.meter.remaining = 0  # deplete_cu_meter_on_vm_failure
        if error.code is ErrorCode.ACCESS_VIOLATION:
            raise SyscallError(access_violation_text(error.address, error.size))
        raise SyscallError(_VM_ERROR_TEXT.get(error.code, str(error)))
    if result.r0 != 0:
        raise InstructionError.from_return_code(result.r0)
    memory = result.memory
    final = memory.region(MM_INPUT_START).data if context.engine == "reference" and memory is not None else buffer
    serialization.deserialize(context, final, layout, aligned)  # read in place, not copied
