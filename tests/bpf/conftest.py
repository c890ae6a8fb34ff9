"""The BPF tests run 'jit' eagerly: a program's every block is compiled at its first run, so each
test runs its program on compiled code (on the default lazy policy a program run once would run on
the interpreter only, jitvm.bpf.jit.program_code). tests/bpf/test_lazy_compile.py and the lazy
cases of the differential test turn it off to test compiling as runs reach code."""

import pytest


@pytest.fixture(autouse=True)
def eager_bpf_jit(monkeypatch):
    from jitvm.bpf.jit import program_code

    monkeypatch.setattr(program_code.POLICY, "eager", True)
