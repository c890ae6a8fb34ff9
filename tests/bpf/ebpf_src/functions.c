/* Several functions in .text calling one another (global ones through relocations against their
   symbols, the static one through the section symbol or directly); no recursion. */
typedef unsigned long long u64;

__attribute__((noinline)) u64 rotate(u64 x, u64 n) {
    return (x << n) | (x >> (64 - n));
}

__attribute__((noinline)) u64 step(u64 h, u64 w) {
    return rotate(h ^ w, 13) * 5 + 0xe6546b64;
}

static __attribute__((noinline)) u64 finish(u64 h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

__attribute__((section("xdp"), used))
u64 entry(unsigned char *data, u64 length) {
    u64 h = length;
    for (u64 i = 0; i < length; i++)
        h = step(h, data[i]);
    return finish(rotate(h, 7));
}
