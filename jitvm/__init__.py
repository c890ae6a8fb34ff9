"""jitvm: fast, exact execution of EVM and BPF bytecode.

A readable reference interpreter defines what is right for each instruction set; the native engines
(a Numba-compiled interpreter and a per-block LLVM JIT) are held equal to it, bit for bit.
"""

__version__ = "0.1.0"

# pyrevm-compatible names (jitvm.api), imported on first use so that `import jitvm` stays light.
_API_NAMES = frozenset({
    "EVM", "AccountInfo", "BlockEnv", "TxEnv", "CfgEnv", "Env", "ExecutionResult", "Log", "JournalCheckpoint",
    "fake_exponential",
})


def __getattr__(name: str):
    if name in _API_NAMES:
        from jitvm import api

        return getattr(api, name)
    raise AttributeError(f"module 'jitvm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _API_NAMES)
