"""Running MultiversX scenario files (`*.scen.json`) on jitvm's Wasm VM.

A scenario is a list of steps over one world: `setState` writes accounts, `scDeploy` / `scCall` /
`scQuery` / `transfer` / `validatorReward` act on it, `checkState` compares it with what is expected,
`externalSteps` runs another file's steps in the same world. Each expectation (`out`, `status`,
`message`, `logs`, `gas`, `refund`) may be "*" (anything). A scenario passes when every check holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jitvm.errors import InputError
from jitvm.wasm.frame import CallInput
from jitvm.wasm.nft import NftMetadata
from jitvm.wasm.outcome import CallResult
from jitvm.wasm.schedule import find_schedule
from jitvm.wasm.transactions import call_contract, deploy_contract, query_contract, transfer
from jitvm.wasm.values import as_int, interpret
from jitvm.wasm.vm import WasmVM
from jitvm.wasm.world import Account, BlockInfo, World

ANY = "*"
MAX_EXTERNAL_DEPTH = 32


class CheckFailed(Exception):
    pass


@dataclass
class ScenarioResult:
    path: Path
    passed: bool
    steps: int = 0
    failure: str = ""
    skipped: str = ""
    gas_checks: int = 0  # steps whose exact gas was asserted (and held, if passed)


@dataclass
class _Run:
    vm: WasmVM
    world: World = field(default_factory=World)
    steps: int = 0
    gas_checks: int = 0


def load_scenario(path: Path) -> dict:
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
        raise InputError(str(path), "not a scenario (no list of 'steps')")
    return document


def run_scenario(path: Path, schedules_dir: Path | None = None, vm_cache: dict | None = None) -> ScenarioResult:
    """Run one scenario file. Malformed input raises InputError; a failed check is a failed result."""
    document = load_scenario(path)
    schedule = find_schedule(str(document.get("gasSchedule", "v4")), path, schedules_dir)
    cache = vm_cache if vm_cache is not None else {}
    vm = cache.get(schedule.name)
    if vm is None:
        vm = cache[schedule.name] = WasmVM(schedule)
    run = _Run(vm)
    try:
        _run_steps(run, document["steps"], path, 0)
    except CheckFailed as failure:
        return ScenarioResult(path, False, run.steps, str(failure), gas_checks=run.gas_checks)
    return ScenarioResult(path, True, run.steps, gas_checks=run.gas_checks)


def _run_steps(run: _Run, steps: list, path: Path, depth: int) -> None:
    base = path.parent
    for number, step in enumerate(steps):
        if not isinstance(step, dict) or "step" not in step:
            raise InputError(str(path), f"step {number} is not an object with a 'step' field")
        kind = step["step"]
        label = f"step {number} ({kind} {step.get('id') or step.get('txId') or ''})".replace(" )", ")")
        run.steps += 1
        try:
            if kind == "externalSteps":
                if depth >= MAX_EXTERNAL_DEPTH:
                    raise InputError(str(path), "externalSteps nested too deeply")
                other = (base / step["path"]).resolve()
                _run_steps(run, load_scenario(other)["steps"], other, depth + 1)
            elif kind == "setState":
                _set_state(run.world, step, base)
            elif kind in ("scCall", "scQuery", "scDeploy"):
                result = _transaction(run, kind, step["tx"], base, str(step.get("id") or step.get("txId") or ""))
                expect = step.get("expect")
                if expect is not None:
                    run.gas_checks += _check_result(expect, result, base, label)
            elif kind == "transfer":
                tx = step["tx"]
                transfer(run.world, interpret(tx["from"], base), interpret(tx["to"], base),
                         as_int(tx.get("egldValue", tx.get("value", "0")), base), _esdt_payments(tx, base),
                         as_int(tx.get("gasLimit", "0"), base), as_int(tx.get("gasPrice", "0"), base))
            elif kind == "validatorReward":
                tx = step["tx"]
                _validator_reward(run.world.account(interpret(tx["to"], base)),
                                  as_int(tx.get("egldValue", tx.get("value")), base))
            elif kind == "checkState":
                _check_state(run.world, step.get("accounts", {}), base, label)
            elif kind in ("dumpState",):
                pass
            else:
                raise InputError(str(path), f"{label}: unknown step kind {kind!r}")
        except KeyError as missing:
            raise InputError(str(path), f"{label}: missing field {missing}") from None
        except CheckFailed as failure:
            raise CheckFailed(f"{path.name} {label}: {failure}") from None


# -- state ------------------------------------------------------------------------------------------

CUMULATED_REWARDS_KEY = b"ELRONDreward"  # where the protocol adds up an account's validator rewards


def _validator_reward(account: Account, value: int) -> None:
    account.balance += value
    total = int.from_bytes(account.storage.get(CUMULATED_REWARDS_KEY, b""), "big") + value
    account.storage[CUMULATED_REWARDS_KEY] = total.to_bytes((total.bit_length() + 7) // 8, "big")


def _set_state(world: World, step: dict, base: Path) -> None:
    for key, fields in step.get("accounts", {}).items():
        address = interpret(key, base)
        account = world.accounts.get(address) or Account()
        if "nonce" in fields:
            account.nonce = as_int(fields["nonce"], base)
        if "balance" in fields:
            account.balance = as_int(fields["balance"], base)
        if "code" in fields:
            account.code = interpret(fields["code"], base)
        if "owner" in fields:
            account.owner = interpret(fields["owner"], base)
        if "codeMetadata" in fields:
            account.code_metadata = interpret(fields["codeMetadata"], base)
        if "username" in fields:
            account.username = interpret(fields["username"], base)
        for storage_key, value in fields.get("storage", {}).items():
            data = interpret(value, base)
            if data:
                account.storage[interpret(storage_key, base)] = data
            else:
                account.storage.pop(interpret(storage_key, base), None)
        for token, holding in fields.get("esdt", {}).items():
            token_id = interpret(token, base)
            for nonce, amount in _esdt_instances(holding, base):
                account.esdt[(token_id, nonce)] = amount
            if isinstance(holding, dict) and "roles" in holding:
                account.esdt_roles[token_id] = {role.encode() for role in holding["roles"]}
            if isinstance(holding, dict) and str(holding.get("frozen", "false")).lower() == "true":
                account.esdt_frozen.add(token_id)
            if isinstance(holding, dict):
                if "lastNonce" in holding:
                    account.esdt_last_nonce[token_id] = as_int(holding["lastNonce"], base)
                for instance in holding.get("instances", []):
                    if any(name in instance for name in _NFT_FIELDS):
                        nonce = as_int(instance.get("nonce", "0"), base)
                        account.esdt_metadata[(token_id, nonce)] = _nft_metadata(instance, base)
        world.accounts[address] = account
    for entry in step.get("newAddresses", []):
        creator = interpret(entry["creatorAddress"], base)
        world.new_addresses[(creator, as_int(entry["creatorNonce"], base))] = interpret(entry["newAddress"], base)
    for name, target in (("currentBlockInfo", "current_block"), ("previousBlockInfo", "previous_block")):
        info = step.get(name)
        if info:
            block: BlockInfo = getattr(world, target)
            for field_name, attribute in (("blockNonce", "nonce"), ("blockRound", "round"), ("blockEpoch", "epoch"),
                                          ("blockTimestamp", "timestamp")):
                if field_name in info:
                    setattr(block, attribute, as_int(info[field_name], base))
            if "blockRandomSeed" in info:
                block.random_seed = interpret(info["blockRandomSeed"], base)


_NFT_FIELDS = ("name", "creator", "royalties", "hash", "attributes", "uri")


def _nft_metadata(instance: dict, base: Path) -> NftMetadata:
    uris = instance.get("uri", [])
    return NftMetadata(
        name=interpret(instance.get("name", ""), base), creator=interpret(instance.get("creator", ""), base),
        royalties=as_int(instance.get("royalties", "0"), base), hash=interpret(instance.get("hash", ""), base),
        attributes=interpret(instance.get("attributes", ""), base),
        uris=[interpret(uri, base) for uri in (uris if isinstance(uris, list) else [uris])])


def _check_nft(account: Account, token_id: bytes, holding: dict, base: Path, label: str) -> None:
    """The last nonce created and each instance's metadata, where the scenario states them."""
    last = holding.get("lastNonce", ANY)
    if last != ANY and account.esdt_last_nonce.get(token_id, 0) != as_int(last, base):
        raise CheckFailed(f"{label} last nonce {account.esdt_last_nonce.get(token_id, 0)}, expected {last}")
    for instance in holding.get("instances", []):
        given = {name: instance[name] for name in _NFT_FIELDS if name in instance and instance[name] != ANY}
        if not given:
            continue
        nonce = as_int(instance.get("nonce", "0"), base)
        actual = account.esdt_metadata.get((token_id, nonce), NftMetadata())
        wanted = _nft_metadata(given, base)
        for name, attribute in (("name", "name"), ("creator", "creator"), ("royalties", "royalties"),
                                ("hash", "hash"), ("attributes", "attributes"), ("uri", "uris")):
            if name in given and getattr(actual, attribute) != getattr(wanted, attribute):
                raise CheckFailed(f"{label} nonce {nonce} {name} {getattr(actual, attribute)!r}, "
                                  f"expected {given[name]}")


