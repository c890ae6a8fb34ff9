"""Every script in examples/ runs to completion (exit 0, within seconds) and prints what it promises."""

import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY

EXAMPLES = REPOSITORY / "examples"

# What each example must print; an example not listed here must at least exit 0.
EXPECTED = {
    "bpf_custom_helper.py": ["eBPF: r0 = 144", "sBPF:"],
    "bpf_packet_filter.py": ["TCP to port 80", "-> accept", "UDP to port 53", "-> drop", "same verdicts on: reference"],
    "erc20_token.py": ["deployed at 0x", "Transfer(from=0xa11ce", "balanceOf(alice) = 999,750, balanceOf(bob) = 250",
                       "transferring more than the balance: revert", "same results on every engine: reference"],
    "evm_compare_engines.py": ["fib(10000)", "reference", "ok", "EVM workloads", "fibonacci"],
    "ci_regression_recipe.py": ["no regression beyond 50%", "REGRESSION: 1 of 1", "catches a slowed engine"],
    # Without the `clients` extra these print "skipped: ..."; tests/clients checks what they compute.
    "vyper_titanoboa.py": [],
    "web3_eth_tester.py": [],
}
SECONDS = 120  # each example takes seconds; this only stops a hang


@pytest.mark.parametrize("script", sorted(path.name for path in EXAMPLES.glob("*.py")))
def test_example_runs(script):
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True,
                          cwd=REPOSITORY, timeout=SECONDS, env={**_environment(), "COLUMNS": "160"})
    assert done.returncode == 0, done.stderr[-2000:]
    for text in EXPECTED.get(script, []):
        assert text in done.stdout, f"{script} did not print {text!r}:\n{done.stdout[-2000:]}"


def test_every_example_has_expectations():
    assert {path.name for path in EXAMPLES.glob("*.py")} <= set(EXPECTED)


def _environment():
    import os

    return {key: value for key, value in os.environ.items() if key != "JITVM_BENCH_SLOWDOWN"}
