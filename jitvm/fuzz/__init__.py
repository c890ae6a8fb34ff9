"""Differential fuzzing as a command (`jitvm fuzz evm|bpf`).

Random programs, biased towards valid ones, run on every jitvm engine and on the peers; any
difference is a mismatch, shrunk by delta debugging to a small reproducer file that `jitvm statetest`
(EVM) or `jitvm bpf run` (BPF) replays.

- `evm_programs`: random EVM contracts and a transaction calling them.
- `evm_check`: one case on every engine and on pyrevm; what each leaves behind, compared.
- `bpf_programs`, `bpf_check`: the same for BPF programs (valid by construction, and mutated words
  the verifier must reject or the engines must agree on).
- `shrink`: delta debugging over a case's pieces.
- `reproducers`: the files a mismatch is written to.
- `campaign`: seeds -> batches of cases, run locally or on a Dask cluster, and the tally.
"""
