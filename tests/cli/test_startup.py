"""Start-up stays light: what a short command imports (bench/startup.py times it; no timings here).

`jitvm run` of a STOP contract and `jitvm t8n` of an empty block run in a new process, with the
environment a user has (tier 0 of "auto" on), and report the modules they loaded. Importing Numba
and loading the kernel, or the precompiles' cryptography libraries, would cost most of the start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# Needed by none of these runs. A JIT run may import numpy and llvmlite (it compiles and calls code).
CRYPTOGRAPHY = {"py_ecc", "coincurve", "Crypto", "cryptography", "ckzg", "py_arkworks_bls12381"}
NUMERIC = {"numba", "scipy"}
EMPTY_BLOCK_ENV = {
    "currentCoinbase": "0x" + "2a" * 20, "currentGasLimit": "0x1c9c380", "currentNumber": "0x1",
    "currentTimestamp": "0x3e8", "currentDifficulty": "0x0", "currentRandom": "0x" + "00" * 32,
    "currentBaseFee": "0x7", "withdrawals": [], "parentBeaconBlockRoot": "0x" + "00" * 32,
}


def imported_by(arguments: list[str], tmp_path) -> set[str]:
    """The top-level packages loaded by `jitvm ARGUMENTS` in a fresh process (with empty code caches)."""
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from jitvm.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            status = main({arguments!r})
        print(json.dumps([status, sorted({{name.split(".")[0] for name in sys.modules}})]))
    """)
    environment = {key: value for key, value in os.environ.items() if key != "JITVM_TIER0_GAS"}
    environment.update(JITVM_CACHE_DIR=str(tmp_path / "cache"), NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                               cwd=tmp_path, timeout=300)
    assert completed.returncode == 0, completed.stderr
    status, modules = json.loads(completed.stdout.splitlines()[-1])
    assert status == 0
    return set(modules)


@pytest.mark.parametrize("engine", ["reference", "auto"])
def test_a_stop_contract_imports_no_numba_llvm_or_cryptography(engine, tmp_path):
    # numpy is imported: the state keeps storage in a native table (jitvm.evm.storage_table) that
    # every engine reads, the reference included (about 0.08 s of start-up).
    modules = imported_by(["run", "00", "--engine", engine], tmp_path)
    assert "numpy" in modules
    assert not modules & (CRYPTOGRAPHY | NUMERIC | {"llvmlite", "rich"})


def test_a_stop_contract_on_the_jit_imports_no_numba_or_cryptography(tmp_path):
    modules = imported_by(["run", "00", "--engine", "jit"], tmp_path)
    assert "llvmlite" in modules  # it did compile
    assert not modules & (CRYPTOGRAPHY | NUMERIC)


@pytest.mark.parametrize("engine", ["reference", "auto"])
def test_an_empty_block_imports_no_numba(engine, tmp_path):
    (tmp_path / "alloc.json").write_text("{}")
    (tmp_path / "txs.json").write_text("[]")
    (tmp_path / "env.json").write_text(json.dumps(EMPTY_BLOCK_ENV))
    modules = imported_by(["t8n", "--output.result", "stdout", "--output.alloc", "stdout", "--engine", engine],
                          tmp_path)
    assert not modules & (NUMERIC | {"py_ecc", "coincurve", "cryptography", "ckzg", "py_arkworks_bls12381"})


def test_a_precompile_call_imports_its_library_then(tmp_path):
    # CALL the SHA256 precompile (0x02): STATICCALL(gas, 2, 0, 0, 0, 32), then RETURN 32 bytes.
    code = "6020600060006000600261fffffa5060206000f3"
    modules = imported_by(["run", code, "--engine", "reference"], tmp_path)
    assert "Crypto" in modules and not modules & {"py_ecc", "coincurve", "cryptography", "ckzg"}


def test_bench_compiles_the_evm_interpreter_in_a_second_process_only_when_it_must(monkeypatch, capsys):
    import subprocess as subprocess_module
    from types import SimpleNamespace

    from jitvm.cli import bench
    from jitvm.evm.baseline import native_entry

    evm, bpf = SimpleNamespace(kind="evm"), SimpleNamespace(kind="bpf")
    started = []
    monkeypatch.setattr(subprocess_module, "Popen", lambda command, **options: started.append(command) or "process")
    monkeypatch.setattr(native_entry, "kernels_built", lambda: False)
    assert bench._compile_the_evm_interpreter_meanwhile([bpf], None) is None  # no EVM workload
    assert bench._compile_the_evm_interpreter_meanwhile([evm], ["reference", "pyrevm"]) is None  # no kernel
    assert bench._compile_the_evm_interpreter_meanwhile([evm, bpf], None) == "process"
    assert started == [[sys.executable, "-m", "jitvm", "run", "00", "--engine", "baseline"]]
    assert "compiling the EVM interpreter in a second process" in capsys.readouterr().err
    monkeypatch.setattr(native_entry, "kernels_built", lambda: True)
    assert bench._compile_the_evm_interpreter_meanwhile([evm], ["jit"]) is None  # cached already
    assert len(started) == 1
