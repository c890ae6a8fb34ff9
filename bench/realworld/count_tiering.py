"""CPU instructions per realworld transaction on each path a `jit` or `auto` frame can take, against
the baseline's, counted by callgrind (starts itself again under valgrind). Issue 14's bar is that
neither engine costs more than the baseline in its steady state.

    python bench/realworld/count_tiering.py [--filter erc20,multicall] [--calls 20] [--skip-long]

Columns (each a jitvm.EVM session of its own, the engine object set on it after the deployment):
- `baseline`: get_engine("baseline"); `baseline again` in a session of its own, the same: how far
  two sessions' counts differ with nothing changed (the heap's layout, the collector);
- `jit cold`: a JitEngine whose codes never leave their cold state (cold_steps and load_steps out
  of reach): every frame on the baseline's path, through JitEngine's decisions and counting (a
  transaction's frame, given all its gas, with a step budget: JitEngine._cold_frame);
- `auto cold`: a tiered JitEngine whose codes never get hot (hot_calls and hot_gas out of reach):
  every frame on the baseline's path, counted where its buffers go back (JitEngine._counted_frame marks them);
- `jit`: the registered "jit" after settle() (compiled, and each code reviewed: a code whose
  compiled frames hand too many instructions to the kernel runs on the baseline's path);
- `auto`: the registered "auto" after 100 transactions and settle() (its codes past HOT_CALLS
  compiled, then reviewed as on `jit`).
The `+n` after a count is its difference to the baseline's. Each session runs 100 transactions
first (past REVIEW_FRAMES + SAMPLE_FRAMES, so that every review is done), then `--calls` are counted
with the collector emptied and frozen.
"""

from __future__ import annotations

import argparse
import gc

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path

WARM_CALLS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filter", default="", help="sessions whose name has one of these (comma-separated)")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--skip-long", action="store_true", help="leave out the 5,000-transfer call and the block")
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.counting import InstructionCounter
    from jitvm.bench.realworld import Session, chosen_workloads, new_evm
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit.engine import JitEngine

    never = 1 << 61
    engines = {"baseline": get_engine("baseline"), "baseline again": get_engine("baseline"),
               "jit cold": JitEngine(cold_steps=never, load_steps=never),
               "auto cold": JitEngine(hot_calls=never, hot_gas=never),
               "jit": get_engine("jit"), "auto": get_engine("auto")}
    counter = InstructionCounter()
    for name, long in chosen_workloads(args.filter, args.skip_long):
        calls = 1 if long else args.calls
        counts = {}
        for label, engine in engines.items():
            session = Session(name, *new_evm("baseline"))
            session.deployment.evm._ctx.engine = engine  # (the EVM's context carries its engine)
            for _ in range(3 if long else WARM_CALLS):
                session.run()
            if label in ("jit", "auto"):
                engine.settle()
                for _ in range(1 if long else WARM_CALLS):
                    session.run()
            gc.collect()
            gc.freeze()
            with counter.measuring():
                before = counter()
                for _ in range(calls):
                    session.run()
                counts[label] = (counter() - before) / calls
        base = counts["baseline"]
        print(f"{name:26s} " + "   ".join(
            f"{label} {count / 1e3:8.1f}k" + ("" if label == "baseline" else f" ({count - base:+7.0f})")
            for label, count in counts.items()), flush=True)


if __name__ == "__main__":
    main()
