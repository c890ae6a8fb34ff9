"""The upgradeable loader's (loader v3) management instructions, as Agave's bpf_loader processes them:
InitializeBuffer, Write, DeployWithMaxDataLen, Upgrade, SetAuthority, SetAuthorityChecked, Close and
ExtendProgram, with Agave's checks in Agave's order, its log lines and its errors. Deploying, upgrading
and extending load and verify the ELF the way a deployment does (broken ELFs rejected, no
sol_alloc_free_); the bank's program cache picks the new code up from the programdata account.

Account states are bincode `UpgradeableLoaderState`: a u32 tag, then Buffer { Option<authority> },
Program { programdata address } or ProgramData { slot, Option<upgrade authority> }.

With LiteSVM's feature set (Agave 4.1) ExtendProgramChecked and Migrate (to loader v4) are not yet
active: both are invalid instruction data, and ExtendProgram is the one that extends."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from jitvm.svm.context import MAX_PERMITTED_DATA_LENGTH, BorrowedAccount, TransactionContext
from jitvm.svm.errors import InstructionError
from jitvm.svm.ids import BPF_LOADER_UPGRADEABLE, CLOCK, RENT, SYSTEM_PROGRAM, base58

PACKET_DATA_SIZE = 1232  # limited_deserialize's limit on the instruction
UNINITIALIZED_SIZE = 4
BUFFER_METADATA_SIZE = 37
PROGRAM_SIZE = 36
PROGRAMDATA_METADATA_SIZE = 45
EXTEND_PROGRAM_CHECKED_ACTIVE = False  # enable_extend_program_checked
MINIMUM_EXTEND_PROGRAM_BYTES = 10 * 1024  # smaller extensions only up to the maximum account size

(INITIALIZE_BUFFER, WRITE, DEPLOY_WITH_MAX_DATA_LEN, UPGRADE, SET_AUTHORITY, CLOSE, EXTEND_PROGRAM,
 SET_AUTHORITY_CHECKED, MIGRATE, EXTEND_PROGRAM_CHECKED) = range(10)


# -- account states --------------------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    kind: str  # "Uninitialized", "Buffer", "Program", "ProgramData"
    authority: bytes | None = None  # Buffer's authority or ProgramData's upgrade authority
    programdata: bytes | None = None  # Program's
    slot: int = 0  # ProgramData's

    def to_bytes(self) -> bytes:
        if self.kind == "Uninitialized":
            return struct.pack("<I", 0)
        if self.kind == "Program":
            return struct.pack("<I", 2) + self.programdata
        authority = b"\x01" + self.authority if self.authority is not None else b"\x00"
        if self.kind == "Buffer":
            return struct.pack("<I", 1) + authority
        return struct.pack("<IQ", 3, self.slot) + authority


def parse_state(data: bytes) -> State:
    """bincode's deserialization (trailing bytes allowed); anything else is InvalidAccountData."""
    def need(end: int) -> None:
        if len(data) < end:
            raise InstructionError("InvalidAccountData")

    def option(offset: int) -> bytes | None:
        need(offset + 1)
        if data[offset] == 0:
            return None
        if data[offset] != 1:
            raise InstructionError("InvalidAccountData")
        need(offset + 33)
        return bytes(data[offset + 1:offset + 33])

    need(4)
    tag = struct.unpack_from("<I", data)[0]
    if tag == 0:
        return State("Uninitialized")
    if tag == 1:
        return State("Buffer", authority=option(4))
    if tag == 2:
        need(36)
        return State("Program", programdata=bytes(data[4:36]))
    if tag == 3:
        need(12)
        return State("ProgramData", authority=option(12), slot=struct.unpack_from("<Q", data, 4)[0])
    raise InstructionError("InvalidAccountData")


def get_state(account: BorrowedAccount) -> State:
    return parse_state(account.data)


