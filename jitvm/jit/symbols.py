"""Runtime helpers that generated code may call: name, native address and LLVM signature.

A code generator puts `declarations(...)` into its IR; the engine gives every library it links the
addresses of the registered helpers its objects name, so a `call @name` in any module resolves.
Helpers usually come from Numba `@cfunc` (its `.address`) or from a shared library (ctypes).

A helper that is expensive to build (a Numba cfunc compiles, or loads from its cache, in tenths of
a second) is registered with `register_lazy`: its signature is known at once, so code generators
can declare it, and its address is built the first time an object that calls it is linked.
"""

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuntimeSymbol:
    """A native function the JIT links generated code against."""

    name: str
    address: int | None  # None until a lazy helper is first needed
    signature: str  # LLVM function type: "i64 (ptr, i64)"
    build: Callable[[], int] | None = field(default=None, compare=False, repr=False)  # a lazy helper's address

    def declaration(self) -> str:
        """The IR line that makes the helper callable from a module: `declare i64 @f(ptr, i64)`."""
        return_type, _, parameters = self.signature.partition("(")
        return f"declare {return_type.strip()} @{self.name}({parameters.rstrip().removesuffix(')')})"


_registry: dict[str, RuntimeSymbol] = {}
_registry_lock = threading.Lock()
# Per process, what every link asks again: the helpers' addresses once built, and one pattern that
# finds every registered name in an object's bytes in a single scan. Both are rebuilt only when the
# registry changes (a helper registered or built), which happens a few times per process.
_addresses: dict[str, int] = {}
_name_pattern: re.Pattern | None = None


def _check_signature(signature: str) -> str:
    signature = " ".join(str(signature).split())
    if "(" not in signature or not signature.endswith(")") or signature.startswith("("):
        raise ValueError(f"expected an LLVM function type like 'i64 (ptr, i64)', got {signature!r}")
    return signature


def register(name: str, address: int, llvm_signature) -> RuntimeSymbol:
    """Make native function `address` callable from generated code as `@name`.

    `llvm_signature` is an LLVM function type, as text or an `llvmlite.ir.FunctionType`. Registering
    the same name again is allowed only with the same address and signature: code already linked
    keeps the first address, so a silent replacement would leave two helpers under one name.
    """
    if not address:
        raise ValueError(f"runtime helper {name!r} has a null address")
    symbol = RuntimeSymbol(name, int(address), _check_signature(llvm_signature))
    with _registry_lock:
        existing = _registry.get(name)
        if existing is not None and existing != symbol and (existing.address, existing.signature) != (
                None, symbol.signature):  # a lazy helper may be given its address
            raise ValueError(f"runtime helper {name!r} is already registered as {existing}")
        _registry[name] = symbol
        _registry_changed()
    return symbol


def register_lazy(name: str, llvm_signature, build: Callable[[], int]) -> None:
    """Declare helper `name` now; `build()` gives its address when code that calls it is first linked.
    Registering the same name lazily again (with the same signature) keeps the first registration."""
    signature = _check_signature(llvm_signature)
    with _registry_lock:
        existing = _registry.get(name)
        if existing is not None:
            if existing.signature != signature:
                raise ValueError(f"runtime helper {name!r} is already registered as {existing}")
            return
        _registry[name] = RuntimeSymbol(name, None, signature, build)
        _registry_changed()


def _registry_changed() -> None:
    """Forget the name pattern (called with the registry lock held)."""
    global _name_pattern
    _name_pattern = None


def _resolved(symbol: RuntimeSymbol) -> int:
    known = _addresses.get(symbol.name)
    if known is not None:
        return known
    if symbol.address is not None:
        _addresses[symbol.name] = symbol.address
        return symbol.address
    address = symbol.build()  # outside the registry lock: building may take long, or register others
    if not address:
        raise ValueError(f"runtime helper {symbol.name!r} was built with a null address")
    with _registry_lock:
        current = _registry[symbol.name]
        if current.address is None:
            current = _registry[symbol.name] = RuntimeSymbol(symbol.name, int(address), symbol.signature)
        _addresses[symbol.name] = current.address
        return current.address


def names() -> set[str]:
    """The names of every registered helper (built or not)."""
    with _registry_lock:
        return set(_registry)


def referenced_by(objects: Iterable[bytes]) -> list[str]:
    """The registered helpers whose names occur in the object files' bytes: every helper an object
    calls is named in its symbol table (a name that occurs by chance only builds a helper early).
    One scan per object, whatever the number of helpers."""
    global _name_pattern
    with _registry_lock:
        pattern = _name_pattern
        if pattern is None:  # longest first, so that a name that extends another one is found whole
            alternatives = sorted(_registry, key=len, reverse=True)
            pattern = _name_pattern = re.compile(b"|".join(re.escape(name.encode()) for name in alternatives))
        registered = set(_registry)
    if not registered:
        return []
    found: set[str] = set()
    for object_code in objects:
        found.update(match.decode() for match in pattern.findall(object_code))
    return sorted(found & registered)


def imports_for(objects: Iterable[bytes]) -> dict[str, int]:
    """Name -> address of the helpers the objects call, built if lazy: what a link imports. Each
    helper is built once per process; afterwards this is a scan of the objects and dict lookups."""
    found = referenced_by(objects)
    missing = [name for name in found if name not in _addresses]
    if missing:
        addresses(missing)
    return {name: _addresses[name] for name in found}


def lookup(name: str) -> RuntimeSymbol:
    """The registered helper called `name` (KeyError if there is none)."""
    with _registry_lock:
        return _registry[name]


def addresses(chosen: Iterable[str] | None = None) -> dict[str, int]:
    """Name → address of the chosen registered helpers (all by default), building lazy ones."""
    with _registry_lock:
        symbols = list(_registry.values()) if chosen is None else [_registry[name] for name in chosen]
    return {symbol.name: _resolved(symbol) for symbol in symbols}


def declarations(names=None) -> str:
    """`declare` lines for the named helpers (all of them by default), to paste into a module."""
    with _registry_lock:
        chosen = _registry.values() if names is None else [_registry[name] for name in names]
        return "\n".join(symbol.declaration() for symbol in chosen) + "\n"
