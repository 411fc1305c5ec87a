// CRC-32 (zlib's polynomial 0x04C11DB7, bit-reflected) folded 64 bytes at a time with the
// carry-less multiply, as in Intel's white paper "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009). The last 16 bytes are left
// for a table-driven CRC (zlib's crc32) to reduce, which avoids the Barrett reduction.

#include "bce_crc32.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int bce_crc32_fold_available(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  return (ecx & bit_PCLMUL) != 0 && (ecx & bit_SSE4_1) != 0;
}

// x^(k) mod P for the folding distances, bit-reflected (the constants of the white paper
// and of Linux's crc32-pclmul): 512 + 32 and 512 − 32 bits for folding four lanes by 64
// bytes, 128 + 32 and 128 − 32 bits for folding one lane by 16 bytes.
#define FOLD_BY_64_LOW 0x154442bd4ULL
#define FOLD_BY_64_HIGH 0x1c6e41596ULL
#define FOLD_BY_16_LOW 0x1751997d0ULL
#define FOLD_BY_16_HIGH 0x0ccaa009eULL

__attribute__((target("pclmul,sse4.1"))) static inline __m128i fold(__m128i lane,
                                                                   __m128i constants,
                                                                   __m128i next) {
  __m128i low = _mm_clmulepi64_si128(lane, constants, 0x00);
  __m128i high = _mm_clmulepi64_si128(lane, constants, 0x11);
  return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

__attribute__((target("pclmul,sse4.1"))) void bce_crc32_fold(uint32_t register_value,
                                                             const uint8_t *bytes,
                                                             size_t length, uint8_t out[16]) {
  const __m128i *p = (const __m128i *)bytes;
  __m128i x0 = _mm_loadu_si128(p + 0);
  __m128i x1 = _mm_loadu_si128(p + 1);
  __m128i x2 = _mm_loadu_si128(p + 2);
  __m128i x3 = _mm_loadu_si128(p + 3);
  x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)register_value));
  p += 4;
  length -= 64;
  const __m128i by64 = _mm_set_epi64x((long long)FOLD_BY_64_HIGH, (long long)FOLD_BY_64_LOW);
  while (length >= 64) {
    x0 = fold(x0, by64, _mm_loadu_si128(p + 0));
    x1 = fold(x1, by64, _mm_loadu_si128(p + 1));
    x2 = fold(x2, by64, _mm_loadu_si128(p + 2));
    x3 = fold(x3, by64, _mm_loadu_si128(p + 3));
    p += 4;
    length -= 64;
  }
  const __m128i by16 = _mm_set_epi64x((long long)FOLD_BY_16_HIGH, (long long)FOLD_BY_16_LOW);
  x0 = fold(x0, by16, x1);
  x0 = fold(x0, by16, x2);
  x0 = fold(x0, by16, x3);
  while (length >= 16) {
    x0 = fold(x0, by16, _mm_loadu_si128(p));
    p += 1;
    length -= 16;
  }
  _mm_storeu_si128((__m128i *)out, x0);
}

#else

int bce_crc32_fold_available(void) { return 0; }

void bce_crc32_fold(uint32_t register_value, const uint8_t *bytes, size_t length,
                    uint8_t out[16]) {
  (void)register_value;
  (void)bytes;
  (void)length;
  (void)out;
}

#endif