def set_state(account: BorrowedAccount, state: State) -> None:
    """BorrowedAccount::set_state: the data must be changeable and large enough."""
    account.can_data_be_changed()
    payload = state.to_bytes()
    if len(payload) > len(account.data):
        raise InstructionError("AccountDataTooSmall")
    account.data[:len(payload)] = payload


def set_executable(context: TransactionContext, account: BorrowedAccount) -> None:
    if not context.rent.is_exempt(account.lamports, len(account.data)):
        raise InstructionError("ExecutableAccountNotRentExempt")
    if not account.is_owned_by_current_program() or not account.is_writable:
        raise InstructionError("ExecutableModified")
    account.account.executable = True


# -- the instruction -------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[int, tuple]:
    """limited_deserialize of UpgradeableLoaderInstruction; trailing bytes are allowed."""
    if len(data) < 4:
        raise InstructionError("InvalidInstructionData")
    tag = struct.unpack_from("<I", data)[0]
    if tag == WRITE:
        if len(data) < 16:
            raise InstructionError("InvalidInstructionData")
        offset, length = struct.unpack_from("<IQ", data, 4)
        if length > PACKET_DATA_SIZE - 16 or len(data) < 16 + length:
            raise InstructionError("InvalidInstructionData")
        return tag, (offset, bytes(data[16:16 + length]))
    if tag == DEPLOY_WITH_MAX_DATA_LEN:
        if len(data) < 12:
            raise InstructionError("InvalidInstructionData")
        return tag, struct.unpack_from("<Q", data, 4)
    if tag in (EXTEND_PROGRAM, EXTEND_PROGRAM_CHECKED):
        if len(data) < 8:
            raise InstructionError("InvalidInstructionData")
        return tag, struct.unpack_from("<I", data, 4)
    if tag > EXTEND_PROGRAM_CHECKED:
        raise InstructionError("InvalidInstructionData")
    return tag, ()


def _check_accounts(context: TransactionContext, count: int) -> None:
    if len(context.frame.accounts) < count:
        raise InstructionError("MissingAccount")  # Agave 4 names a short account list so


def _check_sysvar(context: TransactionContext, position: int, sysvar: bytes) -> None:
    if context.key_of(position) != sysvar:
        raise InstructionError("InvalidArgument")


def _fail(context: TransactionContext, message: str, error: str):
    context.log_message(message)
    raise InstructionError(error)


def process(context: TransactionContext) -> None:
    """Run the current instruction (the upgradeable loader is on top of the stack)."""
    tag, arguments = _decode(context.frame.data)
    if tag == INITIALIZE_BUFFER:
        _check_accounts(context, 2)
        buffer = context.borrow(0)
        if get_state(buffer).kind != "Uninitialized":
            _fail(context, "Buffer account already initialized", "AccountAlreadyInitialized")
        set_state(buffer, State("Buffer", authority=context.key_of(1)))
    elif tag == WRITE:
        _write(context, *arguments)
    elif tag == DEPLOY_WITH_MAX_DATA_LEN:
        _deploy(context, *arguments)
    elif tag == UPGRADE:
        _upgrade(context)
    elif tag in (SET_AUTHORITY, SET_AUTHORITY_CHECKED):
        _set_authority(context, checked=tag == SET_AUTHORITY_CHECKED)
    elif tag == CLOSE:
        _close(context)
    elif tag == EXTEND_PROGRAM and not EXTEND_PROGRAM_CHECKED_ACTIVE:
        _extend(context, arguments[0], check_authority=False)
    elif tag == EXTEND_PROGRAM:
        _fail(context, "ExtendProgram was superseded by ExtendProgramChecked", "InvalidInstructionData")
    elif tag == EXTEND_PROGRAM_CHECKED and EXTEND_PROGRAM_CHECKED_ACTIVE:
        _extend(context, arguments[0], check_authority=True)
    else:  # ExtendProgramChecked and Migrate behind features LiteSVM does not activate
        raise InstructionError("InvalidInstructionData")


