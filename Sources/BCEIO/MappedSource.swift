import BCECore

/// A mapped file read as a stream, for the BGZF reader: it inflates the members in place
/// (no `read(2)` into a buffer, no copy of each member into a job) and says how far it has
/// taken them with ``pass(_:)``; what it leaves to a serial reader is read from here, from
/// ``seek(to:)`` on, by copying out of the mapping.
///
/// Pages behind the bytes passed are dropped from memory about a MiB at a time
/// (``MappedFile/release(upTo:)``), so that resident memory does not grow with the file.
final class MappedSource: ByteSource {
  let file: MappedFile
  /// Where ``read(into:)`` reads next.
  private var position = 0
  /// The furthest offset passed: the compressed bytes taken so far, which never go back
  /// (a serial reader that resumes behind it does not count its bytes twice).
  private(set) var bytesConsumed = 0
  /// Where the pages dropped so far end.
  private var released = 0

  /// Drop pages once this many bytes have been passed since the last drop.
  static let releaseStep = 1 << 20

  init(_ file: MappedFile) { self.file = file }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    let n = min(buffer.count, file.count - position)
    guard n > 0 else { return 0 }
    buffer.baseAddress!.copyMemory(from: file.base + position, byteCount: n)
    position += n
    pass(position)
    return n
  }

  /// Reads from `offset` on next.
  func seek(to offset: Int) {
    precondition(offset >= 0 && offset <= file.count, "an offset in the file")
    position = offset
  }

  /// Every byte before `offset` has been used and will not be read again, unless a serial
  /// reader is sent back to it with ``seek(to:)``: counted as consumed, and its pages
  /// dropped about a MiB at a time.
  func pass(_ offset: Int) {
    guard offset > bytesConsumed else { return }
    bytesConsumed = offset
    if offset - released >= MappedSource.releaseStep || offset == file.count {
      file.release(upTo: offset)
      released = offset
    }
  }
}
