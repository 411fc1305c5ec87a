#ifndef BCE_CZLIB_SHIM_H
#define BCE_CZLIB_SHIM_H

#include <zlib.h>

// zlib's init functions are macros that pass the library version and the size of z_stream;
// Swift cannot call macros, so these wrappers do it.

/// inflateInit2 for gzip members only (windowBits 15 + 16: a gzip header and trailer,
/// CRC-32 and length checked by zlib).
static inline int bce_inflate_init_gzip(z_streamp strm) {
  return inflateInit2(strm, 15 + 16);
}

/// inflateInit2 for raw deflate data (windowBits −15: no header, no trailer, no check).
static inline int bce_inflate_init_raw(z_streamp strm) {
  return inflateInit2(strm, -15);
}

/// deflateInit2 writing one gzip member at the given level (for tests and fixtures).
static inline int bce_deflate_init_gzip(z_streamp strm, int level) {
  return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