def _check_buffer_authority(context: TransactionContext, state: State, position: int) -> None:
    if state.authority is None:
        _fail(context, "Buffer is immutable", "Immutable")
    if state.authority != context.key_of(position):
        _fail(context, "Incorrect buffer authority provided", "IncorrectAuthority")
    if not context.is_signer(position):
        _fail(context, "Buffer authority did not sign", "MissingRequiredSignature")


def _write(context: TransactionContext, offset: int, payload: bytes) -> None:
    _check_accounts(context, 2)
    state = get_state(context.borrow(0))
    if state.kind != "Buffer":
        _fail(context, "Invalid Buffer account", "InvalidAccountData")
    _check_buffer_authority(context, state, 1)
    buffer = context.borrow(0)
    buffer.can_data_be_changed()
    start = BUFFER_METADATA_SIZE + offset
    if len(buffer.data) < start + len(payload):
        _fail(context, f"Write overflow: {len(buffer.data)} < {start + len(payload)}", "AccountDataTooSmall")
    buffer.data[start:start + len(payload)] = payload


def _check_deploying_authority(context: TransactionContext, buffer_state: State, authority: bytes,
                               position: int) -> None:
    if buffer_state.kind != "Buffer":
        _fail(context, "Invalid Buffer account", "InvalidArgument")
    if buffer_state.authority != authority:
        _fail(context, "Buffer and upgrade authority don't match", "IncorrectAuthority")
    if not context.is_signer(position):
        _fail(context, "Upgrade authority did not sign", "MissingRequiredSignature")


def _checked_buffer(context: TransactionContext, position: int, authority: bytes, authority_position: int):
    """The buffer to deploy from, its authority checked, and the length of the code it holds."""
    buffer = context.borrow(position)
    _check_deploying_authority(context, get_state(buffer), authority, authority_position)
    code_length = max(len(buffer.data) - BUFFER_METADATA_SIZE, 0)
    if len(buffer.data) < BUFFER_METADATA_SIZE or code_length == 0:
        _fail(context, "Buffer account too small", "InvalidAccountData")
    return buffer, code_length


def _sysvars_and_authority(context: TransactionContext, first_count: int, authority_position: int) -> bytes:
    """Deploy's and Upgrade's preamble: enough accounts, rent and clock at 4 and 5, the authority's key."""
    _check_accounts(context, first_count)
    _check_sysvar(context, 4, RENT)
    _check_sysvar(context, 5, CLOCK)
    _check_accounts(context, authority_position + 1)
    return context.key_of(authority_position)


def _deploy(context: TransactionContext, max_data_len: int) -> None:
    payer_key, programdata_key = context.key_of(0), context.key_of(1)
    authority = _sysvars_and_authority(context, 4, 7)
    rent, slot = context.rent, context.sysvars.clock.slot

    program = context.borrow(2)
    if get_state(program).kind != "Uninitialized":
        _fail(context, "Program account already initialized", "AccountAlreadyInitialized")
    if len(program.data) < PROGRAM_SIZE:
        _fail(context, "Program account too small", "AccountDataTooSmall")
    if program.lamports < rent.minimum_balance(len(program.data)):
        _fail(context, "Program account not rent-exempt", "ExecutableAccountNotRentExempt")
    program_key = program.key

    buffer, code_length = _checked_buffer(context, 3, authority, 7)
    buffer_key = buffer.key
    programdata_length = PROGRAMDATA_METADATA_SIZE + max_data_len
    if max_data_len < code_length:
        _fail(context, "Max data length is too small to hold Buffer data", "AccountDataTooSmall")
    if programdata_length > MAX_PERMITTED_DATA_LENGTH:
        _fail(context, "Max data length is too large", "InvalidArgument")

    from solders.pubkey import Pubkey

    derived, _ = Pubkey.find_program_address([program_key], Pubkey.from_bytes(BPF_LOADER_UPGRADEABLE))
    if bytes(derived) != programdata_key:
        _fail(context, "ProgramData address is not derived", "InvalidArgument")

    buffer, payer = context.borrow(3), context.borrow(0)  # drain the buffer to the payer first
    payer.checked_add_lamports(buffer.lamports)
    buffer.set_lamports(0)

    create = struct.pack("<IQQ", 0, max(1, rent.minimum_balance(programdata_length)), programdata_length)
    native_invoke(context, SYSTEM_PROGRAM, create + BPF_LOADER_UPGRADEABLE,
                  [(payer_key, True, True), (programdata_key, True, True), (buffer_key, False, True)],
                  {programdata_key})

    code = bytes(context.borrow(3).data[BUFFER_METADATA_SIZE:])
    deploy_check(context, code, program_key)

    programdata = context.borrow(1)
    set_state(programdata, State("ProgramData", authority=authority, slot=slot))
    programdata.data[PROGRAMDATA_METADATA_SIZE:PROGRAMDATA_METADATA_SIZE + len(code)] = code
    context.borrow(3).set_data_length(BUFFER_METADATA_SIZE)

    program = context.borrow(2)
    set_state(program, State("Program", programdata=programdata_key))
    set_executable(context, program)
    context.log_message(f"Deployed program {base58(program_key)}")


