"""The Solana runtime (SVM) on jitvm's sBPF engines: accounts, legacy transactions, fees, the System
and Compute Budget programs, the BPF loaders (v1, v2, upgradeable) with Agave's input serialization,
syscalls and cross-program invocation, and Agave's logs and errors. See docs/svm.md.

    from jitvm.svm import SVM
    svm = SVM(engine="jit")
    result = svm.send_transaction(tx)    # result.err (Rust Debug via str), result.meta.logs, ...
"""

from jitvm.svm.accounts import Account
from jitvm.svm.bank import SVM, TransactionMetadata, TransactionResult
from jitvm.svm.errors import InstructionError, TransactionError

__all__ = ["SVM", "Account", "InstructionError", "TransactionError", "TransactionMetadata", "TransactionResult"]
