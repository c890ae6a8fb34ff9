"""EELS, the executable Python specification (ethereum-execution, `ethereum-spec-evm`), as an oracle.

Its t8n runs each case as a one-transaction Cancun block, in this process (starting the tool costs
about a second; its `main` takes the inputs as a stream): the case's contracts as the alloc, the
transaction unsigned with the sender's secret key, so EELS signs it itself. It must agree with the
reference on what a block shows: whether the transaction succeeded, the gas it used, the hash of its
logs and the post-state root. The block's own steps add nothing to the state here (no withdrawals,
no beacon-roots contract in the alloc, no block reward after the merge).

EELS takes tens of milliseconds per case, far more than every jitvm engine together: it is an
option (`jitvm fuzz evm --oracle eels`), not a default. Needs the `peers` extra.
"""

from __future__ import annotations

import io
import json

from jitvm.fuzz.evm_programs import CALLER_SECRET_KEY, CONTRACTS, EvmCase

_fork_cache = None


def available() -> bool:
    try:
        import ethereum_spec_tools.evm_tools  # noqa: F401
    except ImportError:
        return False
    return True


def t8n_inputs(case: EvmCase) -> dict:
    from jitvm.fuzz.evm_check import BLOCK, GAS_PRICE, pre_accounts

    alloc = {
        "0x" + address.hex(): {
            "balance": hex(account.balance), "nonce": hex(account.nonce), "code": "0x" + account.code.hex(),
            "storage": {hex(slot): hex(value) for slot, value in account.storage.items()},
        }
        for address, account in pre_accounts(case).items()
    }
    env = {
        "currentCoinbase": "0x" + BLOCK["coinbase"].hex(), "currentGasLimit": hex(BLOCK["gas_limit"]),
        "currentNumber": hex(BLOCK["number"]), "currentTimestamp": hex(BLOCK["timestamp"]),
        "currentRandom": hex(BLOCK["prev_randao"]), "currentBaseFee": hex(BLOCK["base_fee"]),
        "currentDifficulty": "0x0", "currentExcessBlobGas": "0x0", "withdrawals": [],
        "parentBeaconBlockRoot": "0x" + "00" * 32,
    }
    transaction = {
        "type": "0x0", "chainId": "0x1", "nonce": "0x0", "gas": hex(case.gas), "gasPrice": hex(GAS_PRICE),
        "to": "0x" + CONTRACTS[0].hex(), "value": hex(case.value), "input": "0x" + case.calldata.hex(),
        "v": "0x0", "r": "0x0", "s": "0x0", "secretKey": "0x" + CALLER_SECRET_KEY.hex(),
    }
    return {"alloc": alloc, "env": env, "txs": [transaction]}


def outcome(case: EvmCase) -> dict:
    global _fork_cache
    from ethereum_spec_tools.evm_tools import main
    from ethereum_spec_tools.evm_tools.t8n import ForkCache

    if _fork_cache is None:
        _fork_cache = ForkCache()
    out = io.StringIO()
    status = main(
        args=["t8n", "--input.alloc=stdin", "--input.env=stdin", "--input.txs=stdin", "--output.result=stdout",
              "--output.alloc=stdout", "--state.fork=Cancun", "--state.chainid=1", "--state.reward=0"],
        out_file=out, in_file=io.StringIO(json.dumps(t8n_inputs(case))), fork_cache=_fork_cache,
    )
    if status != 0:
        raise RuntimeError(f"ethereum-spec-evm t8n exited with {status}")
    result = json.loads(out.getvalue())["result"]
    if result.get("rejected"):
        return {"rejected": result["rejected"][0].get("error", "rejected")}
    receipt = result["receipts"][0]
    return {
        "success": bool(receipt["succeeded"]) if "succeeded" in receipt else bool(int(receipt["status"], 16)),
        "gas_used": int(result["gasUsed"], 16),
        "logs_hash": bytes.fromhex(result["logsHash"][2:]),
        "state_root": bytes.fromhex(result["stateRoot"][2:]),
    }


def as_reference(expected: dict) -> dict:
    """The reference's outcome in EELS's terms."""
    if "rejected" in expected:
        return {"rejected": expected["rejected"]}
    return {"success": expected["status"] == "success", "gas_used": expected["gas_used"],
            "logs_hash": expected["logs_hash"], "state_root": expected["state_root"]}
