"""The fixed LLVM IR every module of the EVM JIT carries: small functions the generated blocks call
(codegen.py), and the branch-weight metadata its checks use."""

from jitvm.evm.baseline import layout as L


def _signed(value: int) -> int:
    """A 64-bit constant as LLVM writes it."""
    return value - (1 << 64) if value >> 63 else value


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

# The storage cache's lookup (kernel.cache_find): the row holding the value of slot `key`, or null
# when the slot is not cached (the kernel's SLOAD then asks the host) or is COLD (the kernel's SLOAD
# charges the cold access and warms it).
CACHED_SLOT = f"""
define internal ptr @evm_cached_slot(ptr %words, ptr %control, i256 %key) noinline {{
entry:
  %k0 = trunc i256 %key to i64
  %s1 = lshr i256 %key, 64
  %k1 = trunc i256 %s1 to i64
  %s2 = lshr i256 %key, 128
  %k2 = trunc i256 %s2 to i64
  %s3 = lshr i256 %key, 192
  %k3 = trunc i256 %s3 to i64
  %x01 = xor i64 %k0, %k1
  %x23 = xor i64 %k2, %k3
  %x = xor i64 %x01, %x23
  %product = mul i64 %x, {_signed(L.CACHE_HASH_MULTIPLIER)}
  %home = lshr i64 %product, {L.CACHE_HASH_SHIFT}
  br label %probe
probe:
  %count = phi i64 [ 0, %entry ], [ %next, %other ]
  %sum = add i64 %home, %count
  %slot = and i64 %sum, {L.CACHE_SLOTS - 1}
  %use.i = add i64 %slot, {L.CACHE_USE * 256}
  %use.p = getelementptr inbounds i64, ptr %control, i64 %use.i
  %use = load i64, ptr %use.p
  %empty = icmp eq i64 %use, 0
  br i1 %empty, label %missing, label %compare
compare:
  %key.i = add i64 %slot, {L.CACHE_KEYS}
  %key.p = getelementptr inbounds i256, ptr %words, i64 %key.i
  %cached = load i256, ptr %key.p, align 8
  %same = icmp eq i256 %cached, %key
  br i1 %same, label %found, label %other
other:
  %next = add i64 %count, 1
  %more = icmp ult i64 %next, {L.CACHE_SLOTS}
  br i1 %more, label %probe, label %missing
found:
  %cold = icmp eq i64 %use, {L.SLOT_COLD}
  br i1 %cold, label %missing, label %warm
warm:
  %value.i = add i64 %slot, {L.CACHE_VALUES}
  %value.p = getelementptr inbounds i256, ptr %words, i64 %value.i
  ret ptr %value.p
missing:
  ret ptr null
}}
"""

METADATA = """
!1 = !{!"branch_weights", i32 1, i32 2000}
!2 = !{!"branch_weights", i32 2000, i32 1}
"""
