"""Runs of one program share prepared arrays and pooled stacks and heaps (jitvm.svm.vm): every run
must still start on zeroed memory, whatever the run before it wrote, on every engine."""

from __future__ import annotations

import pytest

pytest.importorskip("solders", reason="jitvm.svm is built on solders (the peers extra)")

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

from jitvm.svm import SVM
from tests.svm.probes import probe_elf

PROGRAM = Pubkey.from_string("Dirty11111111111111111111111111111111111111")
# Reads a stack slot of its own frame, one of a deeper frame (reached by pointer arithmetic, no call)
# and the first heap word, fails with their OR if any is not zero, then dirties all three.
DIRTY = """
ldxdw %r6, [%r10-8]
mov %r9, %r10
add %r9, 40960
ldxdw %r5, [%r9-8]
or %r6, %r5
lddw %r7, 0x300000000
ldxdw %r8, [%r7+0]
or %r6, %r8
stdw [%r10-8], 77
stdw [%r9-8], 55
stdw [%r7+0], 99
mov %r0, %r6
exit
"""


@pytest.mark.parametrize("engine", ["reference", "baseline", "jit", "auto"])
def test_every_run_starts_on_zeroed_stack_and_heap(engine):
    svm = SVM(engine=engine)
    payer = Keypair.from_seed(bytes([7]) * 32)
    svm.airdrop(payer.pubkey(), 10**9)
    svm.add_program(PROGRAM, probe_elf(DIRTY), "v2")
    for number in range(12):  # more runs than the pool holds arrays
        instruction = Instruction(PROGRAM, bytes([number]), [])
        transaction = Transaction([payer], Message([instruction], payer.pubkey()), svm.latest_blockhash())
        result = svm.send_transaction(transaction)
        assert result.err is None, (number, str(result.err), result.meta.logs)
