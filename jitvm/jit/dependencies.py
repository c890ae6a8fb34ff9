"""What compiled code depends on, found from the import graph: the one guard of every code cache.

Generated machine code (the JITs' object cache) and Numba's cached compilations freeze constants and
inlined functions of the modules that generated them. A cache entry is valid only while every one of
those modules, the opcode tables they read, and the compiler versions and CPU are unchanged.

`dependency_digest(roots)` is a SHA-256 over exactly that: starting from the generator's modules it
follows every `import` and `from ... import` of jitvm modules (also those inside functions: a lazy
import still feeds the generator), parsed from the source with `ast`, so nothing is listed by hand and
a new import is covered the moment it is written. It folds in:
- the source of every jitvm module reached (names and bytes);
- the opcode tables those modules name (a string literal `*.toml` that `jitvm.tables` can find);
- the llvmlite, LLVM and Numba versions and the host CPU name and features.

A package's `__init__.py` is a dependency when names are imported from it (`from jitvm.evm import X`
where X is not a submodule), not merely because Python runs it on the way to a submodule: the code a
generator produces does not depend on what a parent package happens to import.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "jitvm"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_TABLE_LITERAL = re.compile(rb"""["']([A-Za-z0-9_.-]+\.toml)["']""")


def module_path(name: str) -> Path | None:
    """The source file of jitvm module `name` (a package's __init__.py), or None if there is none."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    relative = Path(*name.split(".")[1:])
    for candidate in (_PACKAGE_DIR / relative / "__init__.py", (_PACKAGE_DIR / relative).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _is_package(name: str) -> bool:
    path = module_path(name)
    return path is not None and path.name == "__init__.py"


def _import_statements(statements):
    """Every import statement among `statements`, also those nested in functions, classes and blocks
    (statements only: expressions hold no imports, and skipping them makes the walk cheap)."""
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
            continue
        for field_name in ("body", "orelse", "finalbody", "handlers", "cases"):
            nested = getattr(statement, field_name, None)
            if nested:
                yield from _import_statements(nested)


def _imported_names(name: str, tree: ast.Module) -> frozenset[str]:
    """jitvm modules that module `name` imports anywhere in its body."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
        else:
            base = node.module or ""
        submodules = [f"{base}.{alias.name}" for alias in node.names if module_path(f"{base}.{alias.name}")]
        found.update(submodules)
        if len(submodules) < len(node.names):  # some names are defined in `base` itself
            found.add(base)
    return frozenset(module for module in found if module_path(module) is not None)


def _facts(name: str, source: bytes) -> tuple[frozenset[str], frozenset[str]]:
    """(jitvm modules imported, table file names named) of module `name` with this source."""
    memo_key = f"{name}|{hashlib.sha256(source).hexdigest()}"
    _memo_state["used"].add(memo_key)
    known = _memo().get(memo_key)
    if known is not None:
        return frozenset(known[0]), frozenset(known[1])
    imports = _imported_names(name, ast.parse(source, str(module_path(name))))
    tables = frozenset(match.decode() for match in _TABLE_LITERAL.findall(source))  # a false match only adds a table
    with _memo_lock:
        _memo()[memo_key] = [sorted(imports), sorted(tables)]
        _memo_state["changed"] = True
    return imports, tables


# Parsing is most of the cost of a digest (tens of milliseconds at every start), so what each source
# says is remembered on disk by the module's name and the SHA-256 of its source: exact, and shared by
# every checkout and version. A missing or damaged file is simply parsed again.
_memo_lock = threading.Lock()
_memo_state: dict = {"entries": None, "changed": False, "used": set()}
MEMO_ENTRIES = 4096  # beyond this, a save keeps only the entries this process used (old versions go)


def _memo_path() -> Path:
    from jitvm.jit.locations import default_directory

    return default_directory() / "dependencies.json"


def _memo() -> dict:
    if _memo_state["entries"] is None:
        try:
            entries = json.loads(_memo_path().read_text())
            _memo_state["entries"] = entries if isinstance(entries, dict) else {}
        except (OSError, ValueError):
            _memo_state["entries"] = {}
    return _memo_state["entries"]


def _save_memo() -> None:
    with _memo_lock:
        if not _memo_state["changed"]:
            return
        _memo_state["changed"] = False
        entries = _memo_state["entries"]
        if len(entries) > MEMO_ENTRIES:
            entries = _memo_state["entries"] = {key: entries[key] for key in _memo_state["used"] if key in entries}
        path = _memo_path()
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(entries))
            os.replace(temporary, path)  # concurrent writers: the last one wins, the others parse again
        except OSError:
            pass  # a read-only cache folder: parse at every start


@functools.cache
def _source(path: Path, stamp: tuple[int, int]) -> bytes:
    return path.read_bytes()


def module_facts(name: str) -> tuple[bytes, frozenset[str], frozenset[str]]:
    """(source, jitvm modules imported, table file names named) of module `name`."""
    path = module_path(name)
    status = path.stat()
    source = _source(path, (status.st_mtime_ns, status.st_size))
    return (source, *_facts(name, source))


def module_closure(roots: Iterable[str]) -> list[str]:
    """Every jitvm module reachable from `roots` through imports (the roots included), sorted."""
    pending = list(roots)
    for root in pending:
        if module_path(root) is None:
            raise ValueError(f"{root!r} is not a module of the {PACKAGE} package")
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(module_facts(name)[1] - seen)
    _save_memo()
    return sorted(seen)


def table_files(modules: Iterable[str]) -> list[Path]:
    """The opcode tables the modules name (as string literals), where jitvm.tables finds them."""
    from jitvm.tables import table_path

    paths = []
    for filename in sorted(set().union(*(module_facts(name)[2] for name in modules))):
        try:
            paths.append(table_path(filename))
        except FileNotFoundError:
            continue  # a literal that names no table (a message, a test file)
    return paths


@functools.cache
def toolchain() -> str:
    """Compiler versions and the host CPU: code compiled with other ones is not reused."""
    import llvmlite
    import llvmlite.binding as llvm

    numba_version = _numba_version()
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:
        features = ""
    return "|".join([f"llvmlite={llvmlite.__version__}", f"llvm={'.'.join(map(str, llvm.llvm_version_info))}",
                     f"numba={numba_version}", f"cpu={llvm.get_host_cpu_name()}", f"features={features}"])


def _numba_version() -> str:
    """Numba's version without importing Numba (a JIT process may never need it) or
    importlib.metadata (tens of milliseconds at start-up): its generated `_version.py` holds it."""
    numba = sys.modules.get("numba")
    if getattr(numba, "__version__", None):
        return numba.__version__
    spec = importlib.util.find_spec("numba")
    if spec is not None and spec.submodule_search_locations:
        generated = Path(spec.submodule_search_locations[0]) / "_version.py"
        found = re.search(r'"version": "([^"]+)"', generated.read_text()) if generated.is_file() else None
        if found:
            return found.group(1)
    from importlib.metadata import version

    return version("numba")


def dependency_digest(roots: Iterable[str]) -> str:
    """SHA-256 (hex) of the sources reachable from `roots`, the tables they name and the toolchain."""
    modules = module_closure(roots)
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        digest.update(len(part).to_bytes(8, "little"))  # length-prefixed: no ambiguous joins
        digest.update(part)

    for name in modules:
        add(name.encode())
        add(module_facts(name)[0])
    for path in table_files(modules):
        add(path.name.encode())
        add(path.read_bytes())
    add(toolchain().encode())
    return digest.hexdigest()
