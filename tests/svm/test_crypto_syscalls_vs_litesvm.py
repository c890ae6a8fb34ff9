"""The curve25519, alt_bn128 and Poseidon syscalls against LiteSVM: one program calls the syscall with
registers from the instruction data (tests/svm/syscall_call_probe.py) and logs r0 and its output, so
every case compares the result, the output bytes, the compute units and the failures. Unit vectors
for the arithmetic underneath: RFC 9496 (Ristretto), EIP-196/197 style identities (alt_bn128), the
circom Poseidon vector, the BLAKE3 reference vector."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitvm.svm import curve25519
from jitvm.svm.ids import LOADERS
from tests.svm.harness import Pair
from tests.svm.syscall_call_probe import call_data, call_probe_elf


class Caller:
    def __init__(self, engine: str = "reference"):
        self.pair = Pair(engine=engine, programs=())
        self.payer = Keypair()
        self.pair.fund(self.payer.pubkey(), 10**12)
        self.programs: dict[str, Pubkey] = {}
        self.outcomes: dict[str, set[str]] = {}  # per syscall: "0", "1" (its r0) or "failed" seen

    def assert_outcomes(self, *syscalls: str) -> None:
        """Each syscall was seen succeeding, returning 1 and failing: the cases are not vacuous."""
        for syscall in syscalls:
            assert self.outcomes[syscall] == {"0", "1", "failed"}, (syscall, self.outcomes[syscall])

    def call(self, syscall: str, data: bytes):
        if syscall not in self.programs:
            program_id, code = Pubkey.new_unique(), call_probe_elf(syscall)
            self.pair.lite.add_program_with_loader(program_id, code, Pubkey.from_bytes(LOADERS["v2"]))
            self.pair.svm.add_program(program_id, code, "v2")
            self.programs[syscall] = program_id
        result = self.pair.send(self.pair.transaction([Instruction(self.programs[syscall], data, [])], self.payer))
        outcome = "failed" if result[0] else ("0" if "Program log: 0x0, 0x0, 0x0, 0x0, 0x0" in result[3] else "1")
        self.outcomes.setdefault(syscall, set()).add(outcome)
        self.pair.lite.expire_blockhash()
        self.pair.svm.expire_blockhash()
        self.pair.blockhash = self.pair.lite.latest_blockhash()
        return result


@pytest.fixture(scope="module")
def caller():
    return Caller()


B = curve25519.edwards_decompress(bytes.fromhex("58" + "66" * 31))
EDWARDS = [curve25519.edwards_compress(curve25519.multiply(k, B)) for k in (1, 2, 7)]
RISTRETTO = [curve25519.ristretto_compress(curve25519.multiply(k, B)) for k in (1, 2, 7)]
SMALL_ORDER = bytes(32)  # y = 0: a point of order 4, which dalek accepts
NOT_ON_CURVE = (2).to_bytes(32, "little")
NON_CANONICAL_Y = (2**255 - 19 + 1).to_bytes(32, "little")  # y = p + 1
SCALARS = [(5).to_bytes(32, "little"), (curve25519.L - 1).to_bytes(32, "little"), curve25519.L.to_bytes(32, "little")]


def test_curve25519_vectors():
    assert RISTRETTO[0].hex() == "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    assert RISTRETTO[1].hex() == "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"
    assert curve25519.ristretto_compress(curve25519.IDENTITY) == bytes(32)
    assert curve25519.multiply(curve25519.L, B) == curve25519.IDENTITY
    assert curve25519.ristretto_decompress(b"\x01" + bytes(31)) is None  # negative s


def test_curve25519_syscalls(caller):
    for curve, points in ((0, EDWARDS + [SMALL_ORDER, NOT_ON_CURVE, NON_CANONICAL_Y]),
                          (1, RISTRETTO + [b"\x01" + bytes(31), b"\xff" * 32])):
        for point in points:
            caller.call("sol_curve_validate_point", call_data([curve, 0, 0, 0, 0], point, in_payload=(2,)))
        for operation in (0, 1, 2):
            for left, right in ((points[0], points[1]), (points[1], points[3]), (points[0], points[-1]),
                                (SCALARS[0], points[2]), (SCALARS[1], points[0]), (SCALARS[2], points[0])):
                caller.call("sol_curve_group_op", call_data([curve, operation, 0, 32, 0], left + right,
                                                            in_payload=(3, 4), in_buffer=(5,)))
        for count, scalars, chosen in ((0, [], []), (2, SCALARS[:2], points[:2]), (3, SCALARS[:3], points[:3]),
                                       (2, SCALARS[:2], [points[0], points[-1]])):
            payload = b"".join(scalars) + b"".join(chosen)
            caller.call("sol_curve_multiscalar_mul", call_data([curve, 0, 32 * count, count, 0], payload,
                                                               in_payload=(2, 3), in_buffer=(5,)))
    for registers in ([2, 0, 0, 0, 0], [0, 3, 0, 0, 0]):  # an unknown curve, an unknown operation
        caller.call("sol_curve_validate_point" if registers[1] == 0 else "sol_curve_group_op",
                    call_data(registers, bytes(64), in_payload=(2,) if registers[1] == 0 else (3, 4)))
    caller.call("sol_curve_multiscalar_mul", call_data([0, 0, 0, 513, 0], bytes(64), in_payload=(2, 3)))
    caller.assert_outcomes("sol_curve_validate_point", "sol_curve_group_op", "sol_curve_multiscalar_mul")


def _bn_points():
    from py_ecc import optimized_bn128 as bn

    from jitvm.svm import bn254

    g1 = [bn254._g1_bytes(bn.multiply(bn.G1, k)) for k in (1, 2, 3)]
    g2 = [bn254._g2_bytes(bn.multiply(bn.G2, k)) for k in (1, 2)]
    negated = bn254._g1_bytes(bn.neg(bn.multiply(bn.G1, 2)))
    return g1, g2, negated


NOT_IN_G2 = bytes.fromhex(
    "0000000000000000000000000000000000000000000000000000000000000007"
    "0000000000000000000000000000000000000000000000000000000000000005"
    "11149b219bf0a6f98c9c7f2f68085bef34811df05e24592c10b170ce7fcc729b"
    "0b7acc216a621e5c67c9b30166500219eea2ccfe4316164ae4e33e83815be26a")


def _le(data: bytes, size: int) -> bytes:
    return b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))


def test_alt_bn128_group_ops(caller):
    from jitvm.svm.bn254 import FIELD, ORDER

    g1, g2, negated = _bn_points()
    off_curve = (1).to_bytes(32, "big") + (3).to_bytes(32, "big")
    scalar = (12345).to_bytes(32, "big")
    cases = [
        (0, g1[0] + g1[1]), (0, g1[0]), (0, b""), (0, g1[0] + off_curve), (0, g1[0] + g1[1] + b"\x00"),
        (2, g1[1] + scalar), (2, g1[0]), (2, off_curve + scalar), (2, g1[0] + scalar + b"\x00"),
        (4, g2[0] + g2[1]), (4, g2[0]), (6, g2[1] + scalar), (6, g2[0] + scalar + b"\x01"),
        (3, b""), (3, g1[1] + g2[0] + negated + g2[0]), (3, g1[1] + g2[0]), (3, g1[0] + g2[0] + b"\x00"),
        (0x80, _le(g1[0] + g1[1], 32)), (0x82, _le(g1[1], 32) + scalar[::-1]), (0x84, _le(g2[0] + g2[1], 64)),
        (0x83, _le(g1[1], 32) + _le(g2[0], 64) + _le(negated, 32) + _le(g2[0], 64)),
        (1, g1[0] + g1[1]), (5, b""), (0x81, b""), (0x100, b""),
        # on the twist but outside the G2 subgroup: addition takes it, multiplication and pairing do not
        (4, NOT_IN_G2 + g2[0]), (6, NOT_IN_G2 + scalar), (3, g1[0] + NOT_IN_G2),
        (0, (FIELD + 1).to_bytes(32, "big") + (2).to_bytes(32, "big") + g1[0]),  # x not reduced
        (2, g1[0] + (ORDER + 5).to_bytes(32, "big")), (2, g1[0] + b"\xff" * 32),  # scalars past the order
    ]
    for operation, payload in cases:
        caller.call("sol_alt_bn128_group_op", call_data([operation, 0, len(payload), 0, 0], payload,
                                                        in_payload=(2,), in_buffer=(4,)))
    caller.assert_outcomes("sol_alt_bn128_group_op")


def test_alt_bn128_compression(caller):
    from jitvm.svm import bn254

    g1, g2, negated = _bn_points()
    cases = []
    for point in (g1[0], g1[2], negated, bytes(64)):
        cases += [(0, point), (1, bn254.g1_compress(point)), (0x80, _le(point, 32)),
                  (0x81, bn254.g1_compress(_le(point, 32), True))]
    for point in (g2[0], g2[1], bytes(128)):
        cases += [(2, point), (3, bn254.g2_compress(point)), (0x82, _le(point, 64))]
    cases += [(0, g1[0][:63]), (1, b"\xff" * 32), (1, b"\x40" + bytes(31)), (1, b"\xc0" + bytes(31)),
              (3, b"\xff" * 64), (4, b"")]
    for operation, payload in cases:
        caller.call("sol_alt_bn128_compression", call_data([operation, 0, len(payload), 0, 0], payload,
                                                           in_payload=(2,), in_buffer=(4,)))
    caller.assert_outcomes("sol_alt_bn128_compression")


def test_poseidon(caller):
    one, two = (1).to_bytes(32, "big"), (2).to_bytes(32, "big")
    modulus = (21888242871839275222246405745257275088548364400416034343698204186575808495617).to_bytes(32, "big")
    for parameters, endianness, values in ((0, 0, [one, two]), (0, 1, [one[::-1], two[::-1]]), (0, 0, [one]),
                                           (0, 0, [one] * 12), (0, 0, []), (0, 0, [one[1:]]), (0, 0, [modulus]),
                                           (1, 0, [one]), (0, 2, [one]), (0, 0, [one] * 13)):
        caller.call("sol_poseidon", _poseidon_call([parameters, endianness, 0, len(values), 0], values))
    caller.assert_outcomes("sol_poseidon")


def _poseidon_call(registers, values):
    """The descriptors must hold absolute addresses: the program's payload starts at a fixed place
    (the input region's instruction data, at MM_INPUT_START + 16 + 48 with no accounts)."""
    from jitvm.bpf.memory import MM_INPUT_START

    payload_address = MM_INPUT_START + 16 + 48
    offset = 16 * len(values)
    descriptors, blob = b"", b""
    for value in values:
        descriptors += struct.pack("<QQ", payload_address + offset + len(blob), len(value))
        blob += value
    return call_data(registers, descriptors + blob, in_payload=(3,), in_buffer=(5,))


def test_poseidon_and_blake3_vectors():
    pytest.importorskip("light_poseidon_python")
    from jitvm.svm.crypto_syscalls import blake3_digest, poseidon_hash

    one, two = (1).to_bytes(32, "big"), (2).to_bytes(32, "big")
    assert poseidon_hash([one, two], False).hex() == "115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
    assert poseidon_hash([one[::-1], two[::-1]], True) == poseidon_hash([one, two], False)[::-1]
    assert poseidon_hash([], False) is None and poseidon_hash([one[1:]], False) is None
    pytest.importorskip("blake3")
    assert blake3_digest(b"").hex() == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_crypto_syscalls_on_native_engines(engine):
    caller = Caller(engine)
    caller.call("sol_curve_group_op", call_data([1, 2, 0, 32, 0], SCALARS[0] + RISTRETTO[1], in_payload=(3, 4),
                                                in_buffer=(5,)))
    g1, _, _ = _bn_points()
    caller.call("sol_alt_bn128_group_op", call_data([0, 0, 128, 0, 0], g1[0] + g1[1], in_payload=(2,), in_buffer=(4,)))
    caller.call("sol_poseidon", _poseidon_call([0, 0, 0, 1, 0], [(7).to_bytes(32, "big")]))
    assert caller.outcomes == {name: {"0"} for name in ("sol_curve_group_op", "sol_alt_bn128_group_op", "sol_poseidon")}


def test_epoch_stake(caller):
    """The total (a null address) and one vote account's stake: none in a new LiteSVM, nor in jitvm."""
    caller.call("sol_get_epoch_stake", call_data([0, 0, 0, 0, 0]))
    caller.call("sol_get_epoch_stake", call_data([0, 0, 0, 0, 0], bytes(32), in_payload=(1,)))
    caller.call("sol_get_epoch_stake", call_data([16, 0, 0, 0, 0]))  # an unmapped address: access violation
    assert caller.outcomes["sol_get_epoch_stake"] == {"0", "failed"}
