import BCECore

/// A source whose first bytes were already read (to look at them) and are given back first.
final class PrefixedSource: ByteSource {
  private var prefix: [UInt8]
  private let rest: any ByteSource

  init(prefix: [UInt8], rest: any ByteSource) {
    self.prefix = prefix
    self.rest = rest
  }

  var bytesConsumed: Int { rest.bytesConsumed }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    guard !prefix.isEmpty else { return try rest.read(into: buffer) }
    let n = min(prefix.count, buffer.count)
    buffer.copyBytes(from: prefix[..<n])
    prefix.removeFirst(n)
    return n
  }

  /// `source` decoded: inflated when it starts with the gzip magic bytes 1f 8b (whatever its
  /// name), as it is otherwise.
  static func decoding(_ source: any ByteSource, name: String, backend: InflateBackend = .zlib)
    throws(BCEError) -> any ByteSource
  {
    let magic = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
    defer { magic.deallocate() }
    let n = try source.readFully(into: magic)
    let prefixed = PrefixedSource(prefix: Array(magic[..<n]), rest: source)
    if n == 2 && magic[0] == 0x1F && magic[1] == 0x8B {
      return try GzipReader(source: prefixed, name: name, backend: backend)
    }
    return prefixed
  }
}
