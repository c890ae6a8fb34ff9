/* The entry in its own section calls a function in .text: clang leaves the call as an
   R_BPF_64_32 relocation against the .text section symbol. r0 = FNV-1a-64 of the input. */
typedef unsigned long long u64;

static __attribute__((noinline)) u64 mix(u64 h, unsigned char c) {
    return (h ^ c) * 1099511628211ULL;
}

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    u64 h = 14695981039346656037ULL;
    for (u64 i = 0; i < length; i++)
        h = mix(h, data[i]);
    return h;
}
