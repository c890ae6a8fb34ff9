"""The Ed25519, secp256k1 and secp256r1 precompiles against LiteSVM: valid signatures (one and
several, data in this or another instruction), each refusal (bad sizes and offsets, bad keys,
signatures and recovery ids, high s), the fee counting their signatures, and their place among
other instructions (no logs, no units; a program's "consumed N of M" shows the unit limit)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.instruction import Instruction
from solders.keypair import Keypair

from tests.svm import spl
from tests.svm.harness import MEMO, Pair
from tests.svm.precompile_ix import (ED25519, HERE, SECP256K1, SECP256R1, ed25519_data, ed25519_entry,
                                     secp256k1_data, secp256r1_data)


@pytest.fixture(scope="module")
def pair():
    pair = Pair(programs=("memo",))
    pair.payer = Keypair()
    pair.fund(pair.payer.pubkey(), 10**12)
    return pair


def _send(pair, *instructions):
    result = pair.send(pair.transaction(list(instructions), pair.payer))
    pair.lite.expire_blockhash()
    pair.svm.expire_blockhash()
    pair.blockhash = pair.lite.latest_blockhash()
    return result


def test_ed25519(pair):
    good = ed25519_entry()
    public_key, signature, message = good
    cases = [ed25519_data([good]), ed25519_data([good, ed25519_entry(b"second")]), bytes([0, 0]), b"\x00",
             bytes([0, 0, 1]), ed25519_data([good])[:-1] + b"?", ed25519_data([good], count=2),
             ed25519_data([(public_key, signature[:32] + b"\xff" * 32, message)]),  # s not canonical
             ed25519_data([(bytes(32), signature, message)]),  # a small-order key
             ed25519_data([((2).to_bytes(32, "little"), signature, message)]),  # not a point
             bytes([1, 0]) + struct.pack("<7H", 200, HERE, 16, HERE, 16, 1, HERE) + bytes(40),
             bytes([1, 0]) + struct.pack("<7H", 0, 5, 0, HERE, 0, 1, HERE) + bytes(100)]
    results = [_send(pair, Instruction(ED25519, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(2))" in results


def test_secp256k1(pair):
    cases = [secp256k1_data(), secp256k1_data(recovery_flip=True), secp256k1_data(high_s=True),
             secp256k1_data()[:-3], secp256k1_data(index=3), b"", b"\x00", b"\x00\x01", bytes([1]) + bytes(10),
             secp256k1_data()[:12] + bytes(64) + b"\x07" + bytes(40), secp256k1_data() + b"unreferenced"]
    results = [_send(pair, Instruction(SECP256K1, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(1))" in results


def test_secp256r1(pair):
    cases = [secp256r1_data(), secp256r1_data(high_s=True), secp256r1_data(bad_key=True), secp256r1_data()[:-1] + b"!",
             bytes([0, 0]), bytes([9, 0]) + bytes(200)]
    results = [_send(pair, Instruction(SECP256R1, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(0))" in results


def test_precompiles_with_other_instructions(pair):
    """Signatures from another instruction; the fee; a program after them shows the unit limit."""
    public_key, signature, message = ed25519_entry(b"in the memo")
    memo = spl.memo(MEMO, public_key + signature + message)
    elsewhere = bytes([1, 0]) + struct.pack("<7H", 32, 1, 0, 1, 96, len(message), 1)
    result = _send(pair, Instruction(ED25519, elsewhere, []), memo)
    assert result[0] == "InstructionError(1, InvalidInstructionData)" and result[2] == 10_000  # memo: not UTF-8
    _send(pair, Instruction(ED25519, ed25519_data([ed25519_entry(), ed25519_entry()]), []),
          Instruction(SECP256K1, secp256k1_data(), []), memo)
    _send(pair, memo, Instruction(ED25519, ed25519_data([ed25519_entry()])[:-1] + b"?", []))