def _esdt_instances(holding, base: Path) -> list[tuple[int, int]]:
    if isinstance(holding, dict):
        return [(as_int(instance.get("nonce", "0"), base), as_int(instance.get("balance", "0"), base))
                for instance in holding.get("instances", [])]
    return [(0, as_int(holding, base))]


# -- transactions ------------------------------------------------------------------------------------


def _transaction(run: _Run, kind: str, tx: dict, base: Path, tx_id: str = "") -> CallResult:
    arguments = [interpret(argument, base) for argument in tx.get("arguments", [])]
    value = as_int(tx.get("egldValue", tx.get("value", "0")), base)
    esdt = _esdt_payments(tx, base)
    gas_limit = as_int(tx.get("gasLimit", "0"), base)
    gas_price = as_int(tx.get("gasPrice", "0"), base)
    world = run.world
    if kind == "scQuery":
        recipient = interpret(tx["to"], base)
        caller = interpret(tx["from"], base) if "from" in tx else recipient
        return query_contract(run.vm, world, CallInput(caller, recipient, tx["function"], arguments, value, esdt))
    sender = interpret(tx["from"], base)
    if kind == "scDeploy":
        call = CallInput(sender, b"", "init", arguments, value, esdt, gas_limit)
        result, _ = deploy_contract(run.vm, world, call, interpret(tx["contractCode"], base), gas_price)
        return result
    call = CallInput(sender, interpret(tx["to"], base), tx["function"], arguments, value, esdt, gas_limit)
    # MultiversX's scenario runner names a step's transaction by its id, padded with dots.
    tx_hash = tx_id.encode()[:32].ljust(32, b".") if tx_id else None
    return call_contract(run.vm, world, call, gas_price, tx_hash)


