/* Reads eight bytes past the end of the input in a function in .text: an access violation that
   every engine must report at the same instruction. */
typedef unsigned long long u64;

static __attribute__((noinline)) u64 peek(volatile unsigned char *data, u64 at) {
    return data[at];
}

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    u64 sum = 0;
    for (u64 i = 0; i < length + 8; i++)
        sum += peek(data, i);
    return sum;
}
