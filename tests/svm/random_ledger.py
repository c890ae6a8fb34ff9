"""Random ledgers from a seed: System transfers and account creation, SPL Token and Token-2022 mints,
accounts, mint-to, transfer, transfer-checked, approve, burn, close, Memo, Associated Token Account
creation, Compute Budget limits and prices, precompile signature checks, v0 messages with lookup tables, and transactions that must fail (overdrafts, wrong
authority, missing signer, a fee payer that cannot pay). Each transaction is sent to LiteSVM and to
jitvm through tests/svm/harness.Pair, which compares them."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

from solders.compute_budget import request_heap_frame, set_compute_unit_limit, set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from tests.svm import spl
from tests.svm import system_ix as sx
from tests.svm.harness import ATA, MEMO, TOKEN, TOKEN_2022, Pair

SOL = 10**9
PROGRAMS = ("token", "token_2022", "ata", "memo")


@dataclass
class Mint:
    address: object
    program: object
    authority: Keypair
    decimals: int


@dataclass
class TokenAccount:
    address: object
    mint: Mint
    owner: Keypair


@dataclass
class World:
    pair: Pair
    rng: random.Random
    wallets: list = field(default_factory=list)
    mints: list = field(default_factory=list)
    accounts: list = field(default_factory=list)
    opening: bool = False  # the first steps use the rich wallet
    sent: int = 0
    failed: int = 0


def run_random_ledger(seed: int, transactions: int, engine: str = "reference") -> World:
    world = World(Pair(engine=engine, programs=PROGRAMS), random.Random(seed))
    for index in range(3):
        wallet = Keypair()
        world.pair.fund(wallet.pubkey(), 10 * SOL if index == 0 else world.rng.choice((10 * SOL, SOL, 2_000_000)))
        world.wallets.append(wallet)
    poor = Keypair()
    world.pair.fund(poor.pubkey(), world.rng.choice((4_000, 6_000, 900_000)))
    world.wallets.append(poor)
    actions = (_transfer, _create_account, _new_mint, _new_token_account, _mint_to, _token_transfer,
               _transfer_checked, _approve, _burn, _close, _memo, _ata, _wrong_authority, _missing_signer,
               _precompile)
    weights = (4, 2, 2, 3, 4, 5, 3, 2, 2, 1, 2, 2, 2, 2, 1)
    opening = [_new_mint, _new_token_account, _new_token_account]  # so most actions apply from the start
    for step in range(transactions):
        world.opening = step < len(opening)
        action = opening[step] if world.opening else world.rng.choices(actions, weights)[0]
        built = action(world)
        if built is None:
            continue
        instructions, payer, signers = built
        instructions = _budget(world) + instructions
        transaction = world.pair.transaction(instructions, payer, *[s for s in signers if s is not payer])
        tables = []
        if world.rng.random() < 0.15:  # the same transaction as a v0 message, half of them with a lookup table
            keypairs = {bytes(k.pubkey()): k for k in [payer, *signers]}
            tables = [_lookup_table(world, instructions)] if world.rng.random() < 0.5 else []
            message = MessageV0.try_compile(payer.pubkey(), instructions, tables, world.pair.blockhash)
            required = message.account_keys[:message.header.num_required_signatures]
            transaction = VersionedTransaction(message, [keypairs[bytes(key)] for key in required])
        result = world.pair.send(transaction)
        for table in tables:
            for address in table.addresses:
                world.pair.assert_same_account(address)
        world.sent += 1
        world.failed += result[0] is not None
    return world


def _precompile(world):
    """An Ed25519 or secp256k1 signature check (sometimes corrupted) before a memo."""
    from tests.svm import precompile_ix

    payer = _wallet(world)
    if world.rng.random() < 0.5:
        data = precompile_ix.ed25519_data([precompile_ix.ed25519_entry(b"ledger")])
        program = precompile_ix.ED25519
    else:
        data, program = precompile_ix.secp256k1_data(key=world.rng.randrange(1, 200)), precompile_ix.SECP256K1
    if world.rng.random() < 0.3:
        data = data[:-1] + bytes([data[-1] ^ 1])
    return [Instruction(program, data, []), spl.memo(MEMO, b"checked")], payer, [payer]


def _lookup_table(world, instructions):
    """A lookup table (set on both sides) holding the instructions' accounts and an unrelated one."""
    from solders.address_lookup_table_account import AddressLookupTableAccount
    from solders.pubkey import Pubkey

    addresses = []
    for instruction in instructions:
        for meta in instruction.accounts:
            if meta.pubkey not in addresses:
                addresses.append(meta.pubkey)
    addresses.append(Keypair().pubkey())
    world.rng.shuffle(addresses)
    table = Keypair().pubkey()
    meta = struct.pack("<IQQBB", 1, 2**64 - 1, 0, 0, 0) + bytes(34)
    world.pair.fund(table, 10**9, meta + b"".join(bytes(address) for address in addresses),
                    owner=Pubkey.from_string("AddressLookupTab1e1111111111111111111111111"))
    return AddressLookupTableAccount(table, addresses)


def _budget(world: World) -> list:
    extra = []
    if world.rng.random() < 0.3:
        extra.append(set_compute_unit_price(world.rng.choice((1, 1000, 50_000))))
    if world.rng.random() < 0.2:
        extra.append(set_compute_unit_limit(world.rng.choice((300, 5_000, 60_000, 400_000))))
    if world.rng.random() < 0.1:
        extra.append(request_heap_frame(world.rng.choice((32 * 1024, 64 * 1024, 256 * 1024, 1000))))
    return extra


def _wallet(world: World) -> Keypair:
    return world.wallets[0] if world.opening else world.rng.choice(world.wallets)


