"""The precompiled contracts: published vectors, properties checked with independent arithmetic, and a
differential test against ethereum-execution's precompiles (outputs and gas) on generated inputs."""

import hashlib
import itertools
import os
import struct

import ckzg
import pytest
from coincurve import PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn
from py_ecc.secp256k1 import secp256k1

from jitvm.evm.precompiles import PrecompileError, precompile_addresses, run_precompile
from jitvm.evm.precompiles import blake2f, blake2f_native, bn254_pairing, kzg
from jitvm.hashing import keccak256
from tests.evm.precompile_oracle import assert_same_as_reference

ECRECOVER, SHA256, RIPEMD160, IDENTITY, MODEXP, ECADD, ECMUL, ECPAIRING, BLAKE2F, POINT_EVALUATION = range(1, 11)
BN254_P = bn.field_modulus
BN254_N = bn.curve_order
SECP256K1_N = secp256k1.N
PLENTY = 10**9


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def output(address, data, fork="Cancun"):
    return run_precompile(address, data, PLENTY, fork)[0]


# --- the fork table -----------------------------------------------------------------------------


def test_addresses_join_in_their_forks():
    assert precompile_addresses("Frontier") == set(range(1, 5))
    assert precompile_addresses("SpuriousDragon") == set(range(1, 5))
    assert precompile_addresses("Byzantium") == set(range(1, 9))
    assert precompile_addresses("Petersburg") == set(range(1, 9))
    assert precompile_addresses("Istanbul") == set(range(1, 10))
    assert precompile_addresses("Shanghai") == set(range(1, 10))
    assert precompile_addresses("Cancun") == set(range(1, 11))
    assert precompile_addresses("Prague") == set(range(1, 0x12))
    assert precompile_addresses("Osaka") == set(range(1, 0x12)) | {0x100}


def test_unknown_fork_and_address_raise_key_error():
    with pytest.raises(KeyError):
        precompile_addresses("Atlantis")
    with pytest.raises(KeyError):
        run_precompile(BLAKE2F, bytes(213), 100, "Petersburg")
    with pytest.raises(KeyError):
        run_precompile(0x0B, b"", 100)


def test_gas_is_charged_before_any_work():
    assert run_precompile(IDENTITY, b"x" * 33, 21) == (b"x" * 33, 21)
    with pytest.raises(PrecompileError):
        run_precompile(IDENTITY, b"x" * 33, 20)
    # An invalid pairing input that cannot be paid for fails the same way, as out of gas.
    with pytest.raises(PrecompileError):
        run_precompile(ECPAIRING, b"\x01" * 191, 44_999)


# --- 0x01 ECRECOVER -----------------------------------------------------------------------------

# A signature by the key of the well-known test account 0xa94f5374...; the address was recovered
# independently with py_ecc's secp256k1.
ECRECOVER_VECTOR = bytes.fromhex(
    "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
    "000000000000000000000000000000000000000000000000000000000000001c"
    "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
    "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
)
TEST_ACCOUNT = bytes(12) + bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")


def test_ecrecover_vector():
    assert run_precompile(ECRECOVER, ECRECOVER_VECTOR, 3000) == (TEST_ACCOUNT, 3000)
    assert run_precompile(ECRECOVER, ECRECOVER_VECTOR + b"ignored", 3000) == (TEST_ACCOUNT, 3000)
    with pytest.raises(PrecompileError):
        run_precompile(ECRECOVER, ECRECOVER_VECTOR, 2999)


def test_ecrecover_address_of_private_key_one():
    message_hash = keccak256(b"jitvm")
    signature = PrivateKey(word(1)).sign_recoverable(message_hash, hasher=None)
    r, s, recovery_id = signature[:32], signature[32:64], signature[64]
    data = message_hash + word(27 + recovery_id) + r + s
    assert output(ECRECOVER, data)[12:].hex() == "7e5f4552091a69125d5dfcb7b8c2659029395bdf"


