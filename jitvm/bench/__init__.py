"""Benchmarks of the engines and their peers, as `jitvm bench` runs them.

The pieces, in the order a run uses them:

- `workloads`: the cases to run (bundled EVM benchmark contracts and BPF programs, or a user's
  workload file read by `userfile`), each with the answer it must give.
- `runners`: one runner per engine (jitvm's own, from the EVM and BPF registries) and per peer
  (`peers`: pyrevm and py-evm); a runner prepares a call (untimed) and makes it (timed).
- `harness`: verifies every runner's answer before anything is timed, warms up, then times runs
  interleaved across runners so that they share the machine's conditions.
- `results`: what was measured, as data and as JSON (`results.schema.json`, checked by `schema`).
- `report` (rich tables and progress), `plot` (matplotlib) and `compare` (the regression gate).
"""
