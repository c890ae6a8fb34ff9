"""What side_by_side.py times on the jit and auto engines: after each repeat of a workload (the same
interleaved repeats, calls and engine objects as side_by_side.py), each code's Heat state, tier and
counters, and the compile layer's counts. Shows whether a repeat timed cold codes, a compile, or the
QUICK tier rather than the steady state the instruction counts measure.

    python bench/realworld/side_by_side_states.py [--engines jit,auto] [--filter erc20/transfer] [--repeat 5] [--warm 0]

`--warm 0` (the default) shows side_by_side.py's start as it was until session 16 (nothing warmed);
`--warm 100` its steady state now.
"""

from __future__ import annotations

import argparse
import time

from jitvm.bench.realworld import WORKLOAD_NAMES
from side_by_side import per_call, warmed_sessions  # this script's folder is on sys.path


def describe(engine) -> str:
    """Each code's heat in an engine: state, tier of the compiled code it last ran, frames, review."""
    engine = getattr(engine, "tiered", lambda: engine)()  # auto's JitEngine
    parts = []
    for (code, _fork), heat in engine._heat.items():
        compiled = heat.code()
        tier = compiled.tier if compiled is not None else "-"
        parts.append(f"[{len(code)}B {heat.state} {tier} calls={heat.calls} steps={heat.steps}"
                     f" handovers={heat.handovers} review_at={heat.review_at if heat.review_at < 1 << 40 else 'done'}]")
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--filter", default="erc20/transfer")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warm", type=int, default=0, help="as side_by_side.py's --warm")
    args = parser.parse_args()
    from jitvm.evm.engines import get_engine

    engines = args.engines.split(",")
    for name in WORKLOAD_NAMES:
        if args.filter not in name:
            continue
        sessions, calls = warmed_sessions(name, engines, args.warm)
        for repeat in range(args.repeat):
            for runner, session in sessions.items():
                stats = get_engine("jit").compile_stats() if runner in ("jit", "auto") else {}
                seconds = per_call(session, calls)
                line = f"{name} repeat {repeat} {runner:8s} {seconds * 1e6:8.1f} us"
                if runner in ("jit", "auto"):
                    after = get_engine(runner).compile_stats()
                    changed = {key: round(after[key] - stats.get(key, 0), 3) for key in after
                               if after[key] != stats.get(key, 0)}
                    line += f" compile layer change {changed} {describe(get_engine(runner))}"
                    line = line.replace(" handovers=0", "").replace(" review_at=32", "")
                print(line, flush=True)


if __name__ == "__main__":
    main()
