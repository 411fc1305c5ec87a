import BCECore

/// Bytes in memory as a source, handed out in pieces of at most `pieceSize` bytes.
///
/// Small pieces imitate a pipe that delivers a little at a time; tests use them to cut an
/// input at every offset.
public final class MemorySource: ByteSource {
  private let bytes: [UInt8]
  private let pieceSize: Int
  public private(set) var bytesConsumed = 0

  public init(_ bytes: [UInt8], pieceSize: Int = .max) {
    precondition(pieceSize > 0, "pieces of at least one byte")
    self.bytes = bytes
    self.pieceSize = pieceSize
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    let n = min(buffer.count, pieceSize, bytes.count - bytesConsumed)
    buffer.copyBytes(from: bytes[bytesConsumed..<(bytesConsumed + n)])
    bytesConsumed += n
    return n
  }
}
