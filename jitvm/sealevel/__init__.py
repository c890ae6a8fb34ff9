"""Sealevel: Solana transactions in parallel.

Every transaction declares the accounts it reads and writes, so transactions that share no written
account can run at the same time. This package holds the pieces around jitvm.svm's runtime:

- `cost`: Agave's cost model and the scheduler's priority (reward per unit of cost);
- `locks`: account locks (many readers or one writer);
- `scheduler`: block production in the style of Agave's central scheduler (a priority graph over a
  look-ahead window, block and per-account limits, batches per worker);
- `replay`: a validator's replay of a ledger on N threads, identical to running it in order;
- `feemarket`: a simulator of global (EIP-1559 style) against local (per-account) fee markets.
"""
