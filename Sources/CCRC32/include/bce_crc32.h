#ifndef BCE_CRC32_H
#define BCE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has the carry-less multiply (PCLMULQDQ) and SSE4.1 that
/// `bce_crc32_fold` needs. Always 0 on processors other than x86-64.
int bce_crc32_fold_available(void);

/// Folds `length` bytes (a multiple of 16, at least 64) of a message whose CRC-32 register
/// (zlib's polynomial, reflected, before the final inversion) is `register_value`, into 16
/// bytes at `out`: the register of the message is then the register of `out`'s 16 bytes
/// read from a register of 0. So zlib's `crc32(0xFFFFFFFF, out, 16)` continued over the
/// bytes after the folded ones gives the message's CRC-32. Needs
/// `bce_crc32_fold_available()`.
void bce_crc32_fold(uint32_t register_value, const uint8_t *bytes, size_t length,
                    uint8_t out[16]);

#endif
