"""Running jitvm's and ethereum-spec-evm's t8n on the same inputs, and comparing their outputs.

ethereum-spec-evm runs in-process (its `main`, as its console script and daemon call it), because
starting it costs about a second per call.

What normalization removes, and why:
- numbers are compared as numbers (hex case, leading zeros, "0x2" vs 32-byte words in storage);
- absent zero fields count as zero (spec-evm omits a zero balance; geth's shape always has one), and
  spec-evm writes `currentBaseFee: null` for a zero base fee;
- receipts: ethereum-spec-evm writes {transactionHash, succeeded, cumulativeGasUsed, bloom, logs};
  geth's shape (jitvm's) names them status and logsBloom, and adds type, root, gasUsed,
  contractAddress, effectiveGasPrice, blockHash, transactionIndex and per-log block fields, which
  spec-evm omits — only the fields both write are compared;
- blobGasUsed: spec-evm omits it from result.json (jitvm writes it, as geth does);
- rejected: the indexes must be equal; the error texts are each client's own wording;
- txRoot / receiptsRoot of a block with rejected transactions: ethereum-spec-evm puts a transaction
  in its transactions trie before checking it, so rejected ones stay in its txRoot, and it keys both
  tries by input position, leaving gaps. geth and jitvm build the tries of the included transactions,
  keyed 0..n-1, as a block holds them. Such blocks compare the roots with `spec_style_roots`;
- body: ethereum-spec-evm writes a typed transaction given as JSON as its bare field list, without
  the type byte (not a valid block body); jitvm writes the EIP-2718 envelope as a byte string, as
  geth does. Bodies are compared as field lists.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from jitvm.evm import rlp, t8n
from jitvm.evm.forks import get_fork
from jitvm.evm.trie import trie_root

spec_tools = pytest.importorskip("ethereum_spec_tools.evm_tools")

# -- the two tools ----------------------------------------------------------------------------------


def run_jitvm(inputs: dict, fork_name: str = "Cancun", engine=None) -> dict:
    """jitvm's t8n, as `jitvm t8n` runs it, outputs to stdout."""
    fork = get_fork(fork_name)
    outcome = t8n.transition(
        t8n.parse_alloc(inputs["alloc"]),
        t8n.parse_env(inputs["env"], fork, 1),
        t8n.parse_txs(inputs["txs"], 1),
        fork,
        engine=engine,
    )
    return {"result": t8n.result_json(outcome), "alloc": t8n.alloc_json(outcome.state), "body": t8n.body_rlp(outcome)}


_FORK_CACHE = None


def run_spec(inputs: dict, workdir: Path, fork_name: str = "Cancun") -> dict:
    """ethereum-spec-evm's t8n (its `main`, in this process), outputs to stdout."""
    global _FORK_CACHE
    from ethereum_spec_tools.evm_tools.t8n import ForkCache

    if _FORK_CACHE is None:
        _FORK_CACHE = ForkCache()
    out = io.StringIO()
    status = spec_tools.main(
        args=["t8n", "--input.alloc=stdin", "--input.env=stdin", "--input.txs=stdin", "--output.result=stdout",
              "--output.alloc=stdout", "--output.body=stdout", f"--state.fork={fork_name}", "--state.chainid=1",
              "--state.reward=0", f"--output.basedir={workdir}"],
        out_file=out, in_file=io.StringIO(json.dumps(inputs)), fork_cache=_FORK_CACHE,
    )
    assert status == 0
    return json.loads(out.getvalue())


# -- normalization ----------------------------------------------------------------------------------


def _number(value) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value, 16) if value[:2] in ("0x", "0X") else int(value)


def _bytes(value) -> str:
    return (value or "0x").lower()


def normalized_alloc(alloc: dict) -> dict:
    return {
        address.lower(): {
            "balance": _number(account.get("balance")),
            "nonce": _number(account.get("nonce")),
            "code": _bytes(account.get("code")),
            "storage": {_number(k): _number(v) for k, v in (account.get("storage") or {}).items() if _number(v)},
        }
        for address, account in alloc.items()
    }


def normalized_result(result: dict) -> dict:
    receipts = [
        {
            "transactionHash": _bytes(r["transactionHash"]),
            "succeeded": r["succeeded"] if "succeeded" in r else bool(_number(r["status"])),
            "cumulativeGasUsed": _number(r["cumulativeGasUsed"]),
            "bloom": _bytes(r.get("bloom", r.get("logsBloom"))),
            "logs": [(_bytes(log["address"]), [_bytes(t) for t in log["topics"]], _bytes(log["data"]))
                     for log in r.get("logs") or []],
        }
        for r in result["receipts"]
    ]
    return {
        **{key: _bytes(result.get(key)) for key in ("stateRoot", "txRoot", "receiptsRoot", "withdrawalsRoot",
                                                    "logsHash", "logsBloom")},
        **{key: _number(result.get(key)) for key in ("gasUsed", "currentBaseFee", "currentExcessBlobGas",
                                                     "currentDifficulty")},
        "rejected": sorted(entry["index"] for entry in result["rejected"]),
        "receipts": receipts,
        # Prague on (EIP-7685): the requests with their type bytes, and whether the block is invalid.
        "requestsHash": _bytes(result.get("requestsHash")),
        "requests": [_bytes(request) for request in result.get("requests") or []],
        "blockException": "blockException" in result,
    }


def normalized_body(body: str) -> list:
    """The transactions' field lists (a typed envelope loses its type byte; see the module notes)."""
    items = rlp.decode(bytes.fromhex(body[2:]))
    return [rlp.decode(item[1:]) if isinstance(item, bytes) else item for item in items]


def normalized(output: dict, tx_roots: bool = True) -> dict:
    result = normalized_result(output["result"])
    if not tx_roots:
        del result["txRoot"], result["receiptsRoot"]
    return {"result": result, "alloc": normalized_alloc(output["alloc"]), "body": normalized_body(output["body"])}


def spec_style_roots(inputs: dict, fork_name: str = "Cancun") -> tuple[str, str]:
    """jitvm's block, with its tries built the way ethereum-spec-evm builds them (see above)."""
    fork = get_fork(fork_name)
    parsed = t8n.parse_txs(inputs["txs"], 1)
    outcome = t8n.transition(t8n.parse_alloc(inputs["alloc"]), t8n.parse_env(inputs["env"], fork, 1), parsed, fork)
    included = {id(signed): receipt for signed, receipt in zip(outcome.included, outcome.receipts)}
    positions = sorted(parsed.signed)
    transactions = {rlp.encode(n): parsed.signed[index].envelope for n, index in enumerate(positions)}
    receipts = {rlp.encode(n): included[id(parsed.signed[index])].encode()
                for n, index in enumerate(positions) if id(parsed.signed[index]) in included}
    return "0x" + trie_root(transactions).hex(), "0x" + trie_root(receipts).hex()


def compare_with_spec(inputs: dict, workdir, fork_name: str = "Cancun") -> dict:
    """jitvm's outputs, after checking them against ethereum-spec-evm's (see tests/t8n/tools.py)."""
    ours = run_jitvm(json.loads(json.dumps(inputs)), fork_name)
    theirs = run_spec(json.loads(json.dumps(inputs)), workdir, fork_name)
    assert normalized(ours, tx_roots=False) == normalized(theirs, tx_roots=False)
    spec_roots = (theirs["result"]["txRoot"], theirs["result"]["receiptsRoot"])
    if ours["result"]["rejected"]:
        assert spec_style_roots(inputs, fork_name) == spec_roots
    else:
        assert (ours["result"]["txRoot"], ours["result"]["receiptsRoot"]) == spec_roots
    return ours
