"""Reading a user's workload file (`jitvm bench --workload FILE`) into benchmark cases.

The format (bench/README.md has the full description and examples):

    {"workloads": [
      {"kind": "evm", "name": "adder", "code": "0x6000...", "calldata": "0x...",
       "expected_output": "0x...", "expected_gas": 1234, "gas": 1000000, "pre_state": {...}},
      {"kind": "bpf", "name": "filter", "program": "mov %r0, 1\\nexit",
       "memory": "0x...", "expected_r0": 1, "expected_instructions": 2}
    ]}

A file may also hold a single workload object. Anything wrong gets an InputError naming the file
and the field (`w.json: workloads[1].expected_r0: missing`).
"""

from __future__ import annotations

import json
from pathlib import Path

from jitvm.bench.workloads import GAS, BpfCase, Case, EvmCase, Memory, PreAccount
from jitvm.errors import InputError, parse_hex, parse_int

EVM_FIELDS = {"kind", "name", "code", "calldata", "expected_output", "expected_gas", "gas", "pre_state"}
BPF_FIELDS = {"kind", "name", "program", "profile", "memory", "expected_r0", "expected_instructions"}
ACCOUNT_FIELDS = {"balance", "nonce", "code", "storage"}
PROGRAM_SUFFIXES = (".asm", ".s", ".bin", ".hex", ".o", ".so", ".elf")


def load_workload_file(path: str | Path) -> list[Case]:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such workload file")
    try:
        document = json.loads(path.read_text())
    except UnicodeDecodeError:
        raise InputError(str(path), "not a text file") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(document, dict) and "workloads" in document:
        extra = set(document) - {"workloads"}
        if extra:
            raise InputError(f"{path}: {sorted(extra)[0]}", "unknown field (expected only 'workloads')")
        entries, where = document["workloads"], "workloads"
        if not isinstance(entries, list) or not entries:
            raise InputError(f"{path}: workloads", "expected a non-empty list of workload objects")
        places = [f"{where}[{index}]" for index in range(len(entries))]
    elif isinstance(document, dict):
        entries, places = [document], ["workload"]
    else:
        raise InputError(str(path), "expected a JSON object (one workload, or {\"workloads\": [...]})")
    cases = [_case(entry, f"{path}: {place}", path.parent) for entry, place in zip(entries, places)]
    names = [case.key for case in cases]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise InputError(f"{path}: name", f"two workloads are called {duplicate.split('/', 1)[1]!r}")
    return cases


def _case(entry, where: str, folder: Path) -> Case:
    if not isinstance(entry, dict):
        raise InputError(where, f"expected a workload object, got {type(entry).__name__}")
    kind = entry.get("kind")
    if kind is None:
        raise InputError(f"{where}.kind", "missing (\"evm\" or \"bpf\")")
    if kind == "evm":
        return _evm_case(entry, where, folder)
    if kind == "bpf":
        return _bpf_case(entry, where, folder)
    raise InputError(f"{where}.kind", f"expected \"evm\" or \"bpf\", got {kind!r}")


def _check_fields(entry: dict, allowed: set[str], required: tuple[str, ...], where: str) -> None:
    for name in required:
        if name not in entry:
            raise InputError(f"{where}.{name}", "missing")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise InputError(f"{where}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _name(entry: dict, where: str) -> str:
    name = entry["name"]
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}.name", "expected a non-empty string")
    return name.strip()


def _evm_case(entry: dict, where: str, folder: Path) -> EvmCase:
    _check_fields(entry, EVM_FIELDS, ("name", "code", "expected_output"), where)
    expected_gas = entry.get("expected_gas")
    return EvmCase(
        name=_name(entry, where),
        group="user",
        code=_hex_or_file(entry["code"], f"{where}.code", folder),
        calldata=parse_hex(entry.get("calldata", ""), f"{where}.calldata"),
        expected_output=parse_hex(entry["expected_output"], f"{where}.expected_output"),
        expected_gas=None if expected_gas is None else parse_int(expected_gas, f"{where}.expected_gas"),
        gas=parse_int(entry.get("gas", GAS), f"{where}.gas"),
        pre_state=_pre_state(entry.get("pre_state", {}), f"{where}.pre_state"),
    )


def _hex_or_file(text, where: str, folder: Path) -> bytes:
    """Hex ("0x..." or bare), or the path (relative to the workload file) of a file holding hex."""
    if not isinstance(text, str):
        raise InputError(where, f"expected hex or a file path, got {type(text).__name__}")
    if not text.startswith(("0x", "0X")) and ("/" in text or "." in text):
        path = folder / text
        if not path.is_file():
            raise InputError(where, f"no such file: {path}")
        return parse_hex(path.read_text().strip(), f"{where} ({path})")
    return parse_hex(text, where)


