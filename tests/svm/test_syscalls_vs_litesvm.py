"""One runtime rule per probe program (tests/svm/probes.py): syscall costs, argument checks and
errors, sysvars, return data, program errors and VM faults, each compared with LiteSVM under the
aligned loader (v2) and, for the unaligned one, loader v1."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK, RENT

from jitvm.svm.ids import LOADERS
from tests.svm.harness import Pair
from tests.svm.probes import PROBES, probe_elf

def _secp256k1_inputs() -> list[bytes]:
    from coincurve import PrivateKey

    from jitvm.hashing import keccak256

    digest = keccak256(b"message")
    signed = PrivateKey(bytes([7]) * 32).sign_recoverable(digest, hasher=None)  # r, s, recovery id
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = signed[:32] + (order - int.from_bytes(signed[32:64], "big")).to_bytes(32, "big")
    return [digest + signed, digest + signed[:64] + bytes([signed[64] ^ 1]), digest + signed[:64] + b"\x05",
            digest + bytes(64) + b"\x00", digest + b"\xff" * 64 + b"\x00", digest + high_s + bytes([signed[64] ^ 1]),
            bytes(32) + signed]


INPUTS = {  # probe -> instruction data to send (several runs each)
    "secp256k1": _secp256k1_inputs(),
    "log_data": [b"hello", "\u00e9t\u00e9".encode(), b"\xff\xfe", b"", b"y" * 900],
    "log_twice_data": [b"z" * 1000],
    "log_loop": [b"w" * 800],  # 14 lines of 813 bytes pass the 10,000-byte log limit: "Log truncated"
    "log_pubkey": [bytes(range(32))],
    "log_fields": [b"abc", b""],
    "memcpy_overlap": [b""],
    "memcpy_out_of_bounds": [b"x"],
    "memcmp": [b"abcde", b"aaaaa"],
    "memcmp_unaligned": [b"abcd"],
    "sha256": [b"", b"abc", b"q" * 700],
    "keccak": [b"abc"],
    "find_address": [b"seed", b"another seed"],
    "create_address": [b"seed", b"x" * 33],
    "sysvar_slice": [bytes(RENT), bytes(CLOCK), bytes(32)] + [bytes(Pubkey.from_string(key)) for key in (
        "SysvarS1otHashes111111111111111111111111111", "SysvarEpochRewards1111111111111111111111111",
        "SysvarLastRestartS1ot1111111111111111111111", "SysvarStakeHistory1111111111111111111111111",
        "SysvarRecentB1ockHashes11111111111111111111", "SysvarEpochSchedu1e111111111111111111111111")],
    "return_data": [b"returned!", b"", b"r" * 1025],
    "panic": [b"src/lib.rs", b"\xc3"],
    "return_code": [struct.pack("<Q", value) for value in (0, 1, 0x2A, 2 << 32, 20 << 32, (1 << 32) + 1, 99 << 32)],
}


@pytest.fixture(scope="module")
def pairs():
    return {}


def _pair(pairs, engine):
    if engine not in pairs:
        pair = Pair(engine=engine, programs=())
        payer = Keypair()
        pair.fund(payer.pubkey(), 10**12)
        pair.payer = payer
        pair.deployed = {}
        pairs[engine] = pair
    return pairs[engine]


def _deploy(pair, name: str, loader: str) -> Pubkey:
    if (name, loader) not in pair.deployed:
        program_id = Pubkey.new_unique()
        code = probe_elf(PROBES[name])
        pair.lite.add_program_with_loader(program_id, code, Pubkey.from_bytes(LOADERS[loader]))
        pair.svm.add_program(program_id, code, loader)
        pair.deployed[(name, loader)] = program_id
    return pair.deployed[(name, loader)]


@pytest.mark.parametrize("loader", ["v2", "v1"])
@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_matches_litesvm(pairs, name, loader):
    pair = _pair(pairs, "reference")
    program_id = _deploy(pair, name, loader)
    for data in INPUTS.get(name, [b""]):
        pair.send(pair.transaction([Instruction(program_id, data, [])], pair.payer))


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_probes_on_native_engines(pairs, engine):
    pair = _pair(pairs, engine)
    for name in ("log_data", "log_loop", "sha256", "find_address", "return_data", "spin", "read_null",
                 "memcpy_overlap", "divide_by_zero", "remaining_units", "clock"):
        program_id = _deploy(pair, name, "v2")
        for data in INPUTS.get(name, [b""]):
            pair.send(pair.transaction([Instruction(program_id, data, [])], pair.payer))


@pytest.mark.parametrize("engine", ["reference", "baseline"])
def test_loader_return_path_checks(pairs, engine):
    """What a program may change in its accounts: owner-only data and debits, read-only accounts,
    resize limits, owner changes, balance; each case against LiteSVM."""
    from solders.account import Account
    from solders.instruction import AccountMeta

    from tests.svm.probes import ACCOUNT_OPS, account_ops_program

    pair = _pair(pairs, engine)
    program_id = Pubkey.new_unique()
    code = probe_elf(account_ops_program())
    pair.lite.add_program_with_loader(program_id, code, Pubkey.from_bytes(LOADERS["v2"]))
    pair.svm.add_program(program_id, code, "v2")
    for owned in (True, False):
        for a_writable in (True, False):
            for zeroed in (True, False):
                for op, name in enumerate(ACCOUNT_OPS):
                    a, b = Pubkey.new_unique(), Pubkey.new_unique()
                    data = bytes(8) if zeroed else b"\x01" * 8
                    for address, payload in ((a, data), (b, b"")):
                        account = Account(10**9, payload, program_id if owned else Pubkey.new_unique(), False, 0)
                        pair.lite.set_account(address, account)
                        pair.svm.set_account(address, account)
                    instruction = Instruction(program_id, bytes([op]), [AccountMeta(a, False, a_writable),
                                                                        AccountMeta(b, False, True)])
                    pair.send(pair.transaction([instruction], pair.payer))


def test_duplicate_accounts_in_the_input(pairs):
    """An account passed twice is serialized once plus a duplicate marker; changes made through
    the first copy come back."""
    from solders.account import Account
    from solders.instruction import AccountMeta

    from tests.svm.probes import ACCOUNT_OPS, account_ops_program

    pair = _pair(pairs, "reference")
    program_id = Pubkey.new_unique()
    code = probe_elf(account_ops_program())
    pair.lite.add_program_with_loader(program_id, code, Pubkey.from_bytes(LOADERS["v2"]))
    pair.svm.add_program(program_id, code, "v2")
    for op, name in enumerate(ACCOUNT_OPS):
        if "b" in name.split("_") or name == "move_lamport":
            continue  # these touch a second, distinct account
        a = Pubkey.new_unique()
        account = Account(10**9, bytes(8), program_id, False, 0)
        pair.lite.set_account(a, account)
        pair.svm.set_account(a, account)
        instruction = Instruction(program_id, bytes([op]), [AccountMeta(a, False, True), AccountMeta(a, False, True)])
        pair.send(pair.transaction([instruction], pair.payer))


def test_instructions_sysvar(pairs):
    """A program reads the instructions sysvar: every instruction, its account flags, and the index
    of the one executing (it runs twice in one transaction)."""
    from solders.instruction import AccountMeta

    from tests.svm import system_ix as sx

    pair = _pair(pairs, "reference")
    program_id = _deploy(pair, "log_account_data", "v2")
    sysvar = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")
    other = Pubkey.new_unique()
    reads = Instruction(program_id, b"\x01\x02", [AccountMeta(sysvar, False, False), AccountMeta(other, False, True)])
    move = sx.transfer(pair.payer.pubkey(), other, 10**9)
    pair.send(pair.transaction([move, reads, reads], pair.payer), expect_error=False)
    pair.send(pair.transaction([Instruction(program_id, b"", [AccountMeta(sysvar, False, True)])], pair.payer))


def test_requested_heap_frame(pairs):
    """A bigger heap from the Compute Budget reaches the program (sol_alloc_free_ finds room)."""
    from solders.compute_budget import request_heap_frame

    pair = _pair(pairs, "reference")
    program_id = _deploy(pair, "alloc", "v2")
    for size in (32 * 1024, 64 * 1024, 256 * 1024):
        pair.send(pair.transaction([request_heap_frame(size), Instruction(program_id, b"", [])], pair.payer))
    from solders.compute_budget import set_compute_unit_limit

    for limit in (300, 320, 356, 400):  # the heap's cost (56 units) does not fit: the VM is not created
        pair.send(pair.transaction([request_heap_frame(256 * 1024), set_compute_unit_limit(limit),
                                    Instruction(program_id, b"", [])], pair.payer))