def _upgrade(context: TransactionContext) -> None:
    programdata_key = context.key_of(0)
    authority = _sysvars_and_authority(context, 3, 6)
    rent, slot = context.rent, context.sysvars.clock.slot

    program = context.borrow(1)
    if not program.is_writable:
        _fail(context, "Program account not writeable", "InvalidArgument")
    if program.owner != context.frame.program_id:
        _fail(context, "Program account not owned by loader", "IncorrectProgramId")
    state = get_state(program)
    if state.kind != "Program":
        _fail(context, "Invalid Program account", "InvalidAccountData")
    if state.programdata != programdata_key:
        _fail(context, "Program and ProgramData account mismatch", "InvalidArgument")
    program_key = program.key

    buffer, code_length = _checked_buffer(context, 2, authority, 6)
    buffer_lamports = buffer.lamports

    programdata = context.borrow(0)
    balance_required = max(1, rent.minimum_balance(len(programdata.data)))
    if len(programdata.data) < PROGRAMDATA_METADATA_SIZE + code_length:
        _fail(context, "ProgramData account not large enough", "AccountDataTooSmall")
    if programdata.lamports + buffer_lamports < balance_required:
        _fail(context, "Buffer account balance too low to fund upgrade", "InsufficientFunds")
    state = get_state(programdata)
    if state.kind != "ProgramData":
        _fail(context, "Invalid ProgramData account", "InvalidAccountData")
    if state.slot == slot:
        _fail(context, "Program was deployed in this block already", "InvalidArgument")
    if state.authority is None:
        _fail(context, "Program not upgradeable", "Immutable")
    if state.authority != authority:
        _fail(context, "Incorrect upgrade authority provided", "IncorrectAuthority")
    if not context.is_signer(6):
        _fail(context, "Upgrade authority did not sign", "MissingRequiredSignature")

    code = bytes(context.borrow(2).data[BUFFER_METADATA_SIZE:])
    deploy_check(context, code, program_key)

    programdata = context.borrow(0)
    set_state(programdata, State("ProgramData", authority=authority, slot=slot))
    end = PROGRAMDATA_METADATA_SIZE + len(code)
    programdata.data[PROGRAMDATA_METADATA_SIZE:end] = code
    programdata.data[end:] = bytes(len(programdata.data) - end)

    buffer, spill = context.borrow(2), context.borrow(3)
    spill.checked_add_lamports(max(programdata.lamports + buffer_lamports - balance_required, 0))
    buffer.set_lamports(0)
    programdata.set_lamports(balance_required)
    buffer.set_data_length(BUFFER_METADATA_SIZE)
    context.log_message(f"Upgraded program {base58(program_key)}")


