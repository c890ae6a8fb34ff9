"""`jitvm svm simulate`: the fee-market simulator (jitvm.sealevel.feemarket) as a command."""

from __future__ import annotations

import json
from pathlib import Path

from jitvm.errors import InputError

MARKETS = ("global", "local", "local+simd0110")


def add_simulate_arguments(parser) -> None:
    parser.add_argument("--slots", type=int, default=200, help="slots to simulate (default 200)")
    parser.add_argument("--rate", type=float, default=400.0, help="transactions arriving per slot (default 400)")
    parser.add_argument("--hot-share", type=float, default=0.2,
                        help="share of transactions that write the hot AMM pool (default 0.2)")
    parser.add_argument("--burst", action="append", default=None, metavar="START:SLOTS:FACTOR",
                        help="multiply the hot arrival rate by FACTOR for SLOTS slots from START "
                             "(default 40:20:6 and 120:20:6; 'none' for no burst)")
    parser.add_argument("--market", action="append", choices=MARKETS, help="markets to compare (default: all)")
    parser.add_argument("--limits", choices=("agave", "agave-2024"), default="agave",
                        help="block / per-account compute limits: agave = 60M/24M, agave-2024 = 48M/12M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the summary and the per-slot series")
    parser.add_argument("--plot", metavar="DIR", type=Path, help="write the plots (PNG) into DIR")


def _bursts(texts) -> tuple:
    if texts is None:
        return ((40, 20, 6.0), (120, 20, 6.0))
    bursts = []
    for text in texts:
        if text == "none":
            continue
        try:
            start, length, factor = text.split(":")
            bursts.append((int(start), int(length), float(factor)))
        except ValueError:
            raise InputError("--burst", f"{text!r} is not START:SLOTS:FACTOR") from None
    return tuple(bursts)


def run_simulate(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from jitvm.sealevel.feemarket import Market, Workload, simulate
    from jitvm.sealevel.scheduler import BlockLimits

    if args.slots < 1 or args.rate < 0 or not 0 <= args.hot_share <= 1:
        raise InputError("jitvm svm simulate", "need --slots >= 1, --rate >= 0 and 0 <= --hot-share <= 1")
    workload = Workload(args.slots, args.rate, args.hot_share, bursts=_bursts(args.burst), seed=args.seed)
    limits = BlockLimits.preset(args.limits)
    results = [simulate(workload, Market(name, limits)) for name in (args.market or MARKETS)]
    table = Table(title=f"{args.slots} slots, {args.rate:g} transactions per slot, {args.hot_share:.0%} on the hot "
                        f"pool, limits {limits.block_units // 10**6}M/{limits.account_units // 10**6}M",
                  header_style="bold")
    for column in ("market", "class", "included", "dropped/waiting", "mean delay", "p95 delay",
                   "in next slot", "mean fee (lamports)", "block fullness"):
        table.add_column(column, justify="left" if column in ("market", "class") else "right")
    for result in results:
        summary = result.summary()
        for tag in ("hot", "cold"):
            row = summary[tag]
            table.add_row(result.market, tag, str(row["included"]), str(row["dropped_or_waiting"]),
                          _show(row["mean_delay_slots"]), _show(row["p95_delay_slots"]),
                          _show(row["next_slot_share"], percent=True), _show(row["mean_fee_lamports"]),
                          f"{summary['blocks']['mean_fullness']:.0%}" if tag == "hot" else "")
    Console().print(table)
    if args.json:
        document = json.dumps({"workload": workload.__dict__, "markets": {
            r.market: {"summary": r.summary(), "slots": [record.__dict__ for record in r.slots]} for r in results}},
            indent=1, default=str)
        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(document)
        except OSError as error:
            raise InputError(str(args.json), f"cannot write: {error.strerror or error}") from None
    if args.plot:
        from jitvm.sealevel.plots import plot_markets

        for path in plot_markets(results, args.plot):
            print(f"wrote {path}")
    return 0


def _show(value, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:,}"
