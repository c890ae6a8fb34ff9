/* A call to a function this object does not define. */
typedef unsigned long long u64;

extern u64 elsewhere(u64 value);

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    return elsewhere(length) + 1;
}
