"""`jitvm t8n` on hand-made blocks: many transactions of every type, rejections, system operations,
RLP and pre-signed input — each compared with ethereum-spec-evm, plus jitvm-only checks."""

from __future__ import annotations

import json

import pytest
from coincurve import PrivateKey

from jitvm.evm import t8n
from jitvm.evm.forks import get_fork
from jitvm.hashing import keccak256
from tests.api.bytecode import assemble, initcode
from tests.t8n.tools import compare_with_spec, normalized, run_jitvm

pytestmark = pytest.mark.peers

KEYS = [bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"),
        bytes.fromhex("41f6e321b31e72173f8ff2e292359e1862f24fba42fe6f97efaf641980eff298")]


def address_of(key: bytes) -> str:
    return "0x" + keccak256(PrivateKey(key).public_key.format(compressed=False)[1:])[12:].hex()


ALICE, BOB = (address_of(key) for key in KEYS)
CONTRACT = "0x" + "c0" * 20
COINBASE = "0x" + "cb" * 20
BEACON_ROOTS = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02"
# EIP-4788's contract (runtime code, as the EIP deploys it).
BEACON_ROOTS_CODE = ("0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f3580156049"
                     "5762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281"
                     "555f359062001fff015500")
ETHER = 10**18


def env(**changes) -> dict:
    base = {
        "currentCoinbase": COINBASE,
        "currentGasLimit": hex(600_000),
        "currentNumber": "0x1",
        "currentTimestamp": "0x3e8",
        "currentRandom": "0x" + "00" * 31 + "07",
        "currentBaseFee": "0x7",
        "currentExcessBlobGas": "0x0",
        "blockHashes": {"0x0": "0x" + "ab" * 32},
        "withdrawals": [],
        "parentBeaconBlockRoot": "0x" + "00" * 32,
    }
    base.update(changes)
    return base


def tx(key: bytes, **fields) -> dict:
    base = {"nonce": "0x0", "gas": hex(100_000), "to": CONTRACT, "value": "0x0", "input": "0x",
            "v": "0x0", "r": "0x0", "s": "0x0", "secretKey": "0x" + key.hex()}
    base.update({k: (hex(v) if isinstance(v, int) else v) for k, v in fields.items()})
    return base


# Logs its calldata's first word and stores CALLVALUE at slot NUMBER.
LOGGER = assemble(0, "CALLDATALOAD", 0, "MSTORE", "CALLER", 32, 0, "LOG1", "CALLVALUE", "NUMBER", "SSTORE")


def many_transactions() -> dict:
    runtime = assemble(0xBEEF, 0, "MSTORE", 32, 0, "RETURN")
    access_list = [{"address": CONTRACT, "storageKeys": ["0x" + "00" * 31 + "01"]}]
    blob_hash = "0x01" + "22" * 31
    return {
        "alloc": {ALICE: {"balance": hex(10 * ETHER)}, BOB: {"balance": "0x5"},
                  CONTRACT: {"code": "0x" + LOGGER.hex(), "storage": {"0x1": "0x9"}}},
        "env": env(),
        "txs": [
            tx(KEYS[0], type="0x0", nonce=0, gasPrice=10, value=3, input="0x" + "11" * 32),
            tx(KEYS[0], type="0x2", nonce=1, maxFeePerGas=20, maxPriorityFeePerGas=2, accessList=access_list,
               input="0x" + "22" * 32, chainId="0x1"),
            tx(KEYS[0], type="0x0", nonce=0, gasPrice=10),  # nonce too low
            tx(KEYS[0], type="0x1", nonce=2, gasPrice=9, to=None, input="0x" + initcode(runtime).hex(),
               accessList=[], chainId="0x1"),
            tx(KEYS[0], type="0x0", nonce=3, gasPrice=10, gas=1_000_000),  # more gas than the block has left
            tx(KEYS[0], type="0x3", nonce=3, maxFeePerGas=30, maxPriorityFeePerGas=1, maxFeePerBlobGas=5,
               blobVersionedHashes=[blob_hash], accessList=[], chainId="0x1", input="0x" + "33" * 32),
            tx(KEYS[1], type="0x0", nonce=0, gasPrice=10),  # insufficient funds
            tx(KEYS[0], type="0x0", nonce=4, gasPrice=8, protected=False, value=1),  # pre-EIP-155 signature
            tx(KEYS[0], type="0x2", nonce=5, maxFeePerGas=6, maxPriorityFeePerGas=1, chainId="0x1"),  # fee < base
        ],
    }


