import BCECore

/// An input's bytes as the reader takes them: a stream (plain, or inflated by a serial
/// ``GzipReader``), or BGZF chunks inflated in parallel.
enum DecodedInput {
  case stream(any ByteSource)
  case blocks(BGZFReader)

  /// `raw` decoded: inflated when it starts with the gzip magic bytes 1f 8b (whatever its
  /// name), as it is otherwise; in parallel when its first member is a BGZF member.
  ///
  /// - Throws: a data error when `raw` cannot be read; a usage error when the backend is
  ///   not in this build.
  /// - Parameter buffers: for a BGZF reader: buffers to use that an earlier one left (see
  ///   ``BGZFReader/Buffers``).
  /// - Parameter crew: for a BGZF reader: the threads to inflate on, shared with other
  ///   readers; `nil` to start its own.
  static func open(
    _ raw: any ByteSource, name: String, options: EvaluationOptions, pool: BufferPool,
    buffers: BGZFReader.Buffers? = nil, crew: InflationCrew? = nil
  ) throws(BCEError) -> DecodedInput {
    // Enough of the first member's header to see a BGZF `BC` subfield: the fixed 12 bytes,
    // then the extra field when there is one.
    let fixed = UnsafeMutableRawBufferPointer.allocate(byteCount: 12, alignment: 1)
    defer { fixed.deallocate() }
    var prefix = Array(fixed[..<(try raw.readFully(into: fixed))])
    guard prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B else {
      return .stream(PrefixedSource(prefix: prefix, rest: raw))
    }
    if prefix.count == 12 && prefix[3] & 0x04 != 0 {
      let extra = UnsafeMutableRawBufferPointer.allocate(
        byteCount: Int(prefix[10]) | Int(prefix[11]) << 8, alignment: 1)
      defer { extra.deallocate() }
      prefix += extra[..<(try raw.readFully(into: extra))]
    }
    let isBGZF = prefix.withUnsafeBytes { bytes in
      if case .bgzf = BGZFReader.scanHeader(bytes) { return true }
      return false
    }
    if isBGZF {
      return .blocks(
        try BGZFReader(
          prefix: prefix, raw: raw, name: name, backend: options.inflate,
          threads: options.threads, pool: pool, chunkSize: options.chunkSize, buffers: buffers,
          crew: crew))
    }
    return .stream(
      try GzipReader(
        source: PrefixedSource(prefix: prefix, rest: raw), name: name, backend: options.inflate))
  }
}
