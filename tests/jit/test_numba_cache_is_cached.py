"""`numba_cache.is_cached` (what "auto" asks before ending tier 0 on a fresh install) answers from
the file system what Numba's cache holds: False before a function's first compile, True after."""

import os
import subprocess
import sys
import textwrap


def test_is_cached_turns_true_when_numba_saves_the_function(tmp_path):
    script = textwrap.dedent("""
        from jitvm.jit.numba_cache import is_cached

        module, function = "jitvm.evm.precompiles.blake2f_native", "_compress"
        before = is_cached(module, function)
        from jitvm.evm.precompiles.blake2f import IV
        from jitvm.evm.precompiles.blake2f_native import compress

        compress(1, IV, [0] * 16, 0, 0, True)  # compiles _compress and saves it in the cache
        print(before, is_cached(module, function), is_cached(module, "no_such_function"))
    """)
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), JITVM_PROGRESS="0")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               env=environment, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["False", "True", "False"]
