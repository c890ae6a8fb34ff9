"""The Wasm contract VM: compiles contracts (metered, then through wasmtime's Cranelift JIT), runs
one endpoint per call on a fresh instance, and keeps everything stateful in the host.

Safety: gas metering ends every run that exceeds its gas; an epoch deadline (a watchdog thread ticks
the engine) ends any run that goes on past `timeout` seconds anyway (a schedule that prices a loop at
zero); memory is capped per instance by the store's limits; every hook checks its memory accesses.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from functools import lru_cache

import wasmtime

from jitvm.wasm.binary import InvalidModule
from jitvm.wasm.builtins import BUILTINS, run_builtin
from jitvm.wasm.frame import CallInput, Frame, Transaction
from jitvm.wasm.gas_counter import GasCounter
from jitvm.wasm.hooks import load_all
from jitvm.wasm.metering import GAS_GLOBAL, OUT_OF_GAS_GLOBAL, instrument
from jitvm.wasm.outcome import AsyncBreak, CallEnded, CallResult, ReturnCode, execution_failed
from jitvm.wasm.schedule import GasSchedule, dummy_schedule
from jitvm.wasm.world import World

MAX_GAS = (1 << 63) - 1
MAX_CALL_DEPTH = 10
DEFAULT_MEMORY_LIMIT = 64 << 20  # bytes per instance
DEFAULT_TIMEOUT = 10.0  # seconds of one top-level call, the safety net behind gas
_TICK = 0.05
# Endpoints a transaction may not name directly.
RESERVED_FUNCTIONS = frozenset({"init", "upgrade", "callBack", "_initialize"})


class WasmVM:
    def __init__(self, schedule: GasSchedule | None = None, memory_limit: int = DEFAULT_MEMORY_LIMIT,
                 timeout: float = DEFAULT_TIMEOUT):
        self.schedule = schedule or dummy_schedule()
        self.memory_limit = memory_limit
        self.deadline_ticks = max(1, int(timeout / _TICK))
        config = wasmtime.Config()
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        self.frames: list[Frame] = []
        self.hooks = load_all()
        self._compiled = lru_cache(maxsize=256)(self._compile)
        _start_watchdog(self.engine)

    # -- compiling ---------------------------------------------------------------------------------

    def _compile(self, code_hash: bytes, code: bytes):
        schedule = self.schedule
        try:
            metered = instrument(code, schedule.opcodes, schedule.local_cost, schedule.free_locals)
            module = wasmtime.Module(self.engine, metered)
        except (InvalidModule, wasmtime.WasmtimeError) as exc:
            raise CallEnded(ReturnCode.CONTRACT_INVALID, f"invalid contract code: {str(exc).splitlines()[0]}") from None
        linker = wasmtime.Linker(self.engine)
        for item in module.imports:
            if not isinstance(item.type, wasmtime.FuncType):
                raise CallEnded(ReturnCode.CONTRACT_INVALID, f"invalid contract code: imports {item.module}.{item.name}")
            linker.define_func(item.module, item.name, item.type, self._host_function(item.module, item.name),
                               access_caller=True)
        return module, linker

    def _host_function(self, module: str, name: str):
        hook = self.hooks.get(name) if module == "env" else None
        frames = self.frames
        if hook is None:
            def missing(caller, *args):
                raise execution_failed(f"hook {name} not implemented")
            return missing
        run = hook.run
        cost = self.schedule.api_cost(hook.cost) if hook.cost else 0  # no name: the hook prices itself

        def serve(caller, *args):
            frame = frames[-1]
            frame.caller = caller
            frame.use_gas(cost)
            return run(frame, *args)
        return serve

    # -- running -----------------------------------------------------------------------------------

    def run(self, world: World, call: CallInput, code: bytes, function: str, tx: Transaction | None = None,
            closure: bytes | None = None, back_transfers: tuple[int, list] | None = None) -> CallResult:
        """Run `function` of `code` for `call` on a new instance, then the asynchronous calls it
        registered. Never raises for anything the contract does: every way it can end is a
        CallResult. On failure the return data and logs it added are dropped (the caller restores
        the world)."""
        tx = tx if tx is not None else Transaction()
        data_mark, log_mark = len(tx.return_data), len(tx.logs)
        if function in BUILTINS:
            try:
                result = run_builtin(world, call.caller, call.recipient, function, call.arguments, call.gas, tx.logs)
                tx.return_data.extend(result.results)
                return result
            except CallEnded as ended:
                del tx.logs[log_mark:]
                return CallResult(ended.code, ended.message)
        result = self._run_endpoint(world, call, code, function, tx, closure, back_transfers)
        if result.ok and result.pending:
            from jitvm.wasm.asynchronous import run_pending
            result = run_pending(self, world, call, code, tx, result)
        if result.ok:
            result.results = tx.return_data[data_mark:]
            result.logs = tx.logs[log_mark:]
        else:
            del tx.return_data[data_mark:]
            del tx.logs[log_mark:]
        return result

    def _run_endpoint(self, world: World, call: CallInput, code: bytes, function: str, tx: Transaction,
                      closure: bytes | None, back_transfers: tuple[int, list] | None = None) -> CallResult:
        if len(self.frames) >= MAX_CALL_DEPTH:
            return CallResult(ReturnCode.CALL_STACK_OVERFLOW, "max call depth reached")
        if not code:
            return CallResult(ReturnCode.CONTRACT_NOT_FOUND, "contract not found")
        store = wasmtime.Store(self.engine)
        store.set_epoch_deadline(self.deadline_ticks)
        store.set_limits(memory_size=self.memory_limit)
        frame = Frame(self, world, call, store, tx, closure)
        if back_transfers is not None:  # a callback sees what its call sent back as back transfers
            frame.back_transfers = back_transfers
        self.frames.append(frame)
        gas = None
        try:
            code = bytes(code)
            module, linker = self._compiled(hashlib.sha256(code).digest(), code)
            instance = linker.instantiate(store, module)
            exports = instance.exports(store)
            gas = exports[GAS_GLOBAL]
            frame.gas_counter = GasCounter(store, gas)
            memory = exports.get("memory")
            frame.memory = memory if isinstance(memory, wasmtime.Memory) else None
            # Before the code runs a call pays for fetching and preparing it (MultiversX's
            # GetCode base cost plus AoTPreparePerByte per byte of code).
            initial = self.schedule.initial_call_cost(len(code))
            if call.gas < initial:
                return CallResult(ReturnCode.OUT_OF_GAS, "not enough gas")
            gas.set_value(store, wasmtime.Val.i64(min(call.gas - initial, MAX_GAS)))
            endpoint = exports.get(function)
            if not isinstance(endpoint, wasmtime.Func) or endpoint.type(store).params:
                return CallResult(ReturnCode.FUNCTION_NOT_FOUND, "invalid function (not found)")
            try:
                endpoint(store)
            except AsyncBreak:
                pass
            return CallResult(ReturnCode.OK, "", gas_remaining=gas.value(store), pending=frame.pending,
                              sent_back=frame.sent_back)
        except CallEnded as ended:
            return CallResult(ended.code, ended.message)
        except wasmtime.Trap as trap:
            flag = instance_flag(store, exports) if gas is not None else 0
            if flag:
                return CallResult(ReturnCode.OUT_OF_GAS, "not enough gas")
            return CallResult(ReturnCode.EXECUTION_FAILED, _trap_message(trap))
        except wasmtime.WasmtimeError as exc:
            return CallResult(ReturnCode.EXECUTION_FAILED, str(exc).splitlines()[0])
        finally:
            self.frames.pop()


def instance_flag(store, exports) -> int:
    return exports[OUT_OF_GAS_GLOBAL].value(store)


def _trap_message(trap: wasmtime.Trap) -> str:
    code = trap.trap_code
    if code == wasmtime.TrapCode.INTERRUPT:
        return "execution interrupted: time limit exceeded"
    if code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS:
        return "mem load: bad bounds"
    return "execution failed"


_WATCHED: "weakref.WeakSet[wasmtime.Engine]" = weakref.WeakSet()
_WATCH_LOCK = threading.Lock()
_WATCHER_STARTED: list = []


def _start_watchdog(engine: wasmtime.Engine) -> None:
    """Tick every engine's epoch so that store deadlines measure time. One daemon thread for all."""
    with _WATCH_LOCK:
        first = not _WATCHED and not _WATCHER_STARTED
        _WATCHED.add(engine)
        if not first:
            return
        _WATCHER_STARTED.append(True)

    def tick():
        import time
        while True:
            time.sleep(_TICK)
            with _WATCH_LOCK:
                engines = list(_WATCHED)
            for watched in engines:
                watched.increment_epoch()

    threading.Thread(target=tick, name="jitvm-wasm-epoch", daemon=True).start()
