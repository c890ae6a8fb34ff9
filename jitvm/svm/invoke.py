"""Invoking one instruction (top level or cross-program): the stack checks, the "Program X invoke [n]"
/ "success" / "failed" log lines, the builtin or loader that runs it, and the lamport balance check."""

from __future__ import annotations

from jitvm.svm import compute_budget, loader, system_program
from jitvm.svm.context import MAX_INSTRUCTION_STACK_DEPTH, InstructionAccount, InstructionFrame, TransactionContext
from jitvm.svm.errors import InstructionError, SyscallError
from jitvm.svm.ids import (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, COMPUTE_BUDGET, NATIVE_LOADER,
                           SYSTEM_PROGRAM, base58)

BPF_LOADERS = (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE)


def process_instruction(context: TransactionContext, program_index: int, accounts: list[InstructionAccount],
                        data: bytes) -> None:
    """Push, run and pop one instruction; raises InstructionError."""
    program_id = context.keys[program_index]
    if len(context.stack) >= MAX_INSTRUCTION_STACK_DEPTH:
        raise InstructionError("CallDepth")
    if context.stack:
        running = [frame.program_id for frame in context.stack]
        if program_id in running and running[-1] != program_id:
            context.log_message("Cross-program invocation reentrancy not allowed for this instruction")
            raise InstructionError("ReentrancyNotAllowed")
    frame = InstructionFrame(program_id, program_index, accounts, data)
    frame.lamport_sum = context.lamport_sum(frame)
    context.stack.append(frame)
    context.trace.append((len(context.stack), frame))
    try:
        _check_runnable(context, program_index)  # fails before any log line, as in Agave
        context.return_data = (program_id, b"")
        name = base58(program_id)
        context.log_message(f"Program {name} invoke [{len(context.stack)}]")
        try:
            _run(context, program_index)
        except (InstructionError, SyscallError) as error:
            text = error.message() if isinstance(error, InstructionError) else str(error)
            context.log_message(f"Program {name} failed: {text}")
            if isinstance(error, InstructionError):
                raise
            raise InstructionError("ProgramFailedToComplete") from None
        context.log_message(f"Program {name} success")
        if context.lamport_sum(frame) != frame.lamport_sum:
            raise InstructionError("UnbalancedInstruction")
    finally:
        context.stack.pop()


def _check_runnable(context: TransactionContext, program_index: int) -> None:
    """A program runs if it is a known builtin (owned by the native loader) or owned by a BPF loader."""
    program_id = context.keys[program_index]
    owner = context.accounts[program_index].owner
    if owner == NATIVE_LOADER:
        if program_id not in (SYSTEM_PROGRAM, COMPUTE_BUDGET) and program_id not in loader.LOADER_COMPUTE_UNITS:
            raise InstructionError("UnsupportedProgramId")
    elif owner not in BPF_LOADERS:
        raise InstructionError("UnsupportedProgramId")


def _run(context: TransactionContext, program_index: int) -> None:
    program_id = context.keys[program_index]
    program_account = context.accounts[program_index]
    if program_account.owner == NATIVE_LOADER:
        if program_id == SYSTEM_PROGRAM:
            context.meter.consume(system_program.COMPUTE_UNITS)
            system_program.process(context)
        elif program_id == COMPUTE_BUDGET:
            context.meter.consume(compute_budget.COMPUTE_UNITS)
        elif program_id in loader.LOADER_COMPUTE_UNITS:
            context.meter.consume(loader.LOADER_COMPUTE_UNITS[program_id])
            if program_id == BPF_LOADER_UPGRADEABLE:
                from jitvm.svm import upgradeable_loader

                upgradeable_loader.process(context)
                return
            context.log_message("BPF loader management instructions are no longer supported"
                                if program_id == BPF_LOADER else "Deprecated loader is no longer supported")
            raise InstructionError("UnsupportedProgramId")
        else:
            raise InstructionError("UnsupportedProgramId")
        return
    if program_account.owner not in BPF_LOADERS:
        raise InstructionError("UnsupportedProgramId")
    stored = context.bank_account(program_id)  # the bank's object, not the transaction's copy
    program = context.programs.program_for(program_id, stored if stored is not None else program_account,
                                           context.bank_account)
    if program is None or program_id in getattr(context, "programs_not_deployed", ()):  # upgradeable_loader
        context.log_message("Program is not deployed")
        raise InstructionError("UnsupportedProgramId")
    loader.execute(context, program, program_account.owner)