def system_operations() -> dict:
    reader = assemble("TIMESTAMP", 0, "MSTORE", 32, 0, 32, 0, 0, int(BEACON_ROOTS, 16), "GAS", "CALL", "POP",
                      0, "MLOAD", 0, "SSTORE")
    return {
        "alloc": {ALICE: {"balance": hex(ETHER)}, CONTRACT: {"code": "0x" + reader.hex()},
                  BEACON_ROOTS: {"nonce": "0x1", "code": BEACON_ROOTS_CODE}},
        "env": env(parentBeaconBlockRoot="0x" + "5a" * 32, withdrawals=[
            {"index": "0x0", "validatorIndex": "0x7", "address": ALICE, "amount": "0x3"},
            {"index": "0x1", "validatorIndex": "0x8", "address": "0x" + "77" * 20, "amount": "0x2540be400"},
            {"index": "0x2", "validatorIndex": "0x9", "address": "0x" + "78" * 20, "amount": "0x0"},
        ]),
        "txs": [tx(KEYS[0], type="0x2", maxFeePerGas=10, maxPriorityFeePerGas=1, chainId="0x1")],
    }


def derived_fees() -> dict:
    """No currentBaseFee / currentExcessBlobGas: both come from the parent block."""
    inputs = many_transactions()
    for key in ("currentBaseFee", "currentExcessBlobGas"):
        del inputs["env"][key]
    inputs["env"].update(parentBaseFee="0x8", parentGasUsed=hex(400_000), parentGasLimit=hex(600_000),
                         parentExcessBlobGas=hex(400_000), parentBlobGasUsed=hex(131072))
    return inputs


BLOCKS = {"many_transactions": many_transactions, "system_operations": system_operations,
          "derived_fees": derived_fees}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_same_outputs_as_spec(name, tmp_path):
    compare_with_spec(BLOCKS[name](), tmp_path)


def test_rlp_and_presigned_input_give_the_same_block(tmp_path):
    inputs = many_transactions()
    from_json = run_jitvm(json.loads(json.dumps(inputs)))
    as_rlp = {**inputs, "txs": from_json["body"]}
    assert normalized(run_jitvm(as_rlp)) == normalized(from_json)
    compare_with_spec(as_rlp, tmp_path)
    # The same transactions as signed JSON, without secret keys.
    parsed = t8n.parse_txs(inputs["txs"], 1)
    presigned = []
    for index, raw in enumerate(inputs["txs"]):
        fields = parsed.signed[index].fields
        presigned.append({**{k: v for k, v in raw.items() if k not in ("secretKey", "protected")},
                          "v": hex(fields["v"]), "r": hex(fields["r"]), "s": hex(fields["s"])})
    signed_inputs = {**inputs, "txs": presigned}
    assert normalized(run_jitvm(signed_inputs)) == normalized(from_json)


def test_shanghai_block(tmp_path):
    inputs = many_transactions()
    inputs["txs"] = [t for t in inputs["txs"] if t["type"] != "0x3"]
    for key in ("currentExcessBlobGas", "parentBeaconBlockRoot"):
        del inputs["env"][key]
    compare_with_spec(inputs, tmp_path, "Shanghai")


# -- jitvm only ---------------------------------------------------------------------------------------


def test_receipts_and_rejections():
    result = run_jitvm(many_transactions())["result"]
    assert [entry["index"] for entry in result["rejected"]] == [2, 4, 6, 8]
    assert result["rejected"][0]["error"].startswith("nonce too low")
    assert result["rejected"][2]["error"].startswith("insufficient funds for gas * price + value")
    receipts = result["receipts"]
    assert [r["type"] for r in receipts] == ["0x0", "0x2", "0x1", "0x3", "0x0"]
    assert [r["transactionIndex"] for r in receipts] == ["0x0", "0x1", "0x2", "0x3", "0x4"]
    assert receipts[2]["contractAddress"] != "0x" + "00" * 20
    assert receipts[3]["blobGasUsed"] == hex(131072)
    assert int(result["gasUsed"], 16) == int(receipts[-1]["cumulativeGasUsed"], 16)
    assert result["blobGasUsed"] == hex(131072)


