"""The compiler-rt / libgcc helpers LLVM calls for 128-bit division, and where to find them.

LLVM lowers `udiv/urem/sdiv/srem i128` on x86-64 to calls to __udivti3, __umodti3, __divti3 and
__modti3. Nothing in a JIT-linked object defines them, and a symbol the JIT cannot resolve is fatal
(MCJIT jumps to address 0; LLJIT refuses to link). So before linking anything the engine resolves
them: from the process if it already has them, else from libgcc_s (always present with glibc),
else from `FALLBACK_IR` below, our own implementation compiled into the JIT.
"""

import ctypes
import ctypes.util

import llvmlite.binding as llvm

DIVISION_SIGNATURES: dict[str, str] = {
    "__udivti3": "i128 (i128, i128)",
    "__umodti3": "i128 (i128, i128)",
    "__divti3": "i128 (i128, i128)",
    "__modti3": "i128 (i128, i128)",
}


def _loaded_libgcc() -> bool:
    path = ctypes.util.find_library("gcc_s")
    if path is None:
        return False
    try:
        llvm.load_library_permanently(path)
    except RuntimeError:
        return False
    return True


def _address_in_process(name: str) -> int | None:
    # llvmlite 0.50 rejects load_library_permanently(None), so the process itself is asked via dlsym.
    function = getattr(ctypes.CDLL(None), name, None)
    return ctypes.cast(function, ctypes.c_void_p).value if function is not None else None


def find_native(name: str) -> int | None:
    """Address of a native `name` (LLVM's symbol search, then libgcc_s, then the process) or None."""
    address = llvm.address_of_symbol(name)
    if address is None and _loaded_libgcc():
        address = llvm.address_of_symbol(name)
    return address or _address_in_process(name)


# Binary long division over i128 that never divides an i128 itself (that would call back into the
# symbols it defines). The fast paths cover the usual cases, divisor larger than the dividend and
# both operands fitting 64 bits (one native divide), and the one the loop cannot: a divisor of 2^127
# or more. Division by zero is undefined in LLVM IR; here
# it gives quotient all-ones and remainder the dividend.
FALLBACK_IR = r"""
define internal { i128, i128 } @jitvm_udivmod128(i128 %n, i128 %d) {
entry:
  %divisor_larger = icmp ugt i128 %d, %n
  br i1 %divisor_larger, label %zero_quotient, label %check_top_bit

zero_quotient:
  %r0 = insertvalue { i128, i128 } { i128 0, i128 undef }, i128 %n, 1
  ret { i128, i128 } %r0

check_top_bit:
  ; d >= 2^127 and d <= n: the quotient is 1 (and the loop below could not shift the remainder)
  %d_top = icmp slt i128 %d, 0
  br i1 %d_top, label %one_quotient, label %check_narrow

one_quotient:
  %n_minus_d = sub i128 %n, %d
  %r1 = insertvalue { i128, i128 } { i128 1, i128 undef }, i128 %n_minus_d, 1
  ret { i128, i128 } %r1

check_narrow:
  %both = or i128 %n, %d
  %wide = icmp ugt i128 %both, 18446744073709551615
  %d_zero = icmp eq i128 %d, 0
  %slow = or i1 %wide, %d_zero
  br i1 %slow, label %long_division, label %narrow

narrow:
  %n64 = trunc i128 %n to i64
  %d64 = trunc i128 %d to i64
  %q64 = udiv i64 %n64, %d64
  %m64 = urem i64 %n64, %d64
  %q64w = zext i64 %q64 to i128
  %m64w = zext i64 %m64 to i128
  %rn0 = insertvalue { i128, i128 } undef, i128 %q64w, 0
  %rn1 = insertvalue { i128, i128 } %rn0, i128 %m64w, 1
  ret { i128, i128 } %rn1

long_division:
  %bit = phi i128 [ 127, %check_narrow ], [ %next_bit, %step ]
  %quotient = phi i128 [ 0, %check_narrow ], [ %quotient_next, %step ]
  %remainder = phi i128 [ 0, %check_narrow ], [ %remainder_next, %step ]
  %shifted = shl i128 %remainder, 1
  %n_shifted = lshr i128 %n, %bit
  %n_bit = and i128 %n_shifted, 1
  %candidate = or i128 %shifted, %n_bit
  %fits = icmp uge i128 %candidate, %d
  %reduced = sub i128 %candidate, %d
  %remainder_next = select i1 %fits, i128 %reduced, i128 %candidate
  %quotient_bit = shl i128 1, %bit
  %with_bit = or i128 %quotient, %quotient_bit
  %quotient_next = select i1 %fits, i128 %with_bit, i128 %quotient
  br label %step

step:
  %next_bit = sub i128 %bit, 1
  %more = icmp ne i128 %bit, 0
  br i1 %more, label %long_division, label %done

done:
  %rd0 = insertvalue { i128, i128 } undef, i128 %quotient_next, 0
  %rd1 = insertvalue { i128, i128 } %rd0, i128 %remainder_next, 1
  ret { i128, i128 } %rd1
}

define internal i128 @jitvm_abs128(i128 %x) {
  %negative = icmp slt i128 %x, 0
  %negated = sub i128 0, %x
  %abs = select i1 %negative, i128 %negated, i128 %x
  ret i128 %abs
}

define i128 @__udivti3(i128 %n, i128 %d) {
  %qr = call { i128, i128 } @jitvm_udivmod128(i128 %n, i128 %d)
  %q = extractvalue { i128, i128 } %qr, 0
  ret i128 %q
}

define i128 @__umodti3(i128 %n, i128 %d) {
  %qr = call { i128, i128 } @jitvm_udivmod128(i128 %n, i128 %d)
  %r = extractvalue { i128, i128 } %qr, 1
  ret i128 %r
}

define i128 @__divti3(i128 %n, i128 %d) {
  %an = call i128 @jitvm_abs128(i128 %n)
  %ad = call i128 @jitvm_abs128(i128 %d)
  %qr = call { i128, i128 } @jitvm_udivmod128(i128 %an, i128 %ad)
  %q = extractvalue { i128, i128 } %qr, 0
  %signs = xor i128 %n, %d
  %negative = icmp slt i128 %signs, 0
  %negated = sub i128 0, %q
  %result = select i1 %negative, i128 %negated, i128 %q
  ret i128 %result
}

define i128 @__modti3(i128 %n, i128 %d) {
  %an = call i128 @jitvm_abs128(i128 %n)
  %ad = call i128 @jitvm_abs128(i128 %d)
  %qr = call { i128, i128 } @jitvm_udivmod128(i128 %an, i128 %ad)
  %r = extractvalue { i128, i128 } %qr, 1
  %negative = icmp slt i128 %n, 0
  %negated = sub i128 0, %r
  %result = select i1 %negative, i128 %negated, i128 %r
  ret i128 %result
}
"""


def resolve_division_helpers(load_fallback, *, prefer_fallback: bool = False) -> dict[str, int]:
    """Name → address for every symbol in DIVISION_SIGNATURES.

    Native implementations are preferred; the ones not found are taken from FALLBACK_IR, which
    `load_fallback(ir_text, names)` compiles and links, returning name → address. `prefer_fallback`
    skips the native search (tests use it to check the fallback against Python integers).
    """
    found = {} if prefer_fallback else {name: find_native(name) for name in DIVISION_SIGNATURES}
    missing = [name for name in DIVISION_SIGNATURES if not found.get(name)]
    resolved = {name: address for name, address in found.items() if address}
    if missing:
        resolved.update(load_fallback(FALLBACK_IR, missing))
    return resolved