def _transfer(world):
    payer, other = _wallet(world), _wallet(world)
    amount = world.rng.choice((1, 5_000, 890_880, SOL, 50 * SOL))
    target = other.pubkey() if world.rng.random() < 0.8 else Keypair().pubkey()
    return [sx.transfer(payer.pubkey(), target, amount)], payer, [payer]


def _create_account(world):
    payer, new = _wallet(world), Keypair()
    space = world.rng.choice((0, 10, 165))
    lamports = world.pair.lite.minimum_balance_for_rent_exemption(space) + world.rng.choice((0, 0, -1, 7))
    owner = world.rng.choice((TOKEN, Keypair().pubkey()))
    return [sx.create_account(payer.pubkey(), new.pubkey(), lamports, space, owner)], payer, [payer, new]


def _new_mint(world):
    payer, mint = _wallet(world), Keypair()
    program = world.rng.choice((TOKEN, TOKEN_2022))
    decimals = world.rng.choice((0, 2, 9))
    rent = world.pair.lite.minimum_balance_for_rent_exemption(spl.MINT_SIZE)
    world.mints.append(Mint(mint.pubkey(), program, payer, decimals))
    return ([spl.create_mint_account(payer.pubkey(), mint.pubkey(), rent, program),
             spl.initialize_mint2(program, mint.pubkey(), payer.pubkey(), decimals)], payer, [payer, mint])


def _new_token_account(world):
    if not world.mints:
        return None
    mint, payer, account = world.rng.choice(world.mints), _wallet(world), Keypair()
    owner = _wallet(world)
    rent = world.pair.lite.minimum_balance_for_rent_exemption(spl.ACCOUNT_SIZE)
    world.accounts.append(TokenAccount(account.pubkey(), mint, owner))
    return ([spl.create_token_account(payer.pubkey(), account.pubkey(), rent, mint.program),
             spl.initialize_account3(mint.program, account.pubkey(), mint.address, owner.pubkey())],
            payer, [payer, account])


def _token_account(world):
    return world.rng.choice(world.accounts) if world.accounts else None


def _mint_to(world):
    account = _token_account(world)
    if account is None:
        return None
    authority = account.mint.authority
    amount = world.rng.choice((1, 100, 10**6))
    return ([spl.mint_to(account.mint.program, account.mint.address, account.address, authority.pubkey(), amount)],
            _wallet(world), [authority])


def _pair_of_accounts(world):
    source = _token_account(world)
    if source is None:
        return None
    same_mint = [a for a in world.accounts if a.mint is source.mint]
    return source, world.rng.choice(same_mint if world.rng.random() < 0.9 else world.accounts)


def _token_transfer(world):
    chosen = _pair_of_accounts(world)
    if chosen is None:
        return None
    source, destination = chosen
    amount = world.rng.choice((1, 10, 1000, 10**7))
    return ([spl.transfer(source.mint.program, source.address, destination.address, source.owner.pubkey(), amount)],
            _wallet(world), [source.owner])


def _transfer_checked(world):
    chosen = _pair_of_accounts(world)
    if chosen is None:
        return None
    source, destination = chosen
    decimals = source.mint.decimals if world.rng.random() < 0.8 else source.mint.decimals + 1
    return ([spl.transfer_checked(source.mint.program, source.address, source.mint.address, destination.address,
                                  source.owner.pubkey(), world.rng.choice((1, 50, 10**7)), decimals)],
            _wallet(world), [source.owner])


def _approve(world):
    account = _token_account(world)
    if account is None:
        return None
    delegate = _wallet(world)
    return ([spl.approve(account.mint.program, account.address, delegate.pubkey(), account.owner.pubkey(),
                         world.rng.choice((1, 100)))], _wallet(world), [account.owner])


def _burn(world):
    account = _token_account(world)
    if account is None:
        return None
    return ([spl.burn(account.mint.program, account.address, account.mint.address, account.owner.pubkey(),
                      world.rng.choice((1, 10, 10**8)))], _wallet(world), [account.owner])


def _close(world):
    account = _token_account(world)
    if account is None:
        return None
    return ([spl.close_account(account.mint.program, account.address, _wallet(world).pubkey(),
                               account.owner.pubkey())], _wallet(world), [account.owner])


def _memo(world):
    payer = _wallet(world)
    text = world.rng.choice((b"hi", b"a longer memo text", "\u00e9t\u00e9".encode(), b"\xc3"))
    signers = [payer.pubkey()] if world.rng.random() < 0.5 else []
    return [spl.memo(MEMO, text, signers)], payer, [payer]


def _ata(world):
    if not world.mints:
        return None
    mint, payer, wallet = world.rng.choice(world.mints), _wallet(world), _wallet(world)
    _, instruction = spl.create_associated_token_account(payer.pubkey(), wallet.pubkey(), mint.address,
                                                         mint.program, ATA, idempotent=world.rng.random() < 0.5)
    return [instruction], payer, [payer]


def _wrong_authority(world):
    account = _token_account(world)
    if account is None:
        return None
    impostor = _wallet(world)
    return ([spl.transfer(account.mint.program, account.address, account.address, impostor.pubkey(), 1)],
            _wallet(world), [impostor])


def _missing_signer(world):
    account = _token_account(world)
    if account is None:
        return None
    data = bytes(spl.transfer(account.mint.program, account.address, account.address, account.owner.pubkey(),
                              1).data)
    instruction = Instruction(account.mint.program, data, [AccountMeta(account.address, False, True),
                                                           AccountMeta(account.address, False, True),
                                                           AccountMeta(account.owner.pubkey(), False, False)])
    return [instruction], _wallet(world), []
