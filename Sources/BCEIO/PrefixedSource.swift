import BCECore

/// A source whose first bytes were already read (to look at them) and are given back first.
final class PrefixedSource: ByteSource {
  private let prefix: [UInt8]
  /// The prefix bytes not yet given back are `prefix[prefixStart...]`.
  private var prefixStart = 0
  private let rest: any ByteSource

  init(prefix: [UInt8], rest: any ByteSource) {
    self.prefix = prefix
    self.rest = rest
  }

  /// The bytes taken from `rest`, less the prefix bytes not yet given back: so that offsets in
  /// messages are right however far ahead the prefix was read.
  var bytesConsumed: Int { rest.bytesConsumed - (prefix.count - prefixStart) }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    guard prefixStart < prefix.count else { return try rest.read(into: buffer) }
    let n = min(prefix.count - prefixStart, buffer.count)
    buffer.copyBytes(from: prefix[prefixStart..<(prefixStart + n)])
    prefixStart += n
    return n
  }
}
