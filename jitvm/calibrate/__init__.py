"""`jitvm calibrate`: what an instruction costs in nanoseconds against what it costs in gas.

For each VM (the EVM on each engine, sBPF, Wasm), every instruction the tables describe is timed in a
generated loop beside the same loop without it, so the difference is that instruction alone; the gas
it charged comes from running it, not from the table. Real workloads (the bundled benchmarks, the
MultiversX scenarios) are timed too and fitted as time against gas. The report says, per VM, how many
nanoseconds one unit of gas buys, which instructions are the most underpriced for their time (the
denial-of-service candidates), and how far each schedule is from "1 gas = 1 ns".
"""

from jitvm.calibrate.measure import Measurement  # noqa: F401