def _set_authority(context: TransactionContext, checked: bool) -> None:
    _check_accounts(context, 3 if checked else 2)
    account = context.borrow(0)
    present = context.key_of(1)
    new = context.key_of(2) if checked or len(context.frame.accounts) > 2 else None
    state = get_state(account)
    if state.kind == "Buffer":
        if not checked and new is None:
            _fail(context, "Buffer authority is not optional", "IncorrectAuthority")
        if state.authority is None:
            _fail(context, "Buffer is immutable", "Immutable")
        if state.authority != present:
            _fail(context, "Incorrect buffer authority provided", "IncorrectAuthority")
        if not context.is_signer(1):
            _fail(context, "Buffer authority did not sign", "MissingRequiredSignature")
    elif state.kind == "ProgramData":
        if state.authority is None:
            _fail(context, "Program not upgradeable", "Immutable")
        if state.authority != present:
            _fail(context, "Incorrect upgrade authority provided", "IncorrectAuthority")
        if not context.is_signer(1):
            _fail(context, "Upgrade authority did not sign", "MissingRequiredSignature")
    else:
        _fail(context, "Account does not support authorities", "InvalidArgument")
    if checked and not context.is_signer(2):
        _fail(context, "New authority did not sign", "MissingRequiredSignature")
    set_state(account, State(state.kind, authority=new, slot=state.slot))
    shown = base58(new) if checked else (f"Some({base58(new)})" if new is not None else "None")
    context.log_message(f"New authority {shown}")


def _close(context: TransactionContext) -> None:
    _check_accounts(context, 2)
    frame = context.frame
    if frame.accounts[0].index_in_transaction == frame.accounts[1].index_in_transaction:
        _fail(context, "Recipient is the same as the account being closed", "InvalidArgument")
    account = context.borrow(0)
    close_key = account.key
    state = get_state(account)
    account.set_data_length(UNINITIALIZED_SIZE)
    if state.kind == "Uninitialized":
        context.borrow(1).checked_add_lamports(account.lamports)
        account.set_lamports(0)
        context.log_message(f"Closed Uninitialized {base58(close_key)}")
    elif state.kind == "Buffer":
        _check_accounts(context, 3)
        _close_with_authority(context, state.authority)
        context.log_message(f"Closed Buffer {base58(close_key)}")
    elif state.kind == "ProgramData":
        _check_accounts(context, 4)
        program = context.borrow(3)
        if not program.is_writable:
            _fail(context, "Program account is not writable", "InvalidArgument")
        if program.owner != frame.program_id:
            _fail(context, "Program account not owned by loader", "IncorrectProgramId")
        if context.sysvars.clock.slot == state.slot:
            _fail(context, "Program was deployed in this block already", "InvalidArgument")
        program_state = get_state(program)
        if program_state.kind != "Program":
            _fail(context, "Invalid Program account", "InvalidArgument")
        if program_state.programdata != close_key:
            _fail(context, "ProgramData account does not match ProgramData account", "InvalidArgument")
        _close_with_authority(context, state.authority)
        not_deployed_until_next_slot(context, program.key)
        context.log_message(f"Closed Program {base58(program.key)}")
    else:
        _fail(context, "Account does not support closing", "InvalidArgument")


def _close_with_authority(context: TransactionContext, authority: bytes | None) -> None:
    if authority is None:
        _fail(context, "Account is immutable", "Immutable")
    if authority != context.key_of(2):
        _fail(context, "Incorrect authority provided", "IncorrectAuthority")
    if not context.is_signer(2):
        _fail(context, "Authority did not sign", "MissingRequiredSignature")
    account, recipient = context.borrow(0), context.borrow(1)
    recipient.checked_add_lamports(account.lamports)
    account.set_lamports(0)
    set_state(account, State("Uninitialized"))


