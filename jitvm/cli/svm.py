"""`jitvm svm`: run Solana transactions on jitvm's runtime.

    jitvm svm run LEDGER.json [--engine NAME] [--json] [--threads N | --processes N]

LEDGER.json holds accounts, programs (ELF paths), the recent blockhash and base64 wire-format
transactions (see jitvm/svm/ledger.py and docs/svm.md). Exit 0 when the ledger ran, even if some
transactions failed; 2 with a one-line error when the ledger is malformed.
"""

from __future__ import annotations

import argparse
import json
import sys

ENGINE_CHOICES = ("reference", "baseline", "jit", "auto")  # see jitvm.bpf.engines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="svm_action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run a ledger's transactions in order and print the results")
    run.add_argument("ledger", help="LEDGER.json: accounts, programs, blockhash, transactions")
    run.add_argument("--engine", choices=ENGINE_CHOICES, default="reference",
                     help="sBPF engine for the programs: reference, baseline, jit or auto")
    run.add_argument("--json", action="store_true", help="print the results and every account as JSON")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="replay on N threads: the ledger's order between conflicting transactions, the rest in "
                          "parallel; the output is the sequential run's (default 1)")
    run.add_argument("--processes", type=int, default=1, metavar="N",
                     help="replay on N forked worker processes instead (groups of transactions that share no "
                          "written account), for engines whose work holds the GIL; the same output (default 1)")
    from jitvm.cli.svm_simulate import add_simulate_arguments

    add_simulate_arguments(actions.add_parser(
        "simulate", help="simulate global against local fee markets on a generated workload"))


def run(args: argparse.Namespace) -> int:
    from jitvm.errors import InputError

    if args.svm_action == "simulate":
        from jitvm.cli.svm_simulate import run_simulate

        return run_simulate(args)
    for name, value in (("--threads", args.threads), ("--processes", args.processes)):
        if value < 1:
            raise InputError(name, f"must be at least 1, not {value}")

    from jitvm.svm.ledger import accounts_after, load_ledger, result_json, run_ledger

    ledger = load_ledger(args.ledger)
    svm, results = run_ledger(ledger, args.engine, threads=args.threads, processes=args.processes)
    transactions = [result_json(result) for result in results]
    accounts = accounts_after(svm, ledger)
    if args.json:
        json.dump({"transactions": transactions, "accounts": accounts}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    for index, entry in enumerate(transactions):
        status = "ok" if entry["err"] is None else f"error {entry['err']}"
        print(f"transaction {index} {entry['signature']}: {status}, "
              f"{entry['compute_units_consumed']} compute units, fee {entry['fee']}")
        for line in entry["logs"]:
            print(f"  {line}")
        if entry["return_data"]:
            print(f"  return data: {entry['return_data']}")
    print("accounts:")
    for account in accounts:
        flag = " executable" if account["executable"] else ""
        print(f"  {account['pubkey']}: {account['lamports']} lamports, owner {account['owner']}{flag}, "
              f"{len(account['data']) * 3 // 4 - account['data'][-2:].count('=')} bytes of data")
    return 0
