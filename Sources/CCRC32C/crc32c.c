// CRC-32C for the wire envelope. Hardware path: SSE4.2 crc32q. One dependent chain of crc32q retires
// 8 bytes per ~3 cycles (the instruction's latency); three independent chains over three equal parts
// of a block keep the unit busy every cycle, and a combine step (multiplying the earlier parts' CRCs
// by x^(8·part length) mod P) joins them.
#include "crc32c.h"
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t yendor_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        uint32_t lo = (uint32_t)word ^ crc, hi = (uint32_t)(word >> 32);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
              table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        length -= 8;
    }
    while (length--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__)
// Bytes per chain in the two interleaved block sizes: long blocks for bulk data, short ones for the tail.
enum { LONG_PART = 8192, SHORT_PART = 256 };

// a·b mod P, both in the reflected representation (bit 31 is x^0).
static uint32_t multiply_mod_p(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
        if (a & m) product ^= b;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
    }
    return product;
}

// x^(8·bytes) mod P: the operator that appends `bytes` zero bytes to a CRC state.
static uint32_t zeros_operator(size_t bytes) {
    uint32_t op = 1u << 31;
    for (size_t i = 0; i < 8 * bytes; i++) op = (op & 1) ? (op >> 1) ^ POLY : op >> 1;
    return op;
}

// Multiplying by a fixed operator is linear in the state, so it becomes four table lookups, one per
// state byte. Computed once; two threads racing to build them write the same values.
static uint32_t long_shift[4][256], short_shift[4][256];
static int ops_ready = 0;

static void build_shift_table(uint32_t t[4][256], size_t part) {
    uint32_t op = zeros_operator(part);
    for (int byte = 0; byte < 4; byte++)
        for (uint32_t v = 0; v < 256; v++) t[byte][v] = multiply_mod_p(op, v << (8 * byte));
}

static void build_ops(void) {
    build_shift_table(long_shift, LONG_PART);
    build_shift_table(short_shift, SHORT_PART);
    __atomic_store_n(&ops_ready, 1, __ATOMIC_RELEASE);
}

static inline uint32_t shift(const uint32_t t[4][256], uint32_t c) {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
}

// Three chains over consecutive parts of `part` bytes each; returns the state after all three.
__attribute__((target("sse4.2")))
static inline uint64_t crc_three_parts(uint64_t c0, const uint8_t *p, size_t part, const uint32_t op[4][256]) {
    uint64_t c1 = 0, c2 = 0;
    const uint8_t *p1 = p + part, *p2 = p + 2 * part;
    for (size_t i = 0; i < part; i += 8) {
        uint64_t w0, w1, w2;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p1 + i, 8);
        memcpy(&w2, p2 + i, 8);
        c0 = __builtin_ia32_crc32di(c0, w0);
        c1 = __builtin_ia32_crc32di(c1, w1);
        c2 = __builtin_ia32_crc32di(c2, w2);
    }
    // state(A‖B‖C) = shift(shift(crcA) ^ crcB) ^ crcC, where shift appends `part` zero bytes.
    return shift(op, shift(op, (uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&ops_ready, __ATOMIC_ACQUIRE)) build_ops();
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = (uint32_t)~crc;
    while (length >= 3 * LONG_PART) {
        c = crc_three_parts(c, p, LONG_PART, long_shift);
        p += 3 * LONG_PART;
        length -= 3 * LONG_PART;
    }
    while (length >= 3 * SHORT_PART) {
        c = crc_three_parts(c, p, SHORT_PART, short_shift);
        p += 3 * SHORT_PART;
        length -= 3 * SHORT_PART;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#endif

uint32_t yendor_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42(crc, data, length);
#endif
    return yendor_crc32c_portable(crc, data, length);
}
