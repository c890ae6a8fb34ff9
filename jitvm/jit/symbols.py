"""Runtime helpers that generated code may call: name, native address and LLVM signature.

A code generator puts `declarations(...)` into its IR; the engine gives every library it links the
addresses of all registered helpers, so a `call @name` in any module resolves. Helpers usually come
from Numba `@cfunc` (its `.address`) or from a shared library (ctypes).
"""

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeSymbol:
    """A native function the JIT links generated code against."""

    name: str
    address: int
    signature: str  # LLVM function type: "i64 (ptr, i64)"

    def declaration(self) -> str:
        """The IR line that makes the helper callable from a module: `declare i64 @f(ptr, i64)`."""
        return_type, _, parameters = self.signature.partition("(")
        return f"declare {return_type.strip()} @{self.name}({parameters.rstrip().removesuffix(')')})"


_registry: dict[str, RuntimeSymbol] = {}
_registry_lock = threading.Lock()


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
        if existing is not None and existing != symbol:
            raise ValueError(f"runtime helper {name!r} is already registered as {existing}")
        _registry[name] = symbol
    return symbol


def lookup(name: str) -> RuntimeSymbol:
    """The registered helper called `name` (KeyError if there is none)."""
    with _registry_lock:
        return _registry[name]


def addresses() -> dict[str, int]:
    """Name → address of every registered helper: what the engine imports into each library."""
    with _registry_lock:
        return {name: symbol.address for name, symbol in _registry.items()}


def declarations(names=None) -> str:
    """`declare` lines for the named helpers (all of them by default), to paste into a module."""
    with _registry_lock:
        chosen = _registry.values() if names is None else [_registry[name] for name in names]
        return "\n".join(symbol.declaration() for symbol in chosen) + "\n"
