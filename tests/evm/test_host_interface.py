"""The host interface (jitvm.evm.host.Host) is what the engines use, and both hosts implement it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import jitvm
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.host import Host
from jitvm.evm.state import State

HOST_METHODS = [name for name, value in vars(Host).items() if inspect.isfunction(value) and not name.startswith("_")]


def _check_implements(cls) -> None:
    for name in HOST_METHODS:
        method = getattr(cls, name, None)
        assert callable(method), f"{cls.__name__} lacks {name}"
        wanted = list(inspect.signature(getattr(Host, name)).parameters)
        found = list(inspect.signature(method).parameters)
        assert found == wanted, f"{cls.__name__}.{name}{tuple(found)} != Host.{name}{tuple(wanted)}"


def test_state_implements_the_host_interface():
    _check_implements(State)
    assert isinstance(State(), Host)


def test_pyevm_adapter_implements_the_host_interface():
    pytest.importorskip("eth")
    from jitvm.evm.pyevm_backend import PyEvmHost

    _check_implements(PyEvmHost)


def test_instructions_and_driver_use_only_the_host_interface():
    """Every `state.<method>(` call in the instructions, the driver and the native engines' host glue
    is a method of Host (the transaction steps may use more of State)."""
    root = Path(jitvm.__file__).parent / "evm"
    files = [*(root / "reference").rglob("*.py"), root / "execution.py", *(root / "baseline").glob("*.py")]
    used = {name for path in files for name in re.findall(r"state\.([a-z_]+)\(", path.read_text())}
    assert used and used <= set(HOST_METHODS), sorted(used - set(HOST_METHODS))


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_every_engine_name_gives_an_engine_object(name):
    engine = get_engine(name)
    assert engine is not None and engine.name == name and callable(engine.run_frame)


def test_auto_is_the_default_engine():
    assert jitvm.EVM().engine == "auto"
