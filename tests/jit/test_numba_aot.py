"""Numba kernels kept as object code (jitvm.jit.numba_aot): a later process loads them without
importing Numba, and an edit anywhere the code comes from misses the cache (never a stale object)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jitvm.evm.baseline import native_entry
from jitvm.jit import dependencies
from jitvm.jit.dependencies import PACKAGE, module_closure
from jitvm.jit.numba_aot import ArrayArgument, entry_ir
from jitvm.tables import table_path
from tests.jit.test_cache_keys import _referenced_modules

PACKAGE_DIR = Path(dependencies.__file__).resolve().parents[1]

# A kernel that inlines a constant of another module, as the interpreter kernels inline gas costs.
PROBE = '''
from jitvm.evm import gas
from jitvm.jit.numba_cache import cached_njit


@cached_njit(__name__, error_model="numpy")
def copy_costs(sizes, costs):
    for index in range(sizes.size):
        costs[index] = sizes[index] * gas.COPY_WORD
'''

REPORT = '''
import ctypes, json, sys
import numpy as np
from jitvm.jit.numba_aot import ArrayArgument, EntrySpec, load_entries, python_function
from jitvm.jit.cache import default_cache

def probe():
    from jitvm.numba_probe import copy_costs
    return copy_costs

words = ArrayArgument("int64", 1)
spec = EntrySpec("probe_copy_costs", probe, (words, words))
loaded = load_entries("probe", ["jitvm.numba_probe"], [spec])
sizes, costs = np.array([1, 2, 5], dtype=np.int64), np.zeros(3, dtype=np.int64)
block = np.array([sizes.ctypes.data, 3, costs.ctypes.data, 3], dtype=np.int64)
status = loaded.function("probe_copy_costs", ctypes.c_int, ctypes.c_void_p)(block.ctypes.data)
more_costs = np.zeros(2, dtype=np.int64)
python_function(loaded, spec)(sizes[1:], more_costs)  # the CPython entry, on the arrays themselves
costs = np.concatenate([costs, more_costs])
stats = default_cache().stats
print(json.dumps({"status": status, "costs": costs.tolist(), "hits": stats.hits, "misses": stats.misses,
                  "numba_imported": "numba" in sys.modules}))
'''


def _report(root: Path, cache: Path, home: Path) -> dict:
    environment = {"PYTHONPATH": str(root), "JITVM_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin",
                   "HOME": str(home), "JITVM_PROGRESS": "0"}
    completed = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True, env=environment,
                               cwd=home, timeout=600)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_an_edited_constant_misses_and_an_unchanged_kernel_loads_without_numba(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(PACKAGE_DIR, root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(table_path("evm.toml").parent, root / "opcodes")
    (root / PACKAGE / "numba_probe.py").write_text(PROBE)
    cache = tmp_path / "cache"

    built = _report(root, cache, tmp_path)
    assert built == {"status": 0, "costs": [3, 6, 15, 6, 15], "hits": 0, "misses": 0, "numba_imported": True}
    loaded = _report(root, cache, tmp_path)
    assert loaded == {"status": 0, "costs": [3, 6, 15, 6, 15], "hits": 1, "misses": 0, "numba_imported": False}

    gas = root / PACKAGE / "evm" / "gas.py"
    gas.write_text(gas.read_text().replace("COPY_WORD = 3", "COPY_WORD = 4", 1))
    edited = _report(root, cache, tmp_path)  # the old object would still give 3 per word
    assert edited == {"status": 0, "costs": [4, 8, 20, 8, 20], "hits": 0, "misses": 0, "numba_imported": True}
    assert _report(root, cache, tmp_path)["hits"] == 1


def test_the_evm_kernel_key_covers_what_the_kernel_and_its_entry_import():
    closure = set(module_closure([*native_entry.ROOTS, "jitvm.jit.numba_aot"]))
    assert {"jitvm.evm.baseline.kernel", "jitvm.evm.gas", "jitvm.evm.baseline.layout", "jitvm.evm.limbs.uint256",
            "jitvm.evm.baseline.keccak", "jitvm.jit.numba_aot", "jitvm.evm.baseline.native_entry"} <= closure
    for name in sorted(closure):
        missing = _referenced_modules(importlib.import_module(name)) - closure
        assert not missing, f"{name} uses {sorted(missing)}, which the key does not cover"


def test_the_entry_passes_c_contiguous_arrays_in_numbas_convention():
    text = entry_ir("entry", "callee", (ArrayArgument("uint8", 2), ArrayArgument("int64", 1)))
    call = next(line for line in text.splitlines() if "call i32 @callee" in line)
    arguments = call.partition("(")[2].rstrip(")").split(", ")
    # return slot, exception slot; per array meminfo, parent, count, item size, data, sizes, strides
    assert len(arguments) == 2 + (5 + 2 * 2) + (5 + 2 * 1)
    assert arguments[2:4] == ["ptr null", "ptr null"] and arguments[5] == "i64 1"
    assert arguments[-4:] == ["i64 8", "ptr %a1.data", "i64 %a1.size0", "i64 8"]  # 1-D int64: stride 8
    assert "%a0.span1 = mul i64 1, %a0.size1" in text  # 2-D uint8: the first stride is the row length


def test_a_process_running_the_baseline_does_not_import_numba(tmp_path):
    """Once the objects are built (by this test's first run if need be), `jitvm run` on the baseline
    runs the kernel without Numba. The first run is the same command: the kernel is not the only
    object it loads (the native child frames' driver, `frames_function`, is another), so building the kernel
    alone left this test passing only when an earlier test had built the rest."""
    script = ("import sys; from jitvm.cli.main import main; code = main(['run', '600160005260206000f3',"
              " '--engine', 'baseline']); print('numba' in sys.modules); sys.exit(code)")
    environment = dict(os.environ, JITVM_PROGRESS="0")
    subprocess.run([sys.executable, "-c", script], env=environment, check=True, timeout=900, capture_output=True,
                   cwd=tmp_path)
    completed = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                               timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split()[-1] == "False" and "0x" + "00" * 31 + "01" in completed.stdout


@pytest.mark.slow
def test_numbas_entry_point_is_the_fallback_and_agrees(tmp_path):
    """JITVM_KERNEL_OBJECTS=0 runs the same kernels through Numba's entry points (compiles them)."""
    code = "6001600201600055600054600052602060" + "00f3"
    outputs = []
    for setting in ("1", "0"):
        completed = subprocess.run([sys.executable, "-m", "jitvm", "run", code, "--engine", "baseline"],
                                   env=dict(os.environ, JITVM_KERNEL_OBJECTS=setting, JITVM_PROGRESS="0"),
                                   capture_output=True, text=True, timeout=900, cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
        outputs.append(completed.stdout)
    assert outputs[0] == outputs[1] and "0x" + "00" * 31 + "03" in outputs[0]


def test_the_python_entries_are_used_only_where_numpys_layout_is_the_one_they_read(monkeypatch):
    from jitvm.jit import numba_aot

    numba_aot.check_array_layout()  # this process: the offsets hold
    monkeypatch.setattr(numba_aot, "_ARRAY_DATA", numba_aot._ARRAY_DATA + 8)  # an object header 8 bytes longer
    with pytest.raises(RuntimeError, match="array layout"):
        numba_aot.check_array_layout()
