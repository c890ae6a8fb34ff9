"""Tiny workloads and workload files for the bench tests: each runs in well under a millisecond on
the reference interpreter, so the tests time them in seconds."""

from __future__ import annotations

import json
from pathlib import Path

# PUSH1 42, MSTORE(0), RETURN(0, 32): returns 42 for 18 gas
ANSWER_CODE = "0x602a60005260206000f3"
ANSWER_OUTPUT = "0x" + (42).to_bytes(32, "big").hex()
ANSWER_GAS = 18

# n-th Fibonacci number mod 2**256, n = calldata (55 gas per step): see examples/evm_compare_engines.py
FIBONACCI_CODE = "0x600035600060015b82156019578091019160019003916007565b5060005260206000f3"


def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 2**256
    return a


def evm_answer(**overrides) -> dict:
    return {"kind": "evm", "name": "answer", "code": ANSWER_CODE, "expected_output": ANSWER_OUTPUT,
            "expected_gas": ANSWER_GAS, **overrides}


def evm_fibonacci(n: int = 300, **overrides) -> dict:
    return {"kind": "evm", "name": f"fibonacci-{n}", "code": FIBONACCI_CODE,
            "calldata": "0x" + n.to_bytes(32, "big").hex(),
            "expected_output": "0x" + fibonacci(n).to_bytes(32, "big").hex(), **overrides}


def bpf_length(**overrides) -> dict:
    return {"kind": "bpf", "name": "length", "program": "mov %r0, %r2\nexit", "memory": "0x010203",
            "expected_r0": 3, "expected_instructions": 2, **overrides}


def write_workloads(folder: Path, *entries: dict, name: str = "workloads.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"workloads": list(entries)}))
    return path