def _esdt_payments(tx: dict, base: Path) -> list[tuple[bytes, int, int]]:
    return [(interpret(payment["tokenIdentifier"], base), as_int(payment.get("nonce", "0"), base),
             as_int(payment["value"], base)) for payment in _payments(tx.get("esdtValue", []))]


def _payments(value) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    return list(value or [])


# -- checks ------------------------------------------------------------------------------------------


def _matches(expected, actual: bytes, base: Path) -> bool:
    return expected == ANY or interpret(expected, base) == actual


def _check_result(expect: dict, result: CallResult, base: Path, label: str) -> int:
    status = expect.get("status", "0")
    if status != ANY and as_int(status, base) != int(result.code):
        detail = f" ({result.message})" if result.message else ""
        raise CheckFailed(f"status {int(result.code)}{detail}, expected {as_int(status, base)}")
    message = expect.get("message", ANY if status == ANY else "")
    if message != ANY and "message" in expect and interpret(message, base) != result.message.encode():
        raise CheckFailed(f"message {result.message!r}, expected {interpret(message, base)!r}")
    out = expect.get("out", ANY)
    if out != ANY:
        if len(out) != len(result.results) or not all(_matches(e, a, base) for e, a in zip(out, result.results)):
            shown = ["0x" + item.hex() for item in result.results]
            raise CheckFailed(f"out {shown}, expected {out}")
    logs = expect.get("logs", ANY)
    if logs != ANY:
        _check_logs(logs, result, base)
    gas = expect.get("gas", ANY)
    if gas != ANY:
        if as_int(gas, base) != result.gas_remaining:
            raise CheckFailed(f"gas remaining {result.gas_remaining}, expected {as_int(gas, base)}")
        return 1
    return 0


