"""Reproducer files for mismatches.

EVM: a state test (the GeneralStateTests JSON format) whose expected post-state root and logs hash
are the reference interpreter's, with the sender's secret key, so `jitvm statetest FILE --engine E`
replays it (and fails on an engine that still disagrees), as can other clients' state-test runners.
The mismatch itself, the seed and the replay commands are in the test's `_info`.

BPF: a bpf_conformance test file (`.data`): the program as assembly (`-- asm`) or as raw words when
it was mutated below the assembler (`-- raw`), the input memory, and the reference's result or error;
notes in `-- c`. `jitvm bpf run FILE --engine E` replays it.
"""

from __future__ import annotations

import json
from pathlib import Path

from jitvm.fuzz.evm_check import BLOCK, FORK, GAS_PRICE, jitvm_outcome, pre_accounts
from jitvm.fuzz.evm_programs import CALLER_SECRET_KEY, CONTRACTS, EvmCase


def _hex(value: int) -> str:
    return hex(value)


def evm_state_test(case: EvmCase, mismatches, name: str) -> dict:
    expected = jitvm_outcome(case, "reference")
    pre = {
        "0x" + address.hex(): {
            "balance": _hex(account.balance), "nonce": _hex(account.nonce), "code": "0x" + account.code.hex(),
            "storage": {_hex(slot): _hex(value) for slot, value in sorted(account.storage.items())},
        }
        for address, account in pre_accounts(case).items()
    }
    return {name: {
        "_info": {
            "comment": "written by `jitvm fuzz evm`: the expected post-state is the reference interpreter's",
            "seed": case.seed,
            "mismatches": [{"engine": m.engine, "fields": list(m.fields), "detail": m.describe()}
                           for m in mismatches],
            "replay": [f"jitvm statetest {name}.json --engine {m.engine}" for m in mismatches
                       if m.engine != "pyrevm"],
        },
        "env": {
            "currentCoinbase": "0x" + BLOCK["coinbase"].hex(), "currentNumber": _hex(BLOCK["number"]),
            "currentTimestamp": _hex(BLOCK["timestamp"]), "currentGasLimit": _hex(BLOCK["gas_limit"]),
            "currentBaseFee": _hex(BLOCK["base_fee"]), "currentRandom": "0x" + "00" * 32,
            "currentDifficulty": "0x0", "currentExcessBlobGas": "0x0",
        },
        "pre": pre,
        "transaction": {
            "data": ["0x" + case.calldata.hex()], "gasLimit": [_hex(case.gas)], "value": [_hex(case.value)],
            "gasPrice": _hex(GAS_PRICE), "nonce": "0x0", "to": "0x" + CONTRACTS[0].hex(),
            "secretKey": "0x" + CALLER_SECRET_KEY.hex(),
        },
        "post": {FORK: [{
            "indexes": {"data": 0, "gas": 0, "value": 0},
            "hash": "0x" + expected["state_root"].hex() if "state_root" in expected else "0x" + "00" * 32,
            "logs": "0x" + expected["logs_hash"].hex() if "logs_hash" in expected else "0x" + "00" * 32,
            **({"expectException": expected["rejected"]} if "rejected" in expected else {}),
        }]},
    }}


def write_evm(case: EvmCase, mismatches, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(evm_state_test(case, mismatches, name), indent=1) + "\n")
    return path


def bpf_data_file(case, mismatches) -> str:
    """A bpf_conformance test: the program, its memory, and what the reference made of it."""
    from jitvm.fuzz.bpf_check import error_name, load, outcome

    program, rejection = load(case)
    expected = outcome(program, case, "reference") if program is not None else None
    profile_option = f"--sbpf {case.profile[-1]}" if case.profile.startswith("sbpf") else f"--profile {case.profile}"
    notes = [f"written by `jitvm fuzz bpf` (seed {case.seed}, profile {case.profile}, budget {case.budget})"]
    notes += [f"{m.engine}: {m.describe()}" for m in mismatches]
    notes += [f"replay: jitvm bpf run FILE --engine {m.engine} {profile_option} --budget {case.budget}"
              for m in mismatches if m.engine != "verifier"]
    lines = ["-- c", *notes]
    if case.mutation is None:
        lines += ["-- asm", case.assembly()]
    else:
        code = case.bytecode()
        lines += ["-- raw", *(f"0x{int.from_bytes(code[i:i + 8], 'little'):016x}" for i in range(0, len(code), 8))]
    lines += ["-- mem", " ".join(f"{byte:02x}" for byte in case.memory)]
    if rejection is not None:
        lines += ["-- error", rejection["rejected"]]
    elif expected["error"] is None:
        lines += ["-- result", f"0x{expected['r0']:x}"]
    else:
        lines += ["-- error", error_name(expected["error"])]
    return "\n".join(lines) + "\n"


def write_bpf(case, mismatches, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.data"
    path.write_text(bpf_data_file(case, mismatches))
    return path
