/* The entry ("prog") calls a function in another executable section ("lib"), which calls one in
   .text: the loader lays out prog, then lib, then .text. With two sections besides .text, the
   entry must be named. */
typedef unsigned long long u64;

static __attribute__((noinline)) u64 square(u64 x) {
    return x * x;
}

__attribute__((section("lib"), noinline)) u64 scale(u64 x, u64 by) {
    return square(x) * by + 1;
}

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    u64 total = 0;
    for (u64 i = 0; i < length; i++)
        total += scale(data[i], i + 1);
    return total;
}
