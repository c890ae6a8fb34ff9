"""0x0A POINT_EVALUATION (EIP-4844): checks a KZG proof that the blob behind a versioned hash evaluates
to y at z, using ckzg (c-kzg-4844) and the mainnet trusted setup.

Input, exactly 192 bytes: versioned_hash (32), z (32), y (32), commitment (48), proof (48). The versioned
hash must be 0x01 followed by the last 31 bytes of sha256(commitment). Output on success: the blob size
in field elements and the BLS12-381 scalar field modulus, as two 32-byte words.
"""

from functools import cache
from importlib.resources import as_file, files

import ckzg
from Crypto.Hash import SHA256

from jitvm.evm.precompiles.errors import PrecompileError

INPUT_SIZE = 192
VERSIONED_HASH_VERSION_KZG = b"\x01"
FIELD_ELEMENTS_PER_BLOB = 4096
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
RESULT = FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")

# The KZG ceremony output as c-kzg reads it (4096 G1 points in Lagrange form, 65 G2 points, 4096 G1
# points in monomial form), shipped with the package because ckzg does not bundle one.
TRUSTED_SETUP_FILE = "trusted_setup.txt"
# ckzg's precomputation speeds up computing cells (PeerDAS), not verifying one proof.
SETUP_PRECOMPUTE = 0


@cache
def trusted_setup():
    """Loaded on first use: parsing the file takes a second or two."""
    with as_file(files(__package__) / TRUSTED_SETUP_FILE) as path:
        return ckzg.load_trusted_setup(str(path), SETUP_PRECOMPUTE)


def kzg_to_versioned_hash(commitment: bytes) -> bytes:
    return VERSIONED_HASH_VERSION_KZG + SHA256.new(commitment).digest()[1:]


def point_evaluation(data: bytes) -> bytes:
    if len(data) != INPUT_SIZE:
        raise PrecompileError(f"point evaluation: input must be exactly {INPUT_SIZE} bytes, got {len(data)}")
    versioned_hash, z, y = data[0:32], data[32:64], data[64:96]
    commitment, proof = data[96:144], data[144:192]
    if kzg_to_versioned_hash(commitment) != versioned_hash:
        raise PrecompileError("point evaluation: versioned hash does not match the commitment")
    try:
        valid = ckzg.verify_kzg_proof(commitment, z, y, proof, trusted_setup())
    except RuntimeError as error:  # z or y not below the modulus, or a point that does not decode
        raise PrecompileError(f"point evaluation: {error}") from None
    if not valid:
        raise PrecompileError("point evaluation: proof does not verify")
    return RESULT
