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
import re
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "jitvm"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.toml$")


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


def _imported_names(name: str, tree: ast.AST) -> frozenset[str]:
    """jitvm modules that module `name` imports anywhere in its body."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            else:
                base = node.module or ""
            submodules = [f"{base}.{alias.name}" for alias in node.names if module_path(f"{base}.{alias.name}")]
            found.update(submodules)
            if len(submodules) < len(node.names):  # some names are defined in `base` itself
                found.add(base)
    return frozenset(module for module in found if module_path(module) is not None)


def _tables_named(tree: ast.AST) -> frozenset[str]:
    """String literals that look like an opcode table's file name."""
    return frozenset(node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str) and _TABLE_NAME.match(node.value))


@functools.cache
def _facts(name: str, path: Path, stamp: tuple[int, int]) -> tuple[bytes, frozenset[str], frozenset[str]]:
    source = path.read_bytes()
    tree = ast.parse(source, str(path))
    return source, _imported_names(name, tree), _tables_named(tree)


def module_facts(name: str) -> tuple[bytes, frozenset[str], frozenset[str]]:
    """(source, jitvm modules imported, table file names named) of module `name`, parsed once per
    version of its file."""
    path = module_path(name)
    status = path.stat()
    return _facts(name, path, (status.st_mtime_ns, status.st_size))


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

    numba = sys.modules.get("numba")
    numba_version = getattr(numba, "__version__", None)
    if numba_version is None:
        from importlib.metadata import version

        numba_version = version("numba")
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:
        features = ""
    return "|".join([f"llvmlite={llvmlite.__version__}", f"llvm={'.'.join(map(str, llvm.llvm_version_info))}",
                     f"numba={numba_version}", f"cpu={llvm.get_host_cpu_name()}", f"features={features}"])


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
