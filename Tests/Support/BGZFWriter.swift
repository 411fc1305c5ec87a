/// `bytes` compressed into one BGZF block: a gzip member whose header carries the extra
/// subfield `BC` with BSIZE, the member's size − 1 (test fixtures only).
///
/// At most 65,280 bytes of input, as bgzip writes them, so that the block stays within 64 KiB.
public func bgzfBlock(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
  precondition(bytes.count <= 65_280, "a BGZF block holds at most 65,280 input bytes")
  let member = gzipMember(bytes, level: level)
  // zlib writes a bare 10-byte header, then the deflate data and the 8-byte trailer.
  let body = member[10...]
  let size = 18 + body.count
  precondition(size <= 1 << 16, "BGZF block of \(size) bytes")
  let blockSize = size - 1
  let header: [UInt8] = [
    0x1F, 0x8B, 0x08, 0x04, 0, 0, 0, 0, 0, 0xFF, 6, 0, UInt8(ascii: "B"), UInt8(ascii: "C"), 2, 0,
    UInt8(blockSize & 0xFF), UInt8(blockSize >> 8),
  ]
  return header + body
}

/// The empty block bgzip writes at the end of every file (SAM/BAM specification, §4.1.2).
public let bgzfEndOfFile: [UInt8] = [
  0x1F, 0x8B, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
  0x1B, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]

/// `bytes` as a BGZF file: blocks of `blockSize` input bytes (the last one shorter), then the
/// end-of-file block unless `endOfFile` is false (test fixtures only).
public func bgzf(
  _ bytes: [UInt8], blockSize: Int = 65_280, level: Int32 = 6, endOfFile: Bool = true
) -> [UInt8] {
  var out: [UInt8] = []
  for start in stride(from: 0, to: bytes.count, by: blockSize) {
    out += bgzfBlock(Array(bytes[start..<min(start + blockSize, bytes.count)]), level: level)
  }
  return endOfFile ? out + bgzfEndOfFile : out
}

/// Where each block of a BGZF file starts, read from the BSIZE of each header (for tests
/// that cut or corrupt a given block); stops at the first block that is not BGZF.
public func bgzfBlockOffsets(_ file: [UInt8]) -> [Int] {
  var offsets: [Int] = []
  var position = 0
  while position + 18 <= file.count && file[position + 12] == UInt8(ascii: "B")
    && file[position + 13] == UInt8(ascii: "C")
  {
    offsets.append(position)
    position += (Int(file[position + 16]) | Int(file[position + 17]) << 8) + 1
  }
  return offsets
}
