"""Errors of the Solana runtime, named and worded as Agave names them.

`InstructionError` and `TransactionError` print in Rust's Debug form (`InstructionError(0, Custom(1))`,
`InsufficientFundsForRent { account_index: 0 }`), which is how LiteSVM reports them; `message()` is
the Display text Agave writes into "Program X failed: ..." log lines.
"""

from __future__ import annotations

# InstructionError variant -> Display text (solana-instruction-error's thiserror messages).
INSTRUCTION_ERROR_MESSAGES = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "UnbalancedInstruction": "sum of account balances before and after instruction do not match",
    "ModifiedProgramId": "instruction illegally modified the program id of an account",
    "ExternalAccountLamportSpend": "instruction spent from the balance of an account it does not own",
    "ExternalAccountDataModified": "instruction modified data of an account it does not own",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
    "DuplicateAccountIndex": "instruction contains duplicate accounts",
    "ExecutableModified": "instruction changed executable bit of an account",
    "RentEpochModified": "instruction modified rent epoch of an account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "AccountDataSizeChanged": "program other than the account's owner changed the size of the account data",
    "AccountNotExecutable": "instruction expected an executable account",
    "AccountBorrowFailed": "instruction tries to borrow reference for an account which is already borrowed",
    "AccountBorrowOutstanding": "instruction left account with an outstanding borrowed reference",
    "DuplicateAccountOutOfSync": "instruction modifications of multiply-passed account differ",
    "InvalidError": "program returned invalid error code",
    "ExecutableDataModified": "instruction changed executable accounts data",
    "ExecutableLamportChange": "instruction changed the balance of an executable account",
    "ExecutableAccountNotRentExempt": "executable accounts must be rent exempt",
    "UnsupportedProgramId": "Unsupported program id",
    "CallDepth": "Cross-program invocation call depth too deep",
    "MissingAccount": "An account required by the instruction is missing",
    "ReentrancyNotAllowed": "Cross-program invocation reentrancy not allowed for this instruction",
    "MaxSeedLengthExceeded": "Length of the seed is too long for address generation",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "InvalidRealloc": "Failed to reallocate account data",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "PrivilegeEscalation": "Cross-program invocation with unauthorized signer or writable account",
    "ProgramEnvironmentSetupFailure": "Failed to create program execution environment",
    "ProgramFailedToComplete": "Program failed to complete",
    "ProgramFailedToCompile": "Program failed to compile",
    "Immutable": "Account is immutable",
    "IncorrectAuthority": "Incorrect authority provided",
    "BorshIoError": "Failed to serialize or deserialize account data",
    "AccountNotRentExempt": "An account does not have enough lamports to be rent-exempt",
    "InvalidAccountOwner": "Invalid account owner",
    "ArithmeticOverflow": "Program arithmetic overflowed",
    "UnsupportedSysvar": "Unsupported sysvar",
    "IllegalOwner": "Provided owner is not allowed",
    "MaxAccountsDataAllocationsExceeded": "Accounts data allocations exceeded the maximum allowed per transaction",
    "MaxAccountsExceeded": "Max accounts exceeded",
    "MaxInstructionTraceLengthExceeded": "Max instruction trace length exceeded",
    "BuiltinProgramsMustConsumeComputeUnits": "Builtin programs must consume compute units",
}

# The builtin errors a program can return in r0: variant index << 32 (solana-program-error).
_BUILTIN_ERROR_SHIFT = 32
_RETURN_CODES = {
    1: "Custom(0)", 2: "InvalidArgument", 3: "InvalidInstructionData", 4: "InvalidAccountData",
    5: "AccountDataTooSmall", 6: "InsufficientFunds", 7: "IncorrectProgramId", 8: "MissingRequiredSignature",
    9: "AccountAlreadyInitialized", 10: "UninitializedAccount", 11: "NotEnoughAccountKeys",
    12: "AccountBorrowFailed", 13: "MaxSeedLengthExceeded", 14: "InvalidSeeds", 15: "BorshIoError",
    16: "AccountNotRentExempt", 17: "UnsupportedSysvar", 18: "IllegalOwner",
    19: "MaxAccountsDataAllocationsExceeded", 20: "InvalidRealloc", 21: "MaxInstructionTraceLengthExceeded",
    22: "BuiltinProgramsMustConsumeComputeUnits", 23: "InvalidAccountOwner", 24: "ArithmeticOverflow",
    25: "Immutable", 26: "IncorrectAuthority",
}


