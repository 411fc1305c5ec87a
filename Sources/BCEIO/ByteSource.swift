import BCECore

/// A stream of bytes that is read into buffers the caller owns.
public protocol ByteSource: AnyObject {
  /// Reads up to `buffer.count` bytes into `buffer`.
  ///
  /// - Returns: the number of bytes read; 0 only at the end of the stream (or for an empty
  ///   buffer).
  /// - Throws: a data error naming the input when it cannot be read or is corrupt.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int

  /// Bytes taken from the underlying file or pipe so far (compressed bytes for gzip).
  var bytesConsumed: Int { get }
}

extension ByteSource {
  /// Reads until `buffer` is full or the stream ends.
  ///
  /// - Returns: the number of bytes read; less than `buffer.count` only at the end.
  public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    var filled = 0
    while filled < buffer.count {
      let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
      if n == 0 { break }
      filled += n
    }
    return filled
  }
}
