/* A map in the legacy "maps" section, passed by address to a helper: R_BPF_64_64. */
typedef unsigned long long u64;

struct map_definition { unsigned int type, key_size, value_size, max_entries; };

__attribute__((section("maps"), used))
struct map_definition counts = { 2, 4, 8, 16 };

static void *(*map_lookup)(void *map, void *key) = (void *)1;

__attribute__((section("prog"), used))
u64 entry(unsigned char *data, u64 length) {
    unsigned int key = 0;
    u64 *value = map_lookup(&counts, &key);
    return value ? *value : length;
}
