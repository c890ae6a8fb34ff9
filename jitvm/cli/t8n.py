"""`jitvm t8n`: the state transition tool, with geth's `evm t8n` flags and files.

    jitvm t8n --input.alloc alloc.json --input.env env.json --input.txs txs.json \\
              --output.result result.json --output.alloc alloc.json --state.fork Osaka

Any input may be `stdin` (then stdin holds {"alloc": ..., "env": ..., "txs": ...}); any output may be
`stdout` (then stdout receives {"result": ..., "alloc": ..., "body": ...}). Output files are written
under --output.basedir.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from jitvm.cli.common import add_engine_option
from jitvm.evm import DEFAULT_FORK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input.alloc", dest="input_alloc", default="alloc.json", metavar="FILE",
                        help="pre-state (default alloc.json; 'stdin' to read it from stdin)")
    parser.add_argument("--input.env", dest="input_env", default="env.json", metavar="FILE",
                        help="block environment (default env.json)")
    parser.add_argument("--input.txs", dest="input_txs", default="txs.json", metavar="FILE",
                        help="transactions: a JSON list, or a JSON string of RLP hex (default txs.json)")
    parser.add_argument("--output.basedir", dest="output_basedir", default=".", metavar="DIR",
                        help="where output files go (default .)")
    parser.add_argument("--output.result", dest="output_result", default="result.json", metavar="FILE",
                        help="result file (default result.json; 'stdout' to print it)")
    parser.add_argument("--output.alloc", dest="output_alloc", default="alloc.json", metavar="FILE",
                        help="post-state file (default alloc.json; 'stdout' to print it)")
    parser.add_argument("--output.body", dest="output_body", default=None, metavar="FILE",
                        help="write the transactions' RLP here ('stdout' to print it)")
    parser.add_argument("--state.fork", dest="state_fork", default=DEFAULT_FORK,
                        help=f"fork rules (default {DEFAULT_FORK})")
    parser.add_argument("--state.chainid", dest="state_chainid", default="1", help="chain id (default 1)")
    parser.add_argument("--state.reward", dest="state_reward", default="0",
                        help="block reward (accepted for compatibility; proof-of-stake forks pay none)")
    parser.add_argument("--state-test", dest="state_test", action="store_true",
                        help="skip the system operations (history and beacon roots, withdrawals, requests), as ethereum-spec-evm does")
    parser.add_argument("--trace", action="store_true",
                        help="write an EIP-3155 trace per transaction to trace-<index>-<hash>.jsonl in basedir")
    for flag in ("--trace.memory", "--trace.nomemory", "--trace.returndata", "--trace.noreturndata",
                 "--trace.nostack"):
        parser.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    add_engine_option(parser)


def _read_inputs(args) -> tuple:
    from jitvm.errors import InputError

    names = {"alloc": args.input_alloc, "env": args.input_env, "txs": args.input_txs}
    stdin_document = None
    if "stdin" in names.values():
        try:
            stdin_document = json.load(sys.stdin)
        except json.JSONDecodeError as exc:
            raise InputError("stdin", f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(stdin_document, dict):
            raise InputError("stdin", "expected an object with alloc, env and txs")
    values = []
    for key, name in names.items():
        if name == "stdin":
            if key not in stdin_document:
                raise InputError("stdin", f"missing {key!r}")
            values.append(stdin_document[key])
            continue
        try:
            with open(name, "rb") as handle:
                values.append(json.load(handle))
        except OSError as exc:
            raise InputError(name, exc.strerror or "cannot read") from None
        except json.JSONDecodeError as exc:
            raise InputError(name, f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
    return tuple(values)


def run(args: argparse.Namespace) -> int:
    from jitvm.cli.common import resolve_evm_engine, resolve_fork
    from jitvm.errors import parse_int
    from jitvm.evm import t8n

    fork = resolve_fork(args.state_fork)
    engine = resolve_evm_engine(args.engine)
    chain_id = parse_int(args.state_chainid, "--state.chainid")
    alloc_doc, env_doc, txs_doc = _read_inputs(args)
    accounts = t8n.parse_alloc(alloc_doc, "--input.alloc")
    environment = t8n.parse_env(env_doc, fork, chain_id, "--input.env")
    transactions = t8n.parse_txs(txs_doc, chain_id, "--input.txs")

    os.makedirs(args.output_basedir, exist_ok=True)
    traces = []
    tracer_for = None
    if args.trace:
        from jitvm.evm.trace import Eip3155Tracer

        def tracer_for(index: int, tx_hash: bytes):
            handle = _FileOnFirstWrite(os.path.join(args.output_basedir, f"trace-{index}-0x{tx_hash.hex()}.jsonl"))
            traces.append(handle)
            return Eip3155Tracer(handle)

    try:
        outcome = t8n.transition(accounts, environment, transactions, fork, engine=engine,
                                 state_test=args.state_test, tracer_for=tracer_for)
    finally:
        for handle in traces:
            handle.close()

    outputs = {"result": (args.output_result, lambda: t8n.result_json(outcome)),
               "alloc": (args.output_alloc, lambda: t8n.alloc_json(outcome.state))}
    if args.output_body:
        outputs["body"] = (args.output_body, lambda: t8n.body_rlp(outcome))
    to_stdout = {}
    for key, (name, build) in outputs.items():
        if name == "stdout":
            to_stdout[key] = build()
        else:
            with open(os.path.join(args.output_basedir, name), "w") as handle:
                json.dump(build(), handle, indent=2)
                handle.write("\n")
    if to_stdout:
        json.dump(to_stdout, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


class _FileOnFirstWrite:
    """A trace file that comes to exist only if something is traced (a rejected transaction has none)."""

    def __init__(self, path: str):
        self.path = path
        self._handle = None

    def write(self, text: str) -> None:
        if self._handle is None:
            self._handle = open(self.path, "w")
        self._handle.write(text)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
