"""`jitvm run CODE|FILE`: run EVM runtime code as a call on a fresh default state."""

from __future__ import annotations

import argparse
import json
import sys

from jitvm.cli.common import add_engine_option, coloured, read_code_argument
from jitvm.evm import DEFAULT_FORK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", metavar="CODE|FILE", help="runtime bytecode as hex, or a file holding it")
    parser.add_argument("--input", default="", metavar="HEX", help="calldata as hex")
    parser.add_argument("--gas", default="30000000", metavar="N", help="gas for the call (default 30,000,000)")
    parser.add_argument("--value", default="0", metavar="N", help="wei sent with the call")
    parser.add_argument("--fork", default=DEFAULT_FORK, help=f"fork rules to run under (default {DEFAULT_FORK})")
    add_engine_option(parser)
    parser.add_argument("--trace", action="store_true", help="write an EIP-3155 trace to stderr")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from jitvm.cli.common import resolve_evm_engine, resolve_fork
    from jitvm.errors import parse_hex, parse_int
    from jitvm.evm.calls import call_code
    from jitvm.evm.trace import Eip3155Tracer

    code = read_code_argument(args.code)
    calldata = parse_hex(args.input, "--input")
    gas = parse_int(args.gas, "--gas")
    value = parse_int(args.value, "--value")
    fork = resolve_fork(args.fork)
    engine = resolve_evm_engine(args.engine)
    tracer = Eip3155Tracer(sys.stderr) if args.trace else None
    outcome = call_code(code, calldata, gas=gas, value=value, engine=engine, fork=fork, tracer=tracer)
    if args.json:
        json.dump({
            "status": outcome.status.name.lower(),
            "success": outcome.is_success,
            "output": "0x" + outcome.output.hex(),
            "gasUsed": outcome.gas_used,
            "logs": [{"address": "0x" + log.address.hex(), "topics": [f"0x{t:064x}" for t in log.topics],
                      "data": "0x" + log.data.hex()} for log in outcome.logs],
        }, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"status    {coloured(outcome.status.name.lower(), 'green' if outcome.is_success else 'red')}")
        print(f"output    0x{outcome.output.hex()}")
        print(f"gas used  {outcome.gas_used:,}")
        for log in outcome.logs:
            topics = ", ".join(f"0x{t:064x}" for t in log.topics)
            print(f"log       [{topics}] 0x{log.data.hex()}")
    return 0 if outcome.is_success else 1
