"""State-test cases as t8n inputs: one block holding the case's one transaction.

The pre-state is the alloc; the environment adds what a block needs beyond a state test (the hashes of
the previous blocks, no withdrawals, a zero parent beacon root); the transaction is written in geth's
JSON form, unsigned, with its `secretKey`, so that each tool signs it (deterministically) itself.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jitvm.evm import gas
from jitvm.evm.statetest import Case, load_cases

ZERO_ROOT = "0x" + "00" * 32


@lru_cache(maxsize=64)
def _raw_tests(path: str) -> dict:
    return json.loads(Path(path).read_bytes())


def t8n_inputs(case: Case) -> dict | None:
    """{"alloc", "env", "txs"} for `case`, or None if it cannot be written as a signed transaction."""
    raw = _raw_tests(case.file)[case.name]
    secret_key = raw["transaction"].get("secretKey")
    tx = case.transaction
    if tx is None or not secret_key:
        return None
    block = case.block
    env = {
        "currentCoinbase": "0x" + block.coinbase.hex(),
        "currentGasLimit": hex(block.gas_limit),
        "currentNumber": hex(block.number),
        "currentTimestamp": hex(block.timestamp),
        "currentRandom": hex(block.prev_randao),
        "currentBaseFee": hex(block.base_fee),
        "currentExcessBlobGas": hex(block.excess_blob_gas),
        "blockHashes": {hex(n): "0x" + block.block_hash(n).hex()
                        for n in range(max(0, block.number - gas.BLOCKHASH_WINDOW), block.number)},
        "withdrawals": [],
        "parentBeaconBlockRoot": ZERO_ROOT,
    }
    fields = {
        "type": hex(tx.tx_type),
        "chainId": "0x1",
        "nonce": hex(tx.nonce),
        "gas": hex(tx.gas_limit),
        "to": "0x" + tx.to.hex() if tx.to is not None else None,
        "value": hex(tx.value),
        "input": "0x" + tx.data.hex(),
        "v": "0x0", "r": "0x0", "s": "0x0",
        "secretKey": secret_key,
    }
    if tx.tx_type in (0, 1):
        fields["gasPrice"] = hex(tx.gas_price)
    else:
        fields["maxFeePerGas"] = hex(tx.max_fee_per_gas)
        fields["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas)
    if tx.tx_type >= 1:
        fields["accessList"] = [{"address": "0x" + address.hex(), "storageKeys": ["0x%064x" % key for key in keys]}
                                for address, keys in tx.access_list]
    if tx.tx_type == 3:
        fields["maxFeePerBlobGas"] = hex(tx.max_fee_per_blob_gas)
        fields["blobVersionedHashes"] = ["0x" + h.hex() for h in tx.blob_hashes]
    if tx.tx_type == 4:
        fields["authorizationList"] = [
            {"chainId": hex(a.chain_id), "address": "0x" + a.address.hex(), "nonce": hex(a.nonce),
             "v": hex(a.y_parity), "r": hex(a.r), "s": hex(a.s)}
            for a in tx.authorizations
        ]
    return {"alloc": raw["pre"], "env": env, "txs": [fields]}


def convertible_cases(files: list[Path], fork: str = "Cancun", per_file: int | None = None):
    """(case, inputs) for the convertible cases of `fork` in `files`, up to `per_file` of each."""
    for path in files:
        taken = 0
        for case in load_cases(path):
            if case.fork != fork:
                continue
            inputs = t8n_inputs(case)
            if inputs is None:
                continue
            yield case, inputs
            taken += 1
            if per_file is not None and taken >= per_file:
                break