def test_bad_signatures_are_rejected():
    good = t8n.parse_txs([tx(KEYS[0], type="0x2", maxFeePerGas=10, maxPriorityFeePerGas=1, chainId="0x1")], 1)
    fields = good.signed[0].fields
    base = {k: v for k, v in tx(KEYS[0], type="0x2", maxFeePerGas=10, maxPriorityFeePerGas=1,
                                 chainId="0x1").items() if k != "secretKey"}
    cases = [
        {**base, "v": hex(fields["v"]), "r": "0x0", "s": hex(fields["s"])},  # r = 0
        {**base, "v": hex(fields["v"]), "r": hex(fields["r"]), "s": hex(t8n.SECP256K1_N - fields["s"])},  # high s
        {**base, "v": "0x2", "r": hex(fields["r"]), "s": hex(fields["s"])},  # bad y parity
        {**base, "chainId": "0x5", "v": hex(fields["v"]), "r": hex(fields["r"]), "s": hex(fields["s"])},
    ]
    parsed = t8n.parse_txs(cases, 1)
    assert not parsed.signed and sorted(parsed.rejected) == [0, 1, 2, 3]
    assert parsed.rejected[3].startswith("invalid chain id")


def test_state_test_mode_skips_system_operations():
    inputs = system_operations()
    fork = get_fork("Cancun")
    outcome = t8n.transition(t8n.parse_alloc(inputs["alloc"]), t8n.parse_env(inputs["env"], fork, 1),
                             t8n.parse_txs(inputs["txs"], 1), fork, state_test=True)
    beacon = bytes.fromhex(BEACON_ROOTS[2:])
    assert outcome.state.accounts[beacon].storage == {}
    assert bytes.fromhex("77" * 20) not in outcome.state.accounts


def test_system_operations_effects():
    alloc = run_jitvm(system_operations())["alloc"]
    beacon_storage = {int(k, 16): int(v, 16) for k, v in alloc[BEACON_ROOTS]["storage"].items()}
    assert beacon_storage == {1000 % 8191: 1000, 1000 % 8191 + 8191: int("5a" * 32, 16)}
    assert int(alloc[CONTRACT]["storage"]["0x" + "00" * 32], 16) == int("5a" * 32, 16)  # read back in a tx
    assert int(alloc["0x" + "77" * 20]["balance"], 16) == 10**19  # 10**10 gwei
    assert "0x" + "78" * 20 not in alloc  # a zero withdrawal does not create an account


def test_bad_inputs_are_one_line_errors(tmp_path):
    from jitvm.cli.main import main

    (tmp_path / "alloc.json").write_text("{}")
    (tmp_path / "env.json").write_text(json.dumps({"currentNumber": "0x1"}))
    (tmp_path / "txs.json").write_text("[]")
    arguments = ["t8n", f"--input.alloc={tmp_path / 'alloc.json'}", f"--input.env={tmp_path / 'env.json'}",
                 f"--input.txs={tmp_path / 'txs.json'}", f"--output.basedir={tmp_path}"]
    assert main(arguments) == 2
    assert main([*arguments, "--state.fork=Berlin"]) == 2
    (tmp_path / "txs.json").write_text("[{")
    assert main(arguments) == 2


def test_command_writes_files_and_traces(tmp_path):
    from jitvm.cli.main import main

    inputs = many_transactions()
    for name in ("alloc", "env", "txs"):
        (tmp_path / f"{name}.json").write_text(json.dumps(inputs[name]))
    out = tmp_path / "out"
    status = main(["t8n", *(f"--input.{name}={tmp_path / f'{name}.json'}" for name in ("alloc", "env", "txs")),
                   f"--output.basedir={out}", "--output.body=body.rlp", "--trace", "--state.fork=Cancun"])
    assert status == 0
    result = json.loads((out / "result.json").read_text())
    assert normalized({"result": result, "alloc": json.loads((out / "alloc.json").read_text()),
                       "body": json.loads((out / "body.rlp").read_text())}) == normalized(run_jitvm(inputs))
    traces = sorted(out.glob("trace-*.jsonl"))
    assert len(traces) == len(result["receipts"])  # one per transaction that ran
    lines = [json.loads(line) for line in traces[0].read_text().splitlines()]
    assert lines[0]["pc"] == 0 and {"output", "gasUsed"} <= set(lines[-1])  # steps, then the summary