def _extend(context: TransactionContext, additional_bytes: int, check_authority: bool) -> None:
    payer_position = 4 if check_authority else 3
    if additional_bytes == 0:
        _fail(context, "Additional bytes must be greater than 0", "InvalidInstructionData")
    programdata = context.borrow(0)
    programdata_key = programdata.key
    loader_id = context.frame.program_id
    if programdata.owner != loader_id:
        _fail(context, "ProgramData owner is invalid", "InvalidAccountOwner")
    if not programdata.is_writable:
        _fail(context, "ProgramData is not writable", "InvalidArgument")
    program = context.borrow(1)
    if not program.is_writable:
        _fail(context, "Program account is not writable", "InvalidArgument")
    if program.owner != loader_id:
        _fail(context, "Program account not owned by loader", "InvalidAccountOwner")
    program_key = program.key
    program_state = get_state(program)
    if program_state.kind != "Program":
        _fail(context, "Invalid Program account", "InvalidAccountData")
    if program_state.programdata != programdata_key:
        _fail(context, "Program account does not match ProgramData account", "InvalidArgument")
    new_length = len(programdata.data) + additional_bytes
    if new_length > MAX_PERMITTED_DATA_LENGTH:
        _fail(context, f"Extended ProgramData length of {new_length} bytes exceeds max account data length of "
                       f"{MAX_PERMITTED_DATA_LENGTH} bytes", "InvalidRealloc")
    if additional_bytes < MINIMUM_EXTEND_PROGRAM_BYTES and new_length != MAX_PERMITTED_DATA_LENGTH:
        _fail(context, f"ExtendProgram requires a minimum of {MINIMUM_EXTEND_PROGRAM_BYTES} additional bytes or "
                       f"to extend to maximum size, but only {additional_bytes} were requested", "InvalidArgument")
    slot = context.sysvars.clock.slot
    state = get_state(programdata)
    if state.kind != "ProgramData":
        _fail(context, "ProgramData state is invalid", "InvalidAccountData")
    if state.slot == slot:
        _fail(context, "Program was extended in this block already", "InvalidArgument")
    if state.authority is None:
        _fail(context, "Cannot extend ProgramData accounts that are not upgradeable", "Immutable")
    if check_authority:
        if state.authority != context.key_of(2):
            _fail(context, "Incorrect upgrade authority provided", "IncorrectAuthority")
        if not context.is_signer(2):
            _fail(context, "Upgrade authority did not sign", "MissingRequiredSignature")
    required = max(0, max(context.rent.minimum_balance(new_length), 1) - programdata.lamports)
    if required > 0:
        payer_key = context.key_of(payer_position)
        native_invoke(context, SYSTEM_PROGRAM, struct.pack("<IQ", 2, required),
                      [(payer_key, True, True), (programdata_key, False, True)], set())
    programdata = context.borrow(0)
    programdata.set_data_length(new_length)
    deploy_check(context, bytes(programdata.data[PROGRAMDATA_METADATA_SIZE:]), program_key)
    set_state(context.borrow(0), State("ProgramData", authority=state.authority, slot=slot))
    context.log_message(f"Extended ProgramData account by {additional_bytes} bytes")


# -- helpers shared with the runtime ---------------------------------------------------------------

def native_invoke(context: TransactionContext, program_id: bytes, data: bytes, metas, signers: set[bytes]) -> None:
    """A builtin invoking another program (InvokeContext::native_invoke): the CPI privilege checks, then
    the callee on the same meter, without the CPI syscall's costs."""
    from jitvm.svm.cpi import _prepare_instruction
    from jitvm.svm.invoke import process_instruction

    accounts, program_index = _prepare_instruction(context, metas, program_id, signers)
    process_instruction(context, program_index, accounts, data)


def not_deployed_until_next_slot(context: TransactionContext, program_key: bytes) -> None:
    """Agave's program cache shows a program deployed, upgraded, extended or closed in this transaction
    as "not deployed" (a delay-visibility entry or a tombstone) to the rest of the transaction."""
    if not hasattr(context, "programs_not_deployed"):
        context.programs_not_deployed = set()
    context.programs_not_deployed.add(program_key)


