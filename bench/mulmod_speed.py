"""What one MULMOD (and ADDMOD) costs on each engine and on pyrevm: a contract squaring a number
modulo the BN254 prime (weierstrudel's modulus) N times in a loop, against the same loop with MUL
in its place; the difference per iteration is the opcode's cost. Best of several runs, process CPU
time (noisy on a loaded machine: compare engines within one run).

    python bench/mulmod_speed.py [--engines jit,baseline,pyrevm] [--modulus 0x...]
"""

from __future__ import annotations

import argparse
import time

BN254_PRIME = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
START = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
LOOPS = 100_000
# The loop's body between `DUP1 DUP2 DUP3`-style operand copies and the counter's decrement:
# stack [modulus, counter, x] -> [modulus, counter, x, f(x)] before `SWAP1 POP`.
BODIES = {"MULMOD": bytes([0x09]), "ADDMOD": bytes([0x08]), "MUL": bytes([0x02, 0x90, 0x50])}


def loop_code(body: bytes, modulus: int, loops: int = LOOPS) -> bytes:
    """PUSH32 modulus, PUSH32 x, PUSH3 loops; loop: SWAP1 DUP3 DUP2 DUP1 <body> SWAP1 POP SWAP1
    PUSH1 1 SWAP1 SUB DUP1 PUSH2 loop JUMPI; STOP."""
    head = (b"\x7f" + modulus.to_bytes(32, "big") + b"\x7f" + (START % modulus).to_bytes(32, "big")
            + b"\x62" + loops.to_bytes(3, "big"))
    loop = len(head)
    return (head + bytes([0x5B, 0x90, 0x82, 0x81, 0x80]) + body
            + bytes([0x90, 0x50, 0x90, 0x60, 0x01, 0x90, 0x03, 0x80, 0x61]) + loop.to_bytes(2, "big") + b"\x57\x00")


def jitvm_call(engine_name: str):
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine

    engine = get_engine(engine_name)

    def run(code: bytes) -> None:
        outcome = call_code(code, engine=engine)
        if not outcome.is_success:
            raise RuntimeError(f"{engine_name}: {outcome.status}")

    return run, getattr(engine, "settle", None)


def pyrevm_call():
    import pyrevm

    from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS

    caller, contract = "0x" + CALLER_ADDRESS.hex(), "0x" + CONTRACT_ADDRESS.hex()

    def run(code: bytes) -> None:
        evm = run.evms.get(code)
        if evm is None:
            evm = run.evms[code] = pyrevm.EVM(gas_limit=30_000_000)
            evm.insert_account_info(contract, pyrevm.AccountInfo(balance=0, nonce=1, code=code))
            evm.insert_account_info(caller, pyrevm.AccountInfo(balance=10**30, nonce=0))
        evm.message_call(caller, contract, b"", gas=30_000_000)

    run.evms = {}
    return run, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="jit,baseline,pyrevm")
    parser.add_argument("--modulus", default=hex(BN254_PRIME))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    modulus = int(args.modulus, 0)
    for name in args.engines.split(","):
        run, settle = pyrevm_call() if name == "pyrevm" else jitvm_call(name)
        per_loop = {}
        for opcode, body in BODIES.items():
            code = loop_code(body, modulus)
            for _ in range(3):
                run(code)
            if settle is not None:  # the JIT: until its frames run the OPTIMIZED tier (the upgrade comes when hot)
                from jitvm.evm.jit import compile

                from jitvm.evm.jit.engine import QUICK_REFRESH

                for _ in range(100):
                    settle()
                    if getattr(compile.loaded(code, "Osaka"), "tier", None) == compile.OPTIMIZED:
                        break
                    run(code)
                # The engine's frames of a QUICK-tier code ask the layer for the upgrade only every
                # QUICK_REFRESH frames: until then they run the QUICK code (measured here by mistake
                # when the object cache did not hold the OPTIMIZED tier yet).
                for _ in range(QUICK_REFRESH + 1):
                    run(code)
            best = float("inf")
            for _ in range(args.rounds):
                started = time.process_time()
                run(code)
                best = min(best, time.process_time() - started)
            per_loop[opcode] = best / LOOPS * 1e9
        extra = {opcode: per_loop[opcode] - per_loop["MUL"] for opcode in ("MULMOD", "ADDMOD")}
        print(f"{name:9} ns per loop: " + ", ".join(f"{op} {ns:.1f}" for op, ns in per_loop.items())
              + f"; MULMOD costs {extra['MULMOD']:.1f} ns, ADDMOD {extra['ADDMOD']:.1f} ns more than MUL", flush=True)


if __name__ == "__main__":
    main()
