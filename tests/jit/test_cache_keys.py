"""The code caches cannot serve stale code: every key is derived from the import closure of what
generated the code (jitvm.jit.dependencies), and an edit anywhere in that closure misses."""

from __future__ import annotations

import importlib
import inspect
import json
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from jitvm.bpf.jit.compile import BpfGenerator
from jitvm.evm.jit.compile import EvmGenerator
from jitvm.jit import dependencies
from jitvm.jit.dependencies import PACKAGE, module_closure, module_path

PACKAGE_DIR = Path(dependencies.__file__).resolve().parents[1]


def numba_modules() -> list[str]:
    """Every jitvm module that declares Numba functions with an on-disk cache."""
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = path.read_text()
        if "cached_njit(__name__" in source or "cached_cfunc(__name__" in source:
            found.append(".".join((PACKAGE, *path.relative_to(PACKAGE_DIR).with_suffix("").parts)))
    return found


KEYS = {"evm-jit": EvmGenerator.roots, "bpf-jit": BpfGenerator.roots,
        **{f"numba:{module}": (module,) for module in numba_modules()}}


def test_every_numba_module_uses_the_guard():
    """No jitvm module asks Numba for a cache any other way (njit(cache=True) keys on one file)."""
    assert {"jitvm.evm.baseline.kernel", "jitvm.bpf.baseline.kernel", "jitvm.evm.baseline.keccak",
            "jitvm.evm.limbs.uint256_cfuncs", "jitvm.evm.precompiles.blake2f_native"} <= set(numba_modules())
    for path in PACKAGE_DIR.rglob("*.py"):
        assert "cache=True" not in path.read_text() or path.name == "numba_cache.py", path


def _referenced_modules(module: types.ModuleType) -> set[str]:
    """The jitvm modules whose objects `module` holds as globals (modules, functions, classes,
    Numba dispatchers), found by looking at the imported module, not at its source."""
    found = set()
    is_package = hasattr(module, "__path__")
    for value in vars(module).values():
        if isinstance(value, types.ModuleType):
            name = value.__name__
            if is_package and name.startswith(module.__name__ + "."):
                continue  # a package holds its submodules once anything imported them: no use of them

        else:
            function = getattr(value, "py_func", None) or getattr(value, "_pyfunc", None) or value
            name = getattr(function, "__module__", None)
            if not (inspect.isfunction(function) or inspect.isclass(function)):
                continue
        if isinstance(name, str) and name.startswith(PACKAGE + ".") and module_path(name):
            found.add(name)
    return found


@pytest.mark.parametrize("key", sorted(KEYS))
def test_each_key_covers_its_generators_imports(key):
    """Every jitvm module whose functions, classes or submodules a module of the closure holds is in
    the closure too (checked on the imported modules, independently of the source walk)."""
    closure = set(module_closure(KEYS[key]))
    assert set(KEYS[key]) <= closure
    for name in sorted(closure):
        module = importlib.import_module(name)
        missing = _referenced_modules(module) - closure
        assert not missing, f"{key}: {name} uses {sorted(missing)}, which the key does not cover"


def test_closures_reach_the_files_the_old_hand_lists_missed():
    evm = set(module_closure(EvmGenerator.roots))
    assert {"jitvm.evm.gas", "jitvm.evm.message", "jitvm.jit.blocks", "jitvm.jit.irtext",
            "jitvm.evm.baseline.layout", "jitvm.jit.compiler"} <= evm
    bpf = set(module_closure(BpfGenerator.roots))
    assert {"jitvm.bpf.errors", "jitvm.bpf.table", "jitvm.bpf.baseline.layout"} <= bpf
    assert {"jitvm.bpf.errors", "jitvm.bpf.baseline.raw"} <= set(module_closure(["jitvm.bpf.baseline.kernel"]))
    assert [path.name for path in dependencies.table_files(evm)] == ["evm.toml"]


# -- an edited copy of the package -----------------------------------------------------------------

PROBE = '''
"""A Numba function that inlines a constant of another module (as the interpreter kernels do)."""
from jitvm.evm import gas
from jitvm.jit.numba_cache import cached_njit


@cached_njit(__name__)
def copy_cost(words):
    return words * gas.COPY_WORD
'''

REPORT = '''
import json, sys
from jitvm.bpf.jit.compile import cache_key as bpf_key
from jitvm.bpf.program import Program
from jitvm.evm.jit.compile import cache_key as evm_key
from jitvm.jit.cache import ObjectCache
from jitvm.jit.numba_cache import cache_directory
from jitvm import numba_probe

cache = ObjectCache(sys.argv[1])
keys = {"evm": evm_key(bytes.fromhex("600160020100"), "Cancun"),
        "bpf": bpf_key(Program.from_assembly("mov %r0, 1\\nexit"))}
found = {name: cache.load(key) is not None for name, key in keys.items()}
for key in keys.values():
    cache.store(key, b"object code")
directories = {module: str(cache_directory(module)) for module in
               ("jitvm.evm.baseline.kernel", "jitvm.bpf.baseline.kernel", "jitvm.evm.limbs.word64")}
cost = numba_probe.copy_cost(2)
stats = numba_probe.copy_cost.stats
print(json.dumps({"found": found, "directories": directories, "cost": int(cost),
                  "numba_hits": sum(stats.cache_hits.values()), "numba_misses": sum(stats.cache_misses.values())}))
'''


