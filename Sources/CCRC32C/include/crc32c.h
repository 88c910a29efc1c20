#ifndef YENDOR_CRC32C_H
#define YENDOR_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes, continuing from `crc`.
/// Start with crc = 0. Uses the SSE4.2 instruction when the CPU has it, a table otherwise.
uint32_t yendor_crc32c(uint32_t crc, const void *data, size_t length);

/// The portable table implementation, exposed so tests can check both paths agree.
uint32_t yendor_crc32c_portable(uint32_t crc, const void *data, size_t length);

#endif
