import BCECore

/// The decompressed bytes of a gzip stream, inflated with zlib or ISA-L.
///
/// Every member of a multi-member stream is read (`cat a.gz b.gz`, pigz, bgzip/BGZF); the
/// decoder checks each member's CRC-32 and length. The stream must end exactly at a member boundary:
/// input that ends inside a member is a truncated file, and bytes after the last member that
/// are not another member are an error too (all-zero padding, which gzip also accepts, is
/// skipped).
public final class GzipReader: ByteSource {
  /// The input's name in messages.
  public let name: String
  private let source: any ByteSource
  private let inflater: any MemberInflater
  private let input: UnsafeMutableRawBufferPointer
  /// The unread part of `input` is `input[inputStart..<inputEnd]`.
  private var inputStart = 0
  private var inputEnd = 0
  private var sourceEnded = false

  private enum State {
    /// Inflating a member.
    case member
    /// A member has ended; what follows decides between another member and the end.
    case boundary
    case finished
  }
  private var state = State.member
  /// Whether the current member's header has yet to be checked for being whole in the
  /// buffer (see ``bufferHeader()``).
  private var headerPending = true
  /// Members fully read so far.
  public private(set) var members = 0

  /// Size of the compressed-input buffer.
  static let inputCapacity = 256 * 1024

  /// Reads the gzip stream of `source`, named `name` in messages, with `backend`.
  ///
  /// - Throws: a usage error when `backend` is not in this build.
  public init(source: any ByteSource, name: String, backend: InflateBackend = .zlib)
    throws(BCEError)
  {
    self.name = name
    self.source = source
    inflater = try backend.makeInflater(name: name)
    input = .allocate(byteCount: GzipReader.inputCapacity, alignment: 16)
  }

  /// Reads the rest of a gzip stream of which `membersBefore` members were already read
  /// elsewhere (the parallel BGZF reader hands over what it does not read itself):
  /// `source` starts at a member boundary, where zero padding or the end may also come.
  convenience init(
    resuming source: any ByteSource, name: String, backend: InflateBackend, membersBefore: Int
  ) throws(BCEError) {
    try self.init(source: source, name: name, backend: backend)
    state = .boundary
    members = membersBefore
  }

  deinit { input.deallocate() }

  public var bytesConsumed: Int { source.bytesConsumed }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    var produced = 0
    while produced < buffer.count {
      if inputStart == inputEnd && !sourceEnded { try refill() }
      switch state {
      case .finished:
        return produced
      case .boundary:
        if try !startNextMember() { state = .finished }
      case .member:
        if headerPending {
          try bufferHeader()
          headerPending = false
        }
        produced += try inflateSome(
          into: UnsafeMutableRawBufferPointer(rebasing: buffer[produced...]))
      }
    }
    return produced
  }

  /// Inflates as much as the pending input and `output` allow.
  ///
  /// - Returns: the bytes written to `output`.
  private func inflateSome(into output: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    let pending = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
    let step = try inflater.inflate(pending, into: output)
    inputStart += step.consumed
    if step.memberEnded {
      members += 1
      state = .boundary
    } else if step.produced == 0 && step.consumed == 0 && inputStart == inputEnd && sourceEnded {
      throw truncated()  // the decoder needs input, and there is none left
    }
    return step.produced
  }

  /// After a member: starts the next member if one follows, skips zero padding.
  ///
  /// - Returns: whether another member starts; `false` at a clean end of the stream.
  private func startNextMember() throws(BCEError) -> Bool {
    var padding = false
    while true {
      if inputStart == inputEnd {
        if sourceEnded { return false }
        try refill()
        continue
      }
      let first = input[inputStart]
      if first == 0 {
        // gzip accepts zero padding after the last member (tape blocks); so does bce. Only
        // zeros may follow it, however the reads happen to split it.
        padding = true
        while inputStart < inputEnd && input[inputStart] == 0 { inputStart += 1 }
        if inputStart < inputEnd { throw trailingGarbage() }
        continue
      }
      if padding { throw trailingGarbage() }
      if first != 0x1F { throw trailingGarbage() }
      if inputEnd - inputStart < 2 && !sourceEnded {
        try refill()
        continue
      }
      if inputEnd - inputStart < 2 || input[inputStart + 1] != 0x8B { throw trailingGarbage() }
      try inflater.reset()
      state = .member
      headerPending = true
      return true
    }
  }

  /// Reads until the member header at `inputStart` is whole in the buffer, unless the input
  /// ends first (the decoder then reports the truncation) or the header is longer than the
  /// buffer.
  ///
  /// ISA-L's decoder (2.30) fails with "invalid deflate block" on a valid stream when its
  /// input ends inside the header's file name (as `gzip` writes one): it does not resume a
  /// split name. zlib resumes anywhere, but giving both the whole header keeps them alike.
  private func bufferHeader() throws(BCEError) {
    while !sourceEnded && inputEnd - inputStart < input.count {
      let pending = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
      if let length = GzipReader.headerLength(pending), length <= pending.count { return }
      try refill()
    }
  }

  /// The length of the gzip header at the start of `bytes` (RFC 1952: 10 fixed bytes, then
  /// the extra field, file name, comment and header CRC that its flags announce), or `nil`
  /// when `bytes` ends before that can be told.
  static func headerLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard bytes.count >= 10 else { return nil }
    let flags = bytes[3]
    var length = 10
    if flags & 0x04 != 0 {  // FEXTRA
      guard bytes.count >= length + 2 else { return nil }
      length += 2 + (Int(bytes[length]) | Int(bytes[length + 1]) << 8)
    }
    for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: to a NUL
      guard length < bytes.count,
        let nul = bytes[length...].firstIndex(of: 0)
      else { return nil }
      length = nul + 1
    }
    if flags & 0x02 != 0 { length += 2 }  // FHCRC
    return length
  }

  /// Moves the unread input to the front of the buffer and reads more after it.
  private func refill() throws(BCEError) {
    let pending = inputEnd - inputStart
    if pending > 0 && inputStart > 0 {
      input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: pending)
    }
    inputStart = 0
    inputEnd = pending
    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[pending...]))
    if n == 0 { sourceEnded = true }
    inputEnd += n
  }

  private func truncated() -> BCEError {
    BCEError(
      .data, place: name,
      "truncated gzip file: the data ends inside member \(members + 1)"
        + " (after \(source.bytesConsumed) compressed bytes)")
  }

  private func trailingGarbage() -> BCEError {
    let offset = source.bytesConsumed - (inputEnd - inputStart)
    return BCEError(
      .data, place: name,
      "trailing data that is not gzip after member \(members) (at byte \(offset))")
  }
}
