"""CPU instructions (callgrind) per child frame: one transaction making 50 calls of each CALL-family
kind into a small contract (it reads a slot and returns it), per engine. Starts itself under valgrind.

    python bench/realworld/count_children.py [--engines baseline,jit]

What one child frame costs from the CALL instruction back to the parent's next instruction
(docs/native-calls.md). The first transactions warm everything (compiles, the storage table); the
count is of later ones.
"""

from __future__ import annotations

import argparse

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter

CHILDREN = 50
TRANSACTIONS = 5


def call_of(kind: str, callee: str) -> bytes:
    """KIND(gas, callee, [0,] 0, 0, 0, 32); POP."""
    value = "6000" if kind in ("CALL", "CALLCODE") else ""
    opcode = {"CALL": "f1", "CALLCODE": "f2", "DELEGATECALL": "f4", "STATICCALL": "fa"}[kind]
    return bytes.fromhex("60206000600060" + "00" + value + "73" + callee[2:] + "5a" + opcode + "50")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    args = parser.parse_args()
    rerun_under_callgrind()
    import jitvm

    counter = InstructionCounter()
    callee, sender = "0x" + "00" * 19 + "aa", "0x" + "00" * 19 + "cc"
    reads_a_slot = bytes.fromhex("60015460005260206000f3")  # SLOAD(1), MSTORE(0), RETURN(0, 32)
    for engine in args.engines.split(","):
        for kind in ("CALL", "DELEGATECALL", "STATICCALL"):
            evm = jitvm.EVM(engine=engine)
            caller = "0x" + "00" * 19 + "bb"
            evm.insert_account_info(callee, jitvm.AccountInfo(code=reads_a_slot))
            evm.insert_account_info(caller, jitvm.AccountInfo(code=call_of(kind, callee) * CHILDREN))
            evm.insert_account_info(sender, jitvm.AccountInfo(balance=10**20))
            for _ in range(5):
                evm.message_call(sender, caller)
            alone = jitvm.EVM(engine=engine)  # the same transaction without its calls, to subtract
            alone.insert_account_info(caller, jitvm.AccountInfo(code=bytes.fromhex("00")))
            alone.insert_account_info(sender, jitvm.AccountInfo(balance=10**20))
            for _ in range(5):
                alone.message_call(sender, caller)
            counts = []
            for session in (evm, alone):
                with counter.measuring():
                    before = counter()
                    for _ in range(TRANSACTIONS):
                        session.message_call(sender, caller)
                    counts.append((counter() - before) / TRANSACTIONS)
            print(f"{engine:9} {kind:13} {(counts[0] - counts[1]) / CHILDREN:10.0f} instructions per child "
                  f"({counts[0]:,.0f} per transaction)", flush=True)


if __name__ == "__main__":
    main()
