/* Everything in .text: the loop reads the input through r1 (pointer) and r2 (length).
   r0 = sum of (i + 1) * byte, plus the count of bytes above 0x7f in the high 32 bits. */
typedef unsigned long long u64;

u64 entry(unsigned char *data, u64 length) {
    u64 sum = 0, high = 0;
    for (u64 i = 0; i < length; i++) {
        sum += (i + 1) * data[i];
        high += data[i] > 0x7f;
    }
    return (sum & 0xffffffff) | (high << 32);
}