@pytest.mark.parametrize(
    "change",
    [
        {"v": 29},
        {"v": 0},
        {"v": 27 + (1 << 8)},  # only the whole word counts
        {"r": 0},
        {"s": 0},
        {"r": SECP256K1_N},
        {"s": SECP256K1_N},
        {"r": 5},  # 5^3 + 7 has no square root mod p: no point with x = 5
    ],
)
def test_ecrecover_bad_signature_returns_nothing_and_still_charges(change):
    fields = {"v": 28, "r": int.from_bytes(ECRECOVER_VECTOR[64:96], "big"), "s": int.from_bytes(ECRECOVER_VECTOR[96:], "big")}
    fields.update(change)
    data = ECRECOVER_VECTOR[:32] + word(fields["v"]) + word(fields["r"]) + word(fields["s"])
    assert run_precompile(ECRECOVER, data, 3000) == (b"", 3000)


def test_ecrecover_short_input_is_zero_padded():
    assert output(ECRECOVER, b"") == b""
    assert output(ECRECOVER, ECRECOVER_VECTOR[:127]) == output(ECRECOVER, ECRECOVER_VECTOR[:127] + b"\x00")


# --- 0x02 SHA256, 0x03 RIPEMD160, 0x04 IDENTITY -------------------------------------------------


@pytest.mark.parametrize(
    "address, data, expected, gas",
    [
        (SHA256, b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 60),
        (SHA256, b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 72),
        (RIPEMD160, b"", "000000000000000000000000" "9c1185a5c5e9fc54612808977ee8f548b2258d31", 600),
        (RIPEMD160, b"abc", "000000000000000000000000" "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc", 720),
        (IDENTITY, b"", "", 15),
        (IDENTITY, bytes(range(33)), bytes(range(33)).hex(), 21),
    ],
)
def test_hash_and_copy_vectors(address, data, expected, gas):
    assert run_precompile(address, data, gas) == (bytes.fromhex(expected), gas)
    with pytest.raises(PrecompileError):
        run_precompile(address, data, gas - 1)


# --- 0x05 MODEXP --------------------------------------------------------------------------------


def modexp_input(base: bytes, exponent: bytes, modulus: bytes) -> bytes:
    return word(len(base)) + word(len(exponent)) + word(len(modulus)) + base + exponent + modulus


SECP256K1_P = 2**256 - 2**32 - 977


def test_modexp_eip198_fermat_example():
    # EIP-198's first example: 3 ** (p - 1) mod p is 1; 13056 gas under EIP-198, 1360 under EIP-2565.
    data = modexp_input(b"\x03", word(SECP256K1_P - 1), word(SECP256K1_P))
    assert run_precompile(MODEXP, data, PLENTY, "Byzantium") == (word(1), 13056)
    assert run_precompile(MODEXP, data, PLENTY, "Berlin") == (word(1), 1360)


def test_modexp_eip198_empty_base_example():
    # EIP-198's second example: base length zero reads as base 0; 0 ** (p - 1) mod p is 0.
    data = modexp_input(b"", word(SECP256K1_P - 1), word(SECP256K1_P))
    assert output(MODEXP, data) == word(0)


def test_modexp_input_is_zero_padded_on_the_right():
    # Lengths 1, 1, 2 with the modulus cut short: the missing byte is a zero, so the modulus is 0x0700.
    data = word(1) + word(1) + word(2) + b"\x03\x05\x07"
    assert output(MODEXP, data) == (3**5 % 0x0700).to_bytes(2, "big")
    # A header cut short reads as zeros too: no modulus, empty output, minimum price.
    assert run_precompile(MODEXP, word(1)[:20], 200) == (b"", 200)


def test_modexp_zero_modulus_gives_zeros_of_modulus_length():
    assert output(MODEXP, modexp_input(b"\x05", b"\x03", bytes(7))) == bytes(7)
    assert output(MODEXP, modexp_input(b"\x05", b"", b"\x01")) == b"\x00"
    assert output(MODEXP, modexp_input(b"\x05", b"", b"\x07")) == b"\x01"  # x ** 0 is 1


@pytest.mark.parametrize(
    "lengths",
    [
        (2**256 - 1, 2**256 - 1, 2**256 - 1),
        (0, 2**255, 1),
        (2**64, 0, 0),
        (0, 0, 2**40),
        (1, 2**32, 1),
    ],
)
def test_modexp_impossible_lengths_run_out_of_gas_without_allocating(lengths):
    data = b"".join(word(length) for length in lengths) + b"\xff" * 64
    with pytest.raises(PrecompileError):
        run_precompile(MODEXP, data, 30_000_000)


