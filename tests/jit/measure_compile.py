"""Report compile and reload times of generated code (a script, not a test: timing never fails CI).

    python tests/jit/measure_compile.py [--blocks 5000] [--per-function 150]

Prints cold compile time for growing block counts (it should grow linearly), the time to link the
object code into the JIT, and the time to load it back from the on-disk cache.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[2])]  # helpers; jitvm

from jit_sample_ir import sample_program, sample_program_module  # noqa: E402

from jitvm.jit import ObjectCache, compile_module, load_objects, target  # noqa: E402


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5000)
    parser.add_argument("--per-function", type=int, default=150)
    options = parser.parse_args()

    print(f"target: {target.describe()}; {options.per_function} blocks per function")
    compile_module(sample_program_module(sample_program(10), 10)[0])  # first-use setup off the clock
    for count in sorted({options.blocks // 4, options.blocks // 2, options.blocks}):
        ir, names = sample_program_module(sample_program(count), options.per_function)
        object_code, seconds = timed(lambda: compile_module(ir))
        print(f"  {count:6d} blocks, {len(names):3d} functions: compile {seconds:6.3f} s "
              f"({seconds / count * 1e6:5.0f} us/block), object {len(object_code) / 1024:.0f} KiB")

    _, link_seconds = timed(lambda: load_objects([object_code], names))
    print(f"link into the JIT ({options.blocks} blocks): {link_seconds * 1e3:.1f} ms")
    with tempfile.TemporaryDirectory() as directory:
        cache = ObjectCache(directory)
        cache.store("measure", object_code)
        loaded, read_seconds = timed(lambda: cache.load("measure"))
        _, relink_seconds = timed(lambda: load_objects([loaded], names))
        print(f"cache load: read+check {read_seconds * 1e3:.1f} ms + link {relink_seconds * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
