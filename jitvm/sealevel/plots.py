"""Plots of fee-market simulations: queues, fees and block use per slot."""

from __future__ import annotations

from pathlib import Path


def plot_markets(results, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(len(results), 3, figsize=(14, 3.2 * len(results)), squeeze=False)
    for row, result in zip(axes, results):
        slots = [record.slot for record in result.slots]
        row[0].plot(slots, [r.waiting["hot"] for r in result.slots], label="hot (AMM pool)")
        row[0].plot(slots, [r.waiting["cold"] for r in result.slots], label="cold (transfers)")
        row[0].set_title(f"{result.market}: transactions waiting")
        row[0].legend(fontsize=7)
        fees = {"hot": {}, "cold": {}}
        for outcome in result.outcomes:
            if outcome.included is not None:
                fees[outcome.tag].setdefault(outcome.included, []).append(outcome.fee)
        for tag in ("hot", "cold"):
            points = sorted(fees[tag].items())
            row[1].plot([s for s, _ in points], [sum(v) / len(v) for _, v in points], label=tag)
        row[1].set_yscale("log")
        row[1].set_title(f"{result.market}: mean fee paid (lamports)")
        row[1].legend(fontsize=7)
        row[2].plot(slots, [r.units / result.block_units for r in result.slots])
        row[2].set_ylim(0, 1.05)
        row[2].set_title(f"{result.market}: block fullness")
    for axis in axes[-1]:
        axis.set_xlabel("slot")
    figure.tight_layout()
    path = folder / "fee_markets.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return [path]
