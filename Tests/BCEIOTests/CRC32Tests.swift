import BCETestSupport
import CZlib
import Testing

@testable import BCEIO

/// zlib's own `crc32`, table-driven: the reference.
private func zlibCRC(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
  bytes.withUnsafeBufferPointer {
    UInt32(truncatingIfNeeded: crc32(uLong(crc), $0.baseAddress, uInt($0.count)))
  }
}

private func foldedCRC(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
  bytes.withUnsafeBytes { CRC32.update(crc, $0) }
}

@Suite("CRC-32")
struct CRC32Tests {
  @Test("this x86-64 machine folds with the carry-less multiply")
  func folds() {
    #if arch(x86_64)
      #expect(CRC32.canFold)
    #endif
  }

  @Test("equals zlib's crc32 for every length to 600, any start, any running CRC")
  func agreesWithZlib() {
    var random = SplitMix64(seed: 0xC3C3)
    let buffer = (0..<2000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    for length in 0...600 {
      for _ in 0..<4 {
        let start = Int(random.next() % 64)
        let slice = buffer[start..<(start + length)]
        let initial: UInt32 = random.next() % 3 == 0 ? 0 : UInt32(truncatingIfNeeded: random.next())
        #expect(foldedCRC(initial, slice) == zlibCRC(initial, slice), "length \(length)")
      }
    }
    // Long buffers, in pieces of any size: the running CRC carries over.
    let long = (0..<1_000_003).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    let whole = zlibCRC(0, long[...])
    #expect(foldedCRC(0, long[...]) == whole)
    var crc: UInt32 = 0
    var at = 0
    while at < long.count {
      let piece = min(long.count - at, Int(random.next() % 70_000))
      crc = foldedCRC(crc, long[at..<(at + piece)])
      at += piece
    }
    #expect(crc == whole)
    // All zeros and all ones: the folds see no carries to hide behind.
    for byte: UInt8 in [0, 0xFF] {
      let same = [UInt8](repeating: byte, count: 65_536)
      #expect(foldedCRC(0, same[...]) == zlibCRC(0, same[...]))
    }
  }
}
