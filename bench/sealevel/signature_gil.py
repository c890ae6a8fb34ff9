"""Does a transaction's signature check hold the GIL? solders' `verify_with_results` against
jitvm.svm.signatures (libsodium through cffi), measured so that machine load does not matter.

With the switch interval at 10 s the interpreter never takes the GIL from a running thread: the main
thread, after starting a worker that checks `--checks` signatures, runs again only when the worker
releases the GIL by itself. So "resumed after" near the worker's whole time means the check holds the
GIL; near zero means it releases it (and other threads' Python can run beside it).

    python bench/sealevel/signature_gil.py [--checks 300]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solders.hash import Hash  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.system_program import TransferParams, transfer  # noqa: E402
from solders.transaction import Transaction  # noqa: E402

from jitvm.svm.signatures import transaction_verified  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args()
    payer = Keypair()
    message = Message([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(),
                                               lamports=1))], payer.pubkey())
    transaction = Transaction([payer], message, Hash.default())
    keys = [bytes(key) for key in message.account_keys]
    checks = {"solders verify_with_results": lambda: all(transaction.verify_with_results()),
              "jitvm.svm.signatures": lambda: transaction_verified(transaction, message, keys, release_gil=True)}
    sys.setswitchinterval(10.0)
    for name, check in checks.items():
        assert check()

        def worker(check=check):
            for _ in range(args.checks):
                check()

        thread = threading.Thread(target=worker)
        started = time.perf_counter()
        thread.start()
        resumed = time.perf_counter()
        thread.join()
        ended = time.perf_counter()
        print(f"{name:28} {1e6 * (ended - started) / args.checks:6.1f} us a check; the main thread resumed after "
              f"{1e3 * (resumed - started):6.1f} ms of the worker's {1e3 * (ended - started):6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