def _pre_state(value, where: str) -> tuple[PreAccount, ...]:
    if not isinstance(value, dict):
        raise InputError(where, "expected an object mapping addresses to accounts")
    accounts = []
    for address_text, account in value.items():
        here = f"{where}.{address_text}"
        address = parse_hex(address_text, here)
        if len(address) != 20:
            raise InputError(here, f"an address has 20 bytes, got {len(address)}")
        if not isinstance(account, dict):
            raise InputError(here, "expected an account object (balance, nonce, code, storage)")
        unknown = sorted(set(account) - ACCOUNT_FIELDS)
        if unknown:
            raise InputError(f"{here}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(ACCOUNT_FIELDS))})")
        storage = account.get("storage", {})
        if not isinstance(storage, dict):
            raise InputError(f"{here}.storage", "expected an object mapping slots to values")
        accounts.append(PreAccount(
            address=address,
            balance=parse_int(account.get("balance", 0), f"{here}.balance"),
            nonce=parse_int(account.get("nonce", 0), f"{here}.nonce"),
            code=parse_hex(account.get("code", ""), f"{here}.code"),
            storage=tuple(
                (parse_int(slot, f"{here}.storage.{slot}"), parse_int(word, f"{here}.storage.{slot}"))
                for slot, word in storage.items()
            ),
        ))
    return tuple(accounts)


def _bpf_case(entry: dict, where: str, folder: Path) -> BpfCase:
    _check_fields(entry, BPF_FIELDS, ("name", "program", "expected_r0"), where)
    profile = entry.get("profile", "ebpf-v4")
    if not isinstance(profile, str):
        raise InputError(f"{where}.profile", "expected a profile name such as \"ebpf-v4\" or \"sbpf-v2\"")
    instructions = entry.get("expected_instructions")
    return BpfCase(
        name=_name(entry, where),
        group="user",
        program=_program(entry["program"], profile, f"{where}.program", folder),
        memory=_memory(entry.get("memory", ""), f"{where}.memory"),
        expected_r0=parse_int(entry["expected_r0"], f"{where}.expected_r0"),
        expected_instructions=None if instructions is None else parse_int(instructions, f"{where}.expected_instructions"),
    )


def _program(text, profile: str, where: str, folder: Path):
    """Hex bytes ("0x..."), a file (relative to the workload file: .asm/.s assembly, .bin raw
    instruction words, .hex hex text, .o/.so/.elf an ELF), or assembly text."""
    from jitvm.bpf import Program

    if not isinstance(text, str) or not text.strip():
        raise InputError(where, "expected assembly text, hex bytes (0x...) or a file path")
    try:
        if text.startswith(("0x", "0X")):
            code = parse_hex(text, where)
            if not code or len(code) % 8:
                raise InputError(where, f"BPF code is a whole number of 8-byte instructions, got {len(code)} bytes")
            return Program(code, profile=profile, source=where)
        if "\n" not in text and text.strip().endswith(PROGRAM_SUFFIXES):
            return _program_file(folder / text.strip(), profile, where)
        return Program.from_assembly(text, profile=profile, source=where)
    except InputError:
        raise
    except Exception as exc:  # assembler and loader errors: say which field they came from
        raise InputError(where, f"{type(exc).__name__}: {exc}") from None


def _program_file(path: Path, profile: str, where: str):
    from jitvm.bpf import Program, load_elf_file

    if not path.is_file():
        raise InputError(where, f"no such file: {path}")
    suffix = path.suffix
    if suffix in (".o", ".so", ".elf"):
        return load_elf_file(str(path))
    if suffix == ".bin":
        return Program(path.read_bytes(), profile=profile, source=str(path))
    if suffix == ".hex":
        return Program(parse_hex(path.read_text().strip(), f"{where} ({path})"), profile=profile, source=str(path))
    return Program.from_assembly(path.read_text(), profile=profile, source=str(path))


def _memory(value, where: str) -> Memory:
    """Hex bytes, or {"zero": N} / {"seq": N} (N bytes of zeros / of the fixtures' xorshift sequence)."""
    if isinstance(value, str):
        data = parse_hex(value, where)
        return Memory("bytes", len(data), data)
    if isinstance(value, dict) and len(value) == 1:
        (fill, size), = value.items()
        if fill in ("zero", "seq"):
            return Memory(fill, parse_int(size, f"{where}.{fill}"))
    raise InputError(where, "expected hex bytes, {\"zero\": N} or {\"seq\": N}")