def _check_logs(expected: list, result: CallResult, base: Path) -> None:
    more_allowed = bool(expected) and expected[-1] == "+"
    wanted = expected[:-1] if more_allowed else expected
    if len(result.logs) < len(wanted) or (not more_allowed and len(result.logs) != len(wanted)):
        raise CheckFailed(f"{len(result.logs)} logs, expected {len(wanted)}")
    for index, (entry, log) in enumerate(zip(wanted, result.logs)):
        if not _matches(entry.get("address", ANY), log.address, base):
            raise CheckFailed(f"log {index}: address 0x{log.address.hex()}")
        if not _matches(entry.get("endpoint", entry.get("identifier", ANY)), log.identifier, base):
            raise CheckFailed(f"log {index}: endpoint {log.identifier!r}")
        topics = entry.get("topics", ANY)
        if topics != ANY and (len(topics) != len(log.topics)
                              or not all(_matches(t, a, base) for t, a in zip(topics, log.topics))):
            raise CheckFailed(f"log {index}: topics {['0x' + t.hex() for t in log.topics]}, expected {topics}")
        data = entry.get("data", ANY)
        if data != ANY:
            wanted_data = data if isinstance(data, list) else [data]
            itemwise = len(wanted_data) == len(log.data) and all(_matches(d, a, base) for d, a in zip(wanted_data, log.data))
            if not itemwise and (ANY in wanted_data or interpret(data, base) != b"".join(log.data)):
                raise CheckFailed(f"log {index}: data {['0x' + d.hex() for d in log.data]}, expected {data}")


def _check_state(world: World, accounts: dict, base: Path, label: str) -> None:
    extra_allowed = "+" in accounts
    expected_addresses = set()
    for key, fields in accounts.items():
        if key == "+":
            continue
        address = interpret(key, base)
        expected_addresses.add(address)
        account = world.accounts.get(address, Account())
        name = key
        for field_name, actual in (("nonce", account.nonce), ("balance", account.balance)):
            wanted = fields.get(field_name, ANY)
            if wanted != ANY and as_int(wanted, base) != actual:
                raise CheckFailed(f"{name} {field_name} {actual}, expected {as_int(wanted, base)}")
        for field_name, actual in (("code", account.code), ("owner", account.owner), ("username", account.username),
                                   ("asyncCallData", account.async_call_data),
                                   ("codeMetadata", account.code_metadata)):
            wanted = fields.get(field_name, ANY)
            if wanted != ANY and interpret(wanted, base) != actual:
                raise CheckFailed(f"{name} {field_name} differs")
        storage = fields.get("storage", ANY)
        if storage != ANY:
            extra_keys = "+" in storage
            wanted_storage = {interpret(k, base): v for k, v in storage.items() if k != "+"}
            for storage_key, value in wanted_storage.items():
                if value == ANY:
                    continue
                actual = account.storage.get(storage_key, b"")
                if interpret(value, base) != actual:
                    raise CheckFailed(f"{name} storage {storage_key!r} = 0x{actual.hex()}, expected {value}")
            if not extra_keys:
                unexpected = [k for k in account.storage if k not in wanted_storage]
                if unexpected:
                    raise CheckFailed(f"{name} has unexpected storage key {unexpected[0]!r}")
        esdt = fields.get("esdt", ANY)
        if esdt != ANY:
            for token, holding in esdt.items():
                if token == "+":
                    continue
                token_id = interpret(token, base)
                for nonce, amount in _esdt_instances(holding, base):
                    actual = account.esdt.get((token_id, nonce), 0)
                    if actual != amount:
                        raise CheckFailed(f"{name} ESDT {token} nonce {nonce}: {actual}, expected {amount}")
                if isinstance(holding, dict):
                    _check_nft(account, token_id, holding, base, f"{name} ESDT {token}")
    if not extra_allowed:
        unexpected = [a for a, acc in world.accounts.items() if a not in expected_addresses and _is_visible(acc)]
        if unexpected:
            raise CheckFailed(f"unexpected account 0x{unexpected[0].hex()}")


def _is_visible(account: Account) -> bool:
    return bool(account.nonce or account.balance or account.code or account.storage or any(account.esdt.values()))
