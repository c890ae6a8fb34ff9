"""Fixtures of the EVM tests."""

import pytest


@pytest.fixture
def served_storage(monkeypatch) -> list:
    """The SLOADs and SSTOREs the host serves on the baseline and the JIT (whose hand-overs to the
    kernel go through the baseline's run_to_host, which serves them)."""
    import jitvm.evm.baseline.engine as baseline_engine

    served = []

    def counting(serve):
        def serve_storage(frame, pending):
            served.append(pending)
            return serve(frame, pending)
        return serve_storage

    monkeypatch.setattr(baseline_engine, "serve_storage", counting(baseline_engine.serve_storage))
    return served