def deploy_check(context: TransactionContext, code: bytes, program_key: bytes) -> None:
    """Load and verify `code` as a deployment does; a rejected ELF logs why and is InvalidAccountData."""
    from jitvm.bpf import load_elf
    from jitvm.errors import InputError

    try:
        program = load_elf(code, "program", syscalls=_deployment_registry(context.programs.host.registry),
                           reject_broken_elfs=True)
        program.decoded  # noqa: B018 - runs the verifier
    except InputError as error:
        context.log_message(agave_elf_error_text(error))
        raise InstructionError("InvalidAccountData") from None
    not_deployed_until_next_slot(context, program_key)


# solana-sbpf's Display of the ElfParserError / ElfError variants jitvm's loader names by kind.
_PARSER_ERROR_TEXT = {
    "InvalidFileHeader": "invalid file header", "InvalidProgramHeader": "invalid program header",
    "InvalidSectionHeader": "invalid section header", "InvalidString": "invalid string",
    "InvalidSize": "invalid size", "SectionNotInOrder": "sections not in ascending order", "Overlap": "values overlap",
    "NoSectionNameStringTable": "no section name string table found",
    "InvalidDynamicSectionTable": "invalid dynamic section table",
    "InvalidRelocationTable": "invalid relocation table", "InvalidAlignment": "invalid alignment",
    "NoStringTable": "no string table", "NoDynamicStringTable": "no dynamic string table",
    "OutOfBounds": "value out of bounds",
}
_ELF_ERROR_TEXT = {
    "EntrypointOutOfBounds": "Entrypoint out of bounds", "InvalidEntrypoint": "Invalid entrypoint",
    "WrongEndianess": "Incompatible ELF: wrong endianess", "WrongAbi": "Incompatible ELF: wrong ABI",
    "WrongMachine": "Incompatible ELF: wrong machine", "WrongClass": "Incompatible ELF: wrong class",
    "ValueOutOfBounds": "Offset or value is out of bounds",
    "UnsupportedSBPFVersion": "Detected sbpf_version required by the executable which are not enabled",
    "NotOneTextSection": "Multiple or no text sections, consider removing llc option: -function-sections",
    "WrongType": "Incompatible ELF: wrong type", "InvalidProgramHeader": "Invalid ELF program header",
    "FailedToReadRelocationInfo": "Failed to read relocation info",
}


def agave_elf_error_text(error) -> str:
    """The line Agave logs for an ELF a deployment rejects, where jitvm knows Agave's wording; otherwise
    jitvm's own description (the kind, then the problem)."""
    text = str(error).split(": ", 1)[-1]
    kind = getattr(error, "kind", None)
    unresolved = re.search(r"'(.*)' at instruction (\d+) \(offset (0x[0-9a-f]+)\)", text)
    relocation = re.search(r"relocation type (\d+)", text)
    if kind == "UnknownRelocation" and relocation:
        return f"Relocation failed, unknown type {relocation.group(1)}"
    if kind == "UnresolvedSymbol" and unresolved:
        name, instruction, offset = unresolved.groups()
        return f"Unresolved symbol ({name}) at instruction #{instruction} (ELF file offset {offset})"
    if kind == "FailedToParse":
        parser_kind = text.split(": ", 2)[1] if text.count(": ") >= 1 else ""
        if parser_kind in _PARSER_ERROR_TEXT:
            return f"Failed to parse ELF file: {_PARSER_ERROR_TEXT[parser_kind]}"
    return _ELF_ERROR_TEXT.get(kind, text)


_DEPLOYMENT_REGISTRIES: dict[int, tuple[object, object]] = {}


def _deployment_registry(registry):
    """The runtime's syscalls without sol_alloc_free_, which deployments may no longer use."""
    cached = _DEPLOYMENT_REGISTRIES.get(id(registry))
    if cached is None or cached[0] is not registry:
        from jitvm.bpf.helpers import HelperRegistry

        helpers = [registry.get(key) for key, name in registry.names().items() if name != "sol_alloc_free_"]
        cached = _DEPLOYMENT_REGISTRIES[id(registry)] = (registry, HelperRegistry(helpers))
    return cached[1]