@pytest.fixture
def package_copy(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(PACKAGE_DIR, root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(dependencies.table_files(module_closure(EvmGenerator.roots))[0].parent, root / "opcodes")
    (root / PACKAGE / "numba_probe.py").write_text(PROBE)
    return root


def _report(root: Path, cache: Path, tmp_path: Path) -> dict:
    environment = {"PYTHONPATH": str(root), "JITVM_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin",
                   "HOME": str(tmp_path), "JITVM_PROGRESS": "0"}
    completed = subprocess.run([sys.executable, "-c", REPORT, str(cache / "objects")], capture_output=True,
                               text=True, env=environment, cwd=tmp_path, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_an_edited_constant_misses_every_cache_that_depends_on_it(package_copy, tmp_path):
    """gas.py's COPY_WORD is compiled into the EVM JIT's code and the EVM kernel, not into the BPF
    side: after the edit the EVM entries miss (object cache and Numba), the BPF ones still hit, and
    the Numba function that inlines the constant compiles again and returns the new value."""
    cache = tmp_path / "cache"
    first = _report(package_copy, cache, tmp_path)
    assert first["found"] == {"evm": False, "bpf": False} and first["numba_misses"] == 1 and first["cost"] == 6
    again = _report(package_copy, cache, tmp_path)
    assert again["found"] == {"evm": True, "bpf": True} and again["numba_hits"] == 1
    assert again["directories"] == first["directories"]

    _edit(package_copy / PACKAGE / "evm" / "gas.py", "COPY_WORD = 3", "COPY_WORD = 4")
    edited = _report(package_copy, cache, tmp_path)
    assert edited["found"] == {"evm": False, "bpf": True}
    assert edited["numba_misses"] == 1 and edited["cost"] == 8  # Numba alone would have served 6
    directories = edited["directories"]
    assert directories["jitvm.evm.baseline.kernel"] != first["directories"]["jitvm.evm.baseline.kernel"]
    assert directories["jitvm.bpf.baseline.kernel"] == first["directories"]["jitvm.bpf.baseline.kernel"]
    assert directories["jitvm.evm.limbs.word64"] == first["directories"]["jitvm.evm.limbs.word64"]


def test_edits_the_old_guards_missed(package_copy, tmp_path):
    """BPF error codes (the hand-kept LAYOUT_DIGEST's job) and the opcode table change their keys."""
    cache = tmp_path / "cache"
    first = _report(package_copy, cache, tmp_path)
    _edit(package_copy / PACKAGE / "bpf" / "errors.py", "class ErrorCode", "# edited\nclass ErrorCode")
    after_errors = _report(package_copy, cache, tmp_path)
    assert after_errors["found"] == {"evm": True, "bpf": False}
    assert (after_errors["directories"]["jitvm.bpf.baseline.kernel"]
            != first["directories"]["jitvm.bpf.baseline.kernel"])
    table = package_copy / "opcodes" / "evm.toml"
    table.write_text(table.read_text() + "\n# edited\n")
    after_table = _report(package_copy, cache, tmp_path)
    assert after_table["found"] == {"evm": False, "bpf": True}


def test_the_digest_folds_in_the_toolchain(monkeypatch):
    roots = ["jitvm.evm.limbs.word64"]
    before = dependencies.dependency_digest(roots)
    monkeypatch.setattr(dependencies, "toolchain", lambda: "llvmlite=0|llvm=0|numba=0|cpu=other")
    assert dependencies.dependency_digest(roots) != before


@pytest.fixture
def private_memo(tmp_path, monkeypatch):
    """The parse memo of jitvm.jit.dependencies in a folder of this test, starting empty."""
    monkeypatch.setenv("JITVM_CACHE_DIR", str(tmp_path / "memo"))
    monkeypatch.setattr(dependencies, "_memo_state", {"entries": None, "changed": False, "used": set()})
    return tmp_path / "memo" / "dependencies.json"


def test_the_parse_memo_is_exact_and_survives_damage(private_memo, monkeypatch):
    roots = EvmGenerator.roots
    parsed = module_closure(roots)
    assert private_memo.is_file()
    monkeypatch.setattr(dependencies, "_memo_state", {"entries": None, "changed": False, "used": set()})
    monkeypatch.setattr(dependencies, "_imported_names", None)  # from the memo: nothing is parsed
    assert module_closure(roots) == parsed
    private_memo.write_text("{damaged")
    monkeypatch.undo()
    monkeypatch.setenv("JITVM_CACHE_DIR", str(private_memo.parent))
    monkeypatch.setattr(dependencies, "_memo_state", {"entries": None, "changed": False, "used": set()})
    assert module_closure(roots) == parsed


def test_the_closure_follows_lazy_and_relative_imports(tmp_path, monkeypatch, private_memo):
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("def __getattr__(name):\n    from jitvm import heavy\n")
    (package / "heavy.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "root.py").write_text(textwrap.dedent("""
        from . import sibling
        from ..constants import VALUE
        def late():
            from jitvm.lazy import thing
    """))
    for name in ("sub/sibling.py", "constants.py", "lazy.py"):
        (package / name).write_text("VALUE = 1\nthing = 2\n")
    monkeypatch.setattr(dependencies, "_PACKAGE_DIR", package)
    assert module_closure(["jitvm.sub.root"]) == ["jitvm.constants", "jitvm.lazy", "jitvm.sub.root",
                                                  "jitvm.sub.sibling"]
