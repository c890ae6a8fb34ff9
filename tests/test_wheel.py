"""The opcode tables and the benchmark workloads ship inside the wheel, and an installed wheel finds them."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPOSITORY


def test_installed_wheel_finds_the_opcode_tables(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPOSITORY)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("jitvm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "jitvm/opcodes/evm.toml" in names
    assert not any(name.startswith("tests/") for name in names)

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from jitvm.tables import table_path; from jitvm.evm.opcodes import opcode_table;"
        "print(table_path('evm.toml')); print(len(opcode_table('Cancun').by_name))"
    )
    found = subprocess.run([sys.executable, "-c", probe, str(target)], check=True, capture_output=True,
                           text=True, cwd=tmp_path).stdout.split()
    assert found[0].startswith(str(target))
    assert int(found[1]) > 149  # mnemonics plus aliases


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_bundled_benchmarks(tmp_path):
    """`pip install <wheel>[peers]` in a fresh venv outside the checkout, then `jitvm bench --quick`
    from an empty folder: every bundled workload verifies on every engine. The venv sees the system
    site-packages (so numba, llvmlite and the peers need not be reinstalled), but jitvm itself must
    come from the wheel; that is checked."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPOSITORY)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("jitvm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "jitvm/bench/data/evm/benchmarks/LICENSE" in names
    assert "jitvm/bench/data/bpf/bench/xxh32_c.c" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"{wheel}[peers]"],
                   check=True, capture_output=True, env=environment)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import jitvm; print(jitvm.__file__)"], check=True,
                           capture_output=True, text=True, cwd=elsewhere, env=environment).stdout.strip()
    assert where.startswith(str(venv)), f"jitvm was imported from {where}, not from the wheel"

    results = tmp_path / "quick.json"
    bench = subprocess.run([str(venv / "bin" / "jitvm"), "bench", "--quick", "--json", str(results)],
                           capture_output=True, text=True, cwd=elsewhere, env=environment)
    assert bench.returncode == 0, bench.stdout[-3000:] + bench.stderr[-3000:]
    document = json.loads(results.read_text())
    statuses = {(m["kind"], m["workload"], m["engine"]): m["status"] for m in document["results"]}
    workloads = {(kind, workload) for kind, workload, _ in statuses}
    assert {kind for kind, _ in workloads} == {"evm", "bpf"}
    assert len(workloads) >= 15  # 8 EVM contracts and 7 BPF programs
    assert all(status in ("ok", "skipped") for status in statuses.values()), statuses
    for workload in workloads:  # each verified on at least one jitvm engine
        assert any(statuses[key] == "ok" for key in statuses if key[:2] == workload and key[2] != "pyrevm"), workload
