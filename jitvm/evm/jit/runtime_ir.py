"""The fixed LLVM IR every module of the EVM JIT carries: small functions the generated blocks call
(codegen.py), and the branch-weight metadata its checks use."""

# SHL, SHR, SAR, BYTE and SIGNEXTEND by an amount known only at run time: (amount, value) -> result.
VARIABLE_SHIFTS = """
define internal i256 @evm_shl(i256 %shift, i256 %value) noinline {
  %inside = icmp ult i256 %shift, 256
  %shifted = shl i256 %value, %shift
  %result = select i1 %inside, i256 %shifted, i256 0
  ret i256 %result
}
define internal i256 @evm_shr(i256 %shift, i256 %value) noinline {
  %inside = icmp ult i256 %shift, 256
  %shifted = lshr i256 %value, %shift
  %result = select i1 %inside, i256 %shifted, i256 0
  ret i256 %result
}
define internal i256 @evm_sar(i256 %shift, i256 %value) noinline {
  %inside = icmp ult i256 %shift, 256
  %amount = select i1 %inside, i256 %shift, i256 255
  %result = ashr i256 %value, %amount
  ret i256 %result
}
define internal i256 @evm_byte(i256 %index, i256 %value) noinline {
  %inside = icmp ult i256 %index, 32
  %bits = shl i256 %index, 3
  %amount = sub i256 248, %bits
  %shifted = lshr i256 %value, %amount
  %picked = and i256 %shifted, 255
  %result = select i1 %inside, i256 %picked, i256 0
  ret i256 %result
}
define internal i256 @evm_signextend(i256 %size, i256 %value) noinline {
  %inside = icmp ult i256 %size, 31
  %bits = shl i256 %size, 3
  %amount = sub i256 248, %bits
  %high = shl i256 %value, %amount
  %extended = ashr i256 %high, %amount
  %result = select i1 %inside, i256 %extended, i256 %value
  ret i256 %result
}
"""

# The functions above, as every module defines them (jitvm.fuzz.jit_batch shares one copy per group).
FUNCTIONS = (VARIABLE_SHIFTS,)

METADATA = """
!1 = !{!"branch_weights", i32 1, i32 2000}
!2 = !{!"branch_weights", i32 2000, i32 1}
"""
