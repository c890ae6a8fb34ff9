"""Programs per second of `jitvm fuzz` in one process, with CPU time (steady under load) and memory.

    python bench/distributed/fuzz_rate.py evm --count 1000 --batch 50
    python bench/distributed/fuzz_rate.py bpf --count 1000 --profile 25

Runs the campaign's batches in this process, as a Dask worker would, after one warm-up batch (the
interpreters' Numba code loading). Prints wall and CPU seconds per program, the rate both give, and
the resident memory after every tenth batch (a worker must not grow). With --profile N, prints the
N functions with the most cumulative time (cProfile).
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=("evm", "bpf"))
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--no-pyrevm", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    options = parser.parse_args()

    from jitvm.distributed.tasks import resident_mb
    from jitvm.fuzz import campaign

    engines = ("baseline", "jit", "auto")
    peers = () if options.target == "bpf" or options.no_pyrevm else ("pyrevm",)
    campaign.run_batch(campaign.BatchSpec(options.target, 99 << 32, 5, engines, peers))  # warm-up
    specs = list(campaign.batches(options.target, options.seed, options.count, options.batch, engines, peers, True))
    profiler = None
    if options.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    programs = found = 0
    print(f"memory at start {resident_mb():.0f} MB")
    for number, spec in enumerate(specs, 1):
        result = campaign.run_batch(spec)
        programs += result.programs
        found += len(result.found)
        if number % 10 == 0:
            print(f"after {programs} programs: {resident_mb():.0f} MB", flush=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(options.profile)
    print(f"{options.target}: {programs} programs, {found} mismatches; wall {wall:.1f} s ({programs / wall:.1f}/s), "
          f"CPU {cpu:.1f} s ({programs / cpu:.1f}/s, {1000 * cpu / programs:.1f} ms each); "
          f"memory at end {resident_mb():.0f} MB")


if __name__ == "__main__":
    main()