def test_modexp_huge_exponent_with_nothing_to_compute_is_cheap():
    # No base and no modulus: the price is the 200 minimum however long the exponent claims to be.
    assert run_precompile(MODEXP, word(0) + word(2**256 - 1) + word(0), 200) == (b"", 200)


def test_modexp_price_rules():
    # EIP-2565: words = ceil(max(len) / 8), price = max(200, words^2 * iterations / 3).
    # A 33-byte exponent with head 1: iterations = 8 * (33 - 32) + 0 = 8; 128-byte modulus: 16 words.
    data = modexp_input(b"\x02", b"\x00" * 31 + b"\x01" + b"\x00", b"\x01" * 128)
    assert run_precompile(MODEXP, data, PLENTY)[1] == 16 * 16 * 8 // 3
    # EIP-198: for 64 < x <= 1024 bytes, complexity x^2 / 4 + 96 x - 3072, divided by 20.
    assert run_precompile(MODEXP, data, PLENTY, "Istanbul")[1] == (128 * 128 // 4 + 96 * 128 - 3072) * 8 // 20
    # Below the EIP-2565 floor.
    assert run_precompile(MODEXP, modexp_input(b"\x02", b"\x03", b"\x05"), PLENTY)[1] == 200


def test_modexp_eip7883_price_rules():
    # Osaka: floor 500, no divisor; up to 32 bytes of base and modulus the complexity is 16, beyond it
    # 2 * words^2; exponent bytes past the first 32 count 16 iterations each.
    assert run_precompile(MODEXP, modexp_input(b"\x02", b"\x03", b"\x05"), PLENTY, "Osaka")[1] == 500
    fermat = modexp_input(b"\x03", word(SECP256K1_P - 1), word(SECP256K1_P))
    assert run_precompile(MODEXP, fermat, PLENTY, "Osaka") == (word(1), 16 * 255)
    data = modexp_input(b"\x02", b"\x00" * 31 + b"\x01" + b"\x00", b"\x01" * 128)
    assert run_precompile(MODEXP, data, PLENTY, "Osaka")[1] == 2 * 16 * 16 * (16 * 1 + 0)
    assert run_precompile(MODEXP, data, PLENTY, "Prague")[1] == 16 * 16 * 8 // 3


@pytest.mark.parametrize("lengths", [(1025, 1, 1), (1, 1025, 1), (1, 1, 1025), (2**256 - 1, 0, 0)])
def test_modexp_eip7823_lengths_above_1024_fail_in_osaka_only(lengths):
    data = b"".join(word(length) for length in lengths) + b"\x07" * 40
    with pytest.raises(PrecompileError):
        run_precompile(MODEXP, data, 10**12, "Osaka")
    if max(lengths) == 1025:
        run_precompile(MODEXP, data, 10**12, "Prague")  # no bound before Osaka


def test_modexp_eip7823_allows_exactly_1024():
    base, exponent, modulus = b"\x03" * 1024, (5).to_bytes(1024, "big"), b"\x07" * 1024
    data = word(1024) + word(1024) + word(1024) + base + exponent + modulus
    expected = pow(int.from_bytes(base, "big"), 5, int.from_bytes(modulus, "big"))
    # 2 * 128^2 complexity times 16 iterations for each of the 992 exponent bytes past the head.
    assert run_precompile(MODEXP, data, PLENTY, "Osaka") == (expected.to_bytes(1024, "big"), 2 * 128**2 * 16 * 992)


# --- 0x06 ECADD, 0x07 ECMUL, 0x08 ECPAIRING -----------------------------------------------------


def g1_bytes(point) -> bytes:
    if bn.is_inf(point):
        return bytes(64)
    x, y = bn.normalize(point)
    return word(x.n) + word(y.n)


def g2_bytes(point) -> bytes:
    if bn.is_inf(point):
        return bytes(128)
    x, y = bn.normalize(point)
    return word(x.coeffs[1]) + word(x.coeffs[0]) + word(y.coeffs[1]) + word(y.coeffs[0])


G1 = g1_bytes(bn.G1)
G2 = g2_bytes(bn.G2)
TWO_G1 = bytes.fromhex(
    "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
    "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
)
NEG_G1 = word(1) + word(BN254_P - 2)


def test_ecadd_and_ecmul_vectors():
    assert run_precompile(ECADD, G1 + G1, 150) == (TWO_G1, 150)
    assert run_precompile(ECMUL, G1 + word(2), 6000) == (TWO_G1, 6000)
    assert output(ECADD, G1 + NEG_G1) == bytes(64)
    assert output(ECADD, G1 + bytes(64)) == G1  # all zeros is the point at infinity
    assert output(ECADD, b"") == bytes(64)  # short input is zero-padded
    assert output(ECMUL, G1 + word(BN254_N)) == bytes(64)
    assert output(ECMUL, G1 + word(BN254_N + 2)) == TWO_G1
    assert output(ECMUL, G1) == bytes(64)  # scalar padded to 0
    assert output(ECMUL, G1 + word(2**256 - 1)) == g1_bytes(bn.multiply(bn.G1, (2**256 - 1) % BN254_N))


def test_bn254_prices_by_fork():
    assert run_precompile(ECADD, G1 + G1, PLENTY, "Byzantium")[1] == 500
    assert run_precompile(ECMUL, G1 + word(2), PLENTY, "Byzantium")[1] == 40_000


@pytest.mark.parametrize(
    "address, data",
    [
        (ECADD, word(1) + word(3) + G1),  # (1, 3) is not on y^2 = x^3 + 3
        (ECADD, G1 + word(BN254_P + 1) + word(2)),  # a coordinate equal mod p but not below p
        (ECMUL, word(BN254_P) + word(0) + word(1)),
        (ECPAIRING, b"\x00" * 191),
        (ECPAIRING, word(1) + word(3) + G2),
        (ECPAIRING, G1 + G2[:32] + word(BN254_P) + G2[64:]),
    ],
)
def test_bn254_invalid_input_halts(address, data):
    with pytest.raises(PrecompileError):
        run_precompile(address, data, PLENTY)


def _fq2_sqrt(a):
    """A square root in F_p^2 (p = 3 mod 4), or None; written out here so the test does not trust py_ecc's curve code."""
    a1 = a ** ((BN254_P - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    if alpha == bn.FQ2([-1, 0]):
        root = bn.FQ2([0, 1]) * x0
    else:
        root = (alpha + bn.FQ2.one()) ** ((BN254_P - 1) // 2) * x0
    return root if root * root == a else None


def _twist_point_outside_subgroup():
    # The twist's group order is n times a large cofactor, so almost any point on it will do.
    for k in itertools.count(1):
        x = bn.FQ2([k, 1])
        y = _fq2_sqrt(x**3 + bn.b2)
        if y is not None:
            point = (x, y, bn.FQ2.one())
            assert bn.is_on_curve(point, bn.b2) and not bn.is_inf(bn.multiply(point, BN254_N))
            return point


def test_ecpairing_rejects_twist_points_outside_the_subgroup():
    with pytest.raises(PrecompileError):
        run_precompile(ECPAIRING, G1 + g2_bytes(_twist_point_outside_subgroup()), PLENTY)


def test_ecpairing_vectors():
    # e(P, Q) * e(-P, Q) = 1, but e(P, Q)^2 is not; empty input and identity pairs are the empty product.
    assert run_precompile(ECPAIRING, b"", 45_000) == (word(1), 45_000)
    assert run_precompile(ECPAIRING, G1 + G2 + NEG_G1 + G2, PLENTY) == (word(1), 45_000 + 2 * 34_000)
    assert output(ECPAIRING, G1 + G2 + G1 + G2) == word(0)
    assert output(ECPAIRING, bytes(64) + G2 + G1 + bytes(128)) == word(1)
    assert run_precompile(ECPAIRING, G1 + G2, PLENTY, "Byzantium") == (word(0), 100_000 + 80_000)


def test_ecpairing_bilinearity():
    # e(aP, bQ) * e(-abP, Q) = 1
    a, b = 0x1234567, 0x89ABCDEF
    data = (
        g1_bytes(bn.multiply(bn.G1, a))
        + g2_bytes(bn.multiply(bn.G2, b))
        + g1_bytes(bn.neg(bn.multiply(bn.G1, a * b)))
        + G2
    )
    assert output(ECPAIRING, data) == word(1)


# --- 0x09 BLAKE2F: the EIP-152 test vectors -----------------------------------------------------

BLAKE2F_STATE_AND_BLOCK = (
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
    "6162630000000000000000000000000000000000000000000000000000000000" + "00" * 96 + "0300000000000000" "0000000000000000"
)


@pytest.mark.parametrize(
    "rounds, flag, expected",
    [
        ("00000000", "01", "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b"),
        ("0000000c", "01", "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"),
        ("0000000c", "00", "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735"),
        ("00000001", "01", "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421"),
    ],
)
def test_blake2f_eip152_vectors(rounds, flag, expected):
    data = bytes.fromhex(rounds + BLAKE2F_STATE_AND_BLOCK + flag)
    assert run_precompile(BLAKE2F, data, int(rounds, 16)) == (bytes.fromhex(expected), int(rounds, 16))


@pytest.mark.parametrize(
    "data_hex",
    [
        "",  # vector 0
        "00000c" + BLAKE2F_STATE_AND_BLOCK + "01",  # vector 1: 212 bytes
        "000000000c" + BLAKE2F_STATE_AND_BLOCK + "01",  # vector 2: 214 bytes
        "0000000c" + BLAKE2F_STATE_AND_BLOCK + "02",  # vector 3: bad final flag
    ],
)
def test_blake2f_eip152_invalid_vectors(data_hex):
    with pytest.raises(PrecompileError):
        run_precompile(BLAKE2F, bytes.fromhex(data_hex), PLENTY)


def test_blake2f_max_rounds_is_priced_before_running():
    # EIP-152's vector 8 asks for 2^32 - 1 rounds; one gas short of that must fail at once.
    data = bytes.fromhex("ffffffff" + BLAKE2F_STATE_AND_BLOCK + "01")
    with pytest.raises(PrecompileError):
        run_precompile(BLAKE2F, data, 0xFFFFFFFE)


def test_blake2f_compiled_rounds_equal_the_python_ones():
    h = [(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(8)]
    m = [(i * 0xC2B2AE3D27D4EB4F + 1) % 2**64 for i in range(16)]
    for rounds, final in [(0, True), (1, False), (12, True), (23, False)]:
        expected = blake2f.compress(rounds, h, m, 2**64 - 1, 3, final)
        assert blake2f_native.compress(rounds, h, m, 2**64 - 1, 3, final) == expected


def test_blake2f_many_rounds_take_the_compiled_path():
    rounds = blake2f.NATIVE_ROUNDS + 1
    data = rounds.to_bytes(4, "big") + bytes.fromhex(BLAKE2F_STATE_AND_BLOCK) + b"\x01"
    words = struct.unpack("<26Q", data[4:212])
    expected = struct.pack("<8Q", *blake2f.compress(rounds, words[:8], words[8:24], words[24], words[25], True))
    assert run_precompile(BLAKE2F, data, rounds) == (expected, rounds)


# --- 0x0A POINT_EVALUATION ----------------------------------------------------------------------

KZG_RESULT = word(4096) + word(0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001)
INFINITY_G1 = b"\xc0" + bytes(47)


def point_evaluation_input(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> bytes:
    versioned_hash = b"\x01" + hashlib.sha256(commitment).digest()[1:]
    return versioned_hash + z + y + commitment + proof


def test_point_evaluation_of_the_zero_polynomial():
    # The zero blob commits to the point at infinity, evaluates to 0 everywhere, with an infinity proof.
    data = point_evaluation_input(INFINITY_G1, word(12345), word(0), INFINITY_G1)
    assert run_precompile(POINT_EVALUATION, data, 50_000) == (KZG_RESULT, 50_000)
    with pytest.raises(PrecompileError):
        run_precompile(POINT_EVALUATION, point_evaluation_input(INFINITY_G1, word(12345), word(1), INFINITY_G1), PLENTY)


@pytest.fixture(scope="module")
def blob_proof():
    """A proof for a blob built here: (commitment, z, y, proof), made by ckzg from the bundled setup."""
    setup = kzg.trusted_setup()
    blob = b"".join(word(i * 0x1234567 + 1) for i in range(4096))
    commitment = ckzg.blob_to_kzg_commitment(blob, setup)
    z = word(0x42)
    proof, y = ckzg.compute_kzg_proof(blob, z, setup)
    return bytes(commitment), z, bytes(y), bytes(proof)


def test_point_evaluation_of_a_blob(blob_proof):
    commitment, z, y, proof = blob_proof
    assert run_precompile(POINT_EVALUATION, point_evaluation_input(commitment, z, y, proof), 50_000) == (KZG_RESULT, 50_000)


def test_point_evaluation_rejects(blob_proof):
    commitment, z, y, proof = blob_proof
    valid = point_evaluation_input(commitment, z, y, proof)
    wrong_y = word((int.from_bytes(y, "big") + 1) % kzg.BLS_MODULUS)
    for data in (
        valid[:-1],
        valid + b"\x00",
        b"\x02" + valid[1:],  # version byte
        point_evaluation_input(commitment, z, wrong_y, proof),
        point_evaluation_input(commitment, word(kzg.BLS_MODULUS), y, proof),  # z not in the field
        point_evaluation_input(commitment, z, y, b"\x80" + bytes(47)),  # not a point encoding
    ):
        with pytest.raises(PrecompileError):
            run_precompile(POINT_EVALUATION, data, PLENTY)
    with pytest.raises(PrecompileError):
        run_precompile(POINT_EVALUATION, valid, 49_999)


def test_trusted_setup_is_the_mainnet_one():
    # The second G2 point ([tau]_2) of the mainnet ceremony, as EIP-4844 implementations hard-code it.
    with open(os.path.join(os.path.dirname(kzg.__file__), kzg.TRUSTED_SETUP_FILE)) as setup:
        lines = setup.read().split()
    assert lines[:2] == ["4096", "65"]
    assert lines[2 + 4096 + 1].startswith("b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d")


# --- differential: ethereum-execution's precompiles on the same calls ---------------------------


DIFFERENTIAL = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sometimes_truncated(data: bytes):
    return st.integers(0, len(data) + 8).map(lambda n: data[:n] + bytes(max(0, n - len(data))))


@DIFFERENTIAL
@given(address=st.sampled_from([SHA256, RIPEMD160, IDENTITY]), data=st.binary(max_size=200), gas=st.integers(0, 2000))
def test_same_as_reference_hashes(address, data, gas):
    assert_same_as_reference(address, data, gas)


@st.composite
def ecrecover_inputs(draw):
    message_hash = draw(st.binary(min_size=32, max_size=32))
    signature = PrivateKey(draw(st.integers(1, SECP256K1_N - 1)).to_bytes(32, "big")).sign_recoverable(message_hash, hasher=None)
    v = draw(st.sampled_from([27 + signature[64], 28 - signature[64], 0, 1, 29]))
    r = draw(st.sampled_from([signature[:32], word(0), word(SECP256K1_N), word(5)]))
    s = draw(st.sampled_from([signature[32:64], word(SECP256K1_N - 1), word(SECP256K1_N)]))
    return draw(_sometimes_truncated(message_hash + word(v) + r + s))


@DIFFERENTIAL
@given(data=st.one_of(ecrecover_inputs(), st.binary(max_size=130)), gas=st.sampled_from([2999, 3000, 10_000]))
def test_same_as_reference_ecrecover(data, gas):
    assert_same_as_reference(ECRECOVER, data, gas)


@st.composite
def modexp_inputs(draw):
    def length():
        return draw(st.one_of(st.integers(0, 40), st.just(0), st.sampled_from([64, 1024, 1025, 2**32, 2**255, 2**256 - 1])))

    base_length, exponent_length, modulus_length = length(), length(), length()
    body = draw(st.binary(max_size=min(base_length + exponent_length + modulus_length, 150)))
    return word(base_length) + word(exponent_length) + word(modulus_length) + body


@DIFFERENTIAL
@given(data=modexp_inputs(), gas=st.integers(0, 300_000),
       fork=st.sampled_from(["Byzantium", "Istanbul", "Berlin", "Cancun", "Prague", "Osaka", "Osaka"]))
def test_same_as_reference_modexp(data, gas, fork):
    assert_same_as_reference(MODEXP, data, gas, fork)


def _g1_encodings():
    valid = st.integers(0, BN254_N - 1).map(lambda k: g1_bytes(bn.multiply(bn.G1, k)))
    off_curve = st.integers(0, BN254_P - 1).map(lambda x: word(x) + word(1))
    too_big = st.integers(BN254_P, 2**256 - 1).map(lambda x: word(x) + G1[32:])
    return st.one_of(valid, st.just(bytes(64)), off_curve, too_big, st.binary(min_size=64, max_size=64))


@DIFFERENTIAL
@given(
    address=st.sampled_from([ECADD, ECMUL]),
    first=_g1_encodings(),
    second=st.one_of(_g1_encodings(), st.binary(min_size=32, max_size=32)),
    cut=st.integers(0, 140),
    gas=st.sampled_from([149, 150, 5999, 6000, 40_000]),
    fork=st.sampled_from(["Byzantium", "Cancun"]),
)
def test_same_as_reference_ecadd_ecmul(address, first, second, cut, gas, fork):
    assert_same_as_reference(address, (first + second)[:cut], gas, fork)


@settings(max_examples=15, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from([G1, bytes(64), word(1) + word(3), word(BN254_P) + word(2)]),
            st.sampled_from([bytes(128), G2[:96] + word(BN254_P + 1), G2[:96] + word(1)]),
        ),
        max_size=2,
    ),
    ragged=st.booleans(),
    gas=st.sampled_from([45_000, 79_000, 200_000]),
)
def test_same_as_reference_ecpairing_validation(pairs, ragged, gas):
    # Kept to inputs that fail or pair with the identity: the reference takes a second per real pairing.
    data = b"".join(g1 + g2 for g1, g2 in pairs) + (b"\x00" if ragged else b"")
    assert_same_as_reference(ECPAIRING, data, gas)


def test_same_as_reference_ecpairing_one_real_pair():
    assert_same_as_reference(ECPAIRING, G1 + G2, 100_000)


@DIFFERENTIAL
@given(
    rounds=st.integers(0, 30),
    words=st.binary(min_size=208, max_size=208),
    flag=st.sampled_from([0, 1, 2, 0x80]),
    size_change=st.sampled_from([0, 0, 0, -1, 1]),
    gas=st.integers(0, 40),
)
def test_same_as_reference_blake2f(rounds, words, flag, size_change, gas):
    data = rounds.to_bytes(4, "big") + words + bytes([flag])
    data = data[:size_change] if size_change < 0 else data + bytes(size_change)
    assert_same_as_reference(BLAKE2F, data, gas, "Istanbul")


@st.composite
def point_evaluation_inputs(draw):
    """Mostly inputs that fail somewhere: wrong size, wrong version, points that do not decode, a wrong y."""
    commitment = draw(st.sampled_from([INFINITY_G1, b"\x80" + bytes(47)]) | st.binary(min_size=48, max_size=48))
    proof = draw(st.sampled_from([INFINITY_G1]) | st.binary(min_size=48, max_size=48))
    z = draw(st.integers(0, 2**256 - 1))
    y = draw(st.sampled_from([0, 1, kzg.BLS_MODULUS]))
    data = point_evaluation_input(commitment, word(z), word(y), proof)
    return draw(st.sampled_from([data, data[:-1], b"\x00" + data[1:]]))


@settings(max_examples=15, deadline=None)
@given(data=point_evaluation_inputs() | st.binary(max_size=200), gas=st.sampled_from([49_999, 50_000]))
def test_same_as_reference_point_evaluation(data, gas):
    assert_same_as_reference(POINT_EVALUATION, data, gas)


def test_same_as_reference_point_evaluation_of_the_zero_polynomial():
    assert_same_as_reference(POINT_EVALUATION, point_evaluation_input(INFINITY_G1, word(7), word(0), INFINITY_G1), 60_000)