class InstructionError(Exception):
    """One of Agave's InstructionError variants; `custom` holds the code of `Custom(n)`."""

    def __init__(self, kind: str, custom: int | None = None):
        if kind != "Custom" and kind not in INSTRUCTION_ERROR_MESSAGES:
            raise ValueError(f"unknown InstructionError {kind!r}")
        self.kind = kind
        self.custom = custom
        super().__init__(self.debug())

    @classmethod
    def custom_error(cls, code: int) -> InstructionError:
        return cls("Custom", code)

    @classmethod
    def from_return_code(cls, r0: int) -> InstructionError:
        """What a program's non-zero r0 means (solana-instruction-error's `From<u64>`)."""
        if r0 >> _BUILTIN_ERROR_SHIFT == 0:
            return cls.custom_error(r0)
        name = _RETURN_CODES.get(r0 >> _BUILTIN_ERROR_SHIFT) if r0 & 0xFFFFFFFF == 0 else None
        if name is None:
            return cls("InvalidError")
        return cls.custom_error(0) if name == "Custom(0)" else cls(name)

    def debug(self) -> str:
        return f"Custom({self.custom})" if self.kind == "Custom" else self.kind

    def message(self) -> str:
        if self.kind == "Custom":
            return f"custom program error: {self.custom:#x}"
        return INSTRUCTION_ERROR_MESSAGES[self.kind]

    def __eq__(self, other):
        return isinstance(other, InstructionError) and (self.kind, self.custom) == (other.kind, other.custom)

    def __reduce__(self):  # pickled whole (Sealevel's worker processes send outcomes back)
        return InstructionError, (self.kind, self.custom)

    def __hash__(self):
        return hash((self.kind, self.custom))


class TransactionError(Exception):
    """A transaction-level error: a bare variant (`BlockhashNotFound`), an instruction's error, or a
    variant with fields; `debug()` is its Rust Debug text."""

    def __init__(self, kind: str, *, index: int | None = None, instruction_error: InstructionError | None = None,
                 account_index: int | None = None):
        self.kind = kind
        self.index = index
        self.instruction_error = instruction_error
        self.account_index = account_index
        super().__init__(self.debug())

    @classmethod
    def instruction(cls, index: int, error: InstructionError) -> TransactionError:
        return cls("InstructionError", index=index, instruction_error=error)

    def debug(self) -> str:
        if self.kind == "InstructionError":
            return f"InstructionError({self.index}, {self.instruction_error.debug()})"
        if self.kind in ("InsufficientFundsForRent", "ProgramExecutionTemporarilyRestricted"):
            return f"{self.kind} {{ account_index: {self.account_index} }}"
        if self.kind == "DuplicateInstruction":
            return f"DuplicateInstruction({self.index})"
        return self.kind

    def __eq__(self, other):
        return isinstance(other, TransactionError) and self.debug() == other.debug()

    def __reduce__(self):  # pickled whole (Sealevel's worker processes send outcomes back)
        return _transaction_error, (self.kind, self.index, self.instruction_error, self.account_index)

    def __hash__(self):
        return hash(self.debug())


def _transaction_error(kind, index, instruction_error, account_index) -> TransactionError:
    return TransactionError(kind, index=index, instruction_error=instruction_error, account_index=account_index)


class SyscallError(Exception):
    """A syscall failed with an error that is not an InstructionError (Agave's SyscallError and the VM's
    own errors raised inside a syscall); the text is what Agave logs after "failed: "."""
