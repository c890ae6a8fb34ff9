"""The EVM JIT: block analysis (analysis.py), LLVM IR (codegen.py), compile and cache (compile.py) and
the engine that runs compiled blocks with the baseline kernel for the rest (engine.py)."""
