"""Run an eBPF program that calls a helper you provide, then an sBPF program that logs.

    python examples/bpf_custom_helper.py
"""

from jitvm.bpf import Program, default_ebpf_helpers, default_syscalls, run, syscall_key

# eBPF: helper 42 reads a 64-bit value at r1 and returns it squared (mod 2**64).
helpers = default_ebpf_helpers()


@helpers.register(42, "square_at")
def square_at(context, address, *_unused):
    value = int.from_bytes(context.read(address, 8), "little")
    return value * value % 2**64


program = Program.from_assembly("""
    call 42          # r1 already points at the input
    exit
""")
result = run(program, (12).to_bytes(8, "little"), helpers=helpers)
print(f"eBPF: r0 = {result.r0} after {result.instructions} instructions")

# sBPF v0: log the input through sol_log_, metered in compute units.
log = syscall_key("sol_log_")
program = Program.from_assembly(f"""
    mov %r2, 5
    call {log:#x}
    mov %r0, 0
    exit
""", profile="sbpf-v0")
result = run(program, b"hello", helpers=default_syscalls())
print(f"sBPF: {result.logs}, {result.compute_units} compute units")
