/* Global data: the lddw of `counter` is an R_BPF_64_64 relocation, which needs a loader that
   owns memory for .bss; jitvm rejects it. */
typedef unsigned long long u64;

u64 counter;

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    counter += length;
    return counter;
}
