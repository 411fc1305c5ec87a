import CCRC32
import CZlib

/// CRC-32 as zlib's `crc32` computes it, with the bulk of long buffers folded 64 bytes at a
/// time by the carry-less multiply where the processor has it (`bce_crc32_fold`), and the
/// rest by zlib's tables: several times faster than zlib 1.2.13's `crc32` alone, which was
/// 5 % of bce's CPU on a BGZF file.
enum CRC32 {
  /// Whether the processor can fold (x86-64 with PCLMULQDQ and SSE4.1).
  static let canFold = bce_crc32_fold_available() != 0

  /// zlib's `crc32(crc, bytes)`: the CRC-32 of the bytes after those whose CRC-32 is `crc`
  /// (0 for none).
  static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer, fold: Bool = canFold)
    -> UInt32
  {
    guard var start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
    var count = bytes.count
    var crc = crc
    if fold && count >= 64 {
      let folded = count & ~15
      var lane: (UInt64, UInt64) = (0, 0)
      withUnsafeMutableBytes(of: &lane) { lane in
        // zlib's register is the complement of the CRC-32; the folded lane is a 16-byte
        // message read from a register of 0, which `crc32(0xFFFFFFFF, …)` starts from.
        bce_crc32_fold(~crc, start, folded, lane.baseAddress!.assumingMemoryBound(to: UInt8.self))
        crc = UInt32(
          truncatingIfNeeded: CZlib.crc32(
            0xFFFF_FFFF, lane.baseAddress!.assumingMemoryBound(to: Bytef.self), 16))
      }
      start += folded
      count -= folded
    }
    return UInt32(truncatingIfNeeded: CZlib.crc32(uLong(crc), start, uInt(count)))
  }
}
