"""The transaction metadata's inner instructions, as Agave's `inner_instructions_list_from_instruction_trace`
builds them: one list per top-level instruction of an executed transaction (Agave 4 configures them all in
the trace up front, so instructions after a failing one get empty lists), each holding every instruction it invoked (at any
depth) in the order they were pushed, each with the accounts' transaction indices and its stack height."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InnerInstruction:
    """Shaped like solders' InnerInstruction: `instruction` is a solders CompiledInstruction."""

    instruction: object
    stack_height: int


def inner_instructions_from_trace(top_level_count: int, trace) -> list[list[InnerInstruction]]:
    """`trace`: (stack height, InstructionFrame) of every instruction pushed, in order."""
    from solders.instruction import CompiledInstruction

    lists: list[list[InnerInstruction]] = [[] for _ in range(top_level_count)]
    position = -1
    for height, frame in trace:
        if height == 1:
            position += 1
        elif position >= 0:
            accounts = bytes(account.index_in_transaction for account in frame.accounts)
            compiled = CompiledInstruction(frame.program_index, bytes(frame.data), accounts)
            lists[position].append(InnerInstruction(compiled, height))
    return lists
