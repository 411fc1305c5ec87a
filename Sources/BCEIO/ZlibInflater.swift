import BCECore
import CZlib

/// Gzip members inflated with zlib.
///
/// A member whose header has no FHCRC (every gzip, pigz and bgzip writes) has its header read
/// here and its data inflated raw (`inflateInit2` with windowBits −15); its trailer is then
/// checked with ``CRC32``, which folds with the carry-less multiply: zlib 1.2.13's own CRC-32
/// in gzip mode (windowBits 15 + 16) was 5–7 % of the CPU of a gzip file. Any other header
/// goes to zlib's gzip mode, which also gives the messages for bad headers. The messages for
/// bad data and trailers are zlib's either way.
final class ZlibInflater: MemberInflater {
  private let name: String
  /// zlib keeps pointers into its stream state, so it lives in its own stable allocation.
  private let stream: UnsafeMutablePointer<z_stream>
  /// The raw-deflate stream, made on its first use.
  private var rawStream: UnsafeMutablePointer<z_stream>? = nil

  /// Where the current member is.
  private enum Phase {
    /// Before its header (which ``GzipReader`` buffers whole).
    case header
    /// Its data, inflated raw.
    case raw
    /// Its 8-byte trailer, after raw data: `trailer` holds `trailerCount` bytes of it.
    case trailer
    /// Inflated by zlib's gzip mode, header to trailer.
    case gzip
  }
  private var phase = Phase.header
  /// The CRC-32 and length (mod 2³²) of the raw member's bytes so far.
  private var crc: UInt32 = 0
  private var length: UInt32 = 0
  private var trailer: UInt64 = 0
  private var trailerCount = 0

  init(name: String) throws(BCEError) {
    self.name = name
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = bce_inflate_init_gzip(stream)
    guard status == Z_OK else {
      stream.deallocate()
      throw BCEError(.data, place: name, "cannot start zlib (status \(status))")
    }
  }

  deinit {
    for stream in [stream, rawStream].compactMap({ $0 }) {
      inflateEnd(stream)
      stream.deinitialize(count: 1)
      stream.deallocate()
    }
  }

  /// The corresponding C call is `inflate(stream, Z_NO_FLUSH)`, on the raw stream or in
  /// gzip mode.
  func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    throws(BCEError) -> InflateStep
  {
    var header = 0
    if phase == .header {
      if let length = ZlibInflater.plainHeaderLength(input), let raw = rawInflater(),
        inflateReset(raw) == Z_OK
      {
        phase = .raw
        header = length
        crc = 0
        self.length = 0
        trailer = 0
        trailerCount = 0
      } else {
        phase = .gzip
      }
    }
    if phase == .gzip {
      let (status, consumed, produced) = try run(stream, input, output, flush: Z_NO_FLUSH)
      return InflateStep(
        consumed: consumed, produced: produced, memberEnded: status == Z_STREAM_END)
    }
    var consumed = header
    var produced = 0
    if phase == .raw {
      let (status, used, made) = try run(
        rawStream!, UnsafeRawBufferPointer(rebasing: input[header...]), output, flush: Z_NO_FLUSH)
      consumed += used
      produced = made
      crc = CRC32.update(crc, UnsafeRawBufferPointer(rebasing: output[..<made]))
      length &+= UInt32(truncatingIfNeeded: made)
      if status == Z_STREAM_END { phase = .trailer }
    }
    if phase == .trailer {
      while trailerCount < 8 && consumed < input.count {
        trailer |= UInt64(input[consumed]) << (8 * trailerCount)
        trailerCount += 1
        consumed += 1
      }
      if trailerCount == 8 {
        try checkTrailer()
        phase = .header
        return InflateStep(consumed: consumed, produced: produced, memberEnded: true)
      }
    }
    return InflateStep(consumed: consumed, produced: produced, memberEnded: false)
  }

  /// Compares the raw member's CRC-32, then its length, with its trailer, as zlib does.
  private func checkTrailer() throws(BCEError) {
    if UInt32(truncatingIfNeeded: trailer) != crc {
      throw BCEError(
        .data, place: name, "corrupt gzip data: \(ZlibInflater.describe("incorrect data check"))")
    }
    if UInt32(truncatingIfNeeded: trailer >> 32) != length {
      throw BCEError(
        .data, place: name,
        "corrupt gzip data: \(ZlibInflater.describe("incorrect length check"))")
    }
  }

  /// One `inflate` call on `stream`.
  ///
  /// - Returns: zlib's status (`Z_OK`, `Z_STREAM_END` or `Z_BUF_ERROR`, which means no
  ///   progress was possible), and the bytes consumed and produced.
  /// - Throws: a data error for corrupt data.
  private func run(
    _ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeRawBufferPointer,
    _ output: UnsafeMutableRawBufferPointer, flush: Int32
  ) throws(BCEError) -> (status: Int32, consumed: Int, produced: Int) {
    stream.pointee.next_in = UnsafeMutablePointer(
      mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(input.count)
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(output.count)
    let status = CZlib.inflate(stream, flush)
    let consumed = input.count - Int(stream.pointee.avail_in)
    let produced = output.count - Int(stream.pointee.avail_out)
    let message = stream.pointee.msg.map { String(cString: $0) }
    // zlib must not keep pointers into buffers it does not own between calls.
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    switch status {
    case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
      return (status, consumed, produced)
    case Z_DATA_ERROR:
      throw BCEError(.data, place: name, "corrupt gzip data: \(ZlibInflater.describe(message))")
    case Z_MEM_ERROR:
      throw BCEError(.data, place: name, "zlib ran out of memory")
    default:
      throw BCEError(.data, place: name, "corrupt gzip data: zlib status \(status)")
    }
  }

  /// Inflates a whole member in one `inflate(stream, Z_FINISH)` call: raw as ``inflate(_:into:)``
  /// does when the header allows, else in gzip mode. When a member completes within the call,
  /// zlib skips copying the last 32 KiB of the output into its window, which `Z_NO_FLUSH`
  /// does after every call. Leaves the streaming phase alone.
  func inflateWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    -> (consumed: Int, produced: Int)?
  {
    if let header = ZlibInflater.plainHeaderLength(input), let raw = rawInflater() {
      guard inflateReset(raw) == Z_OK,
        let (status, used, produced) = try? run(
          raw, UnsafeRawBufferPointer(rebasing: input[header...]), output, flush: Z_FINISH),
        status == Z_STREAM_END
      else { return nil }
      let trailer = header + used
      guard trailer + 8 <= input.count else { return nil }
      let crc = input.loadUnaligned(fromByteOffset: trailer, as: UInt32.self).littleEndian
      let size = input.loadUnaligned(fromByteOffset: trailer + 4, as: UInt32.self).littleEndian
      guard size == UInt32(truncatingIfNeeded: produced),
        CRC32.update(0, UnsafeRawBufferPointer(rebasing: output[..<produced])) == crc
      else { return nil }
      return (trailer + 8, produced)
    }
    guard inflateReset(stream) == Z_OK,
      let (status, consumed, produced) = try? run(stream, input, output, flush: Z_FINISH),
      status == Z_STREAM_END
    else { return nil }
    return (consumed, produced)
  }

  /// The length of the gzip header at the start of `member` when it is whole there and its
  /// flags are at most FTEXT, FEXTRA, FNAME and FCOMMENT; `nil` otherwise.
  static func plainHeaderLength(_ member: UnsafeRawBufferPointer) -> Int? {
    guard member.count >= 10, member[0] == 0x1F, member[1] == 0x8B, member[2] == 8,
      member[3] & 0xE2 == 0,  // not FHCRC, nor reserved bits
      let length = GzipReader.headerLength(member), length <= member.count
    else { return nil }
    return length
  }

  /// The raw-deflate stream, made on the first call.
  private func rawInflater() -> UnsafeMutablePointer<z_stream>? {
    if let rawStream { return rawStream }
    let made = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    made.initialize(to: z_stream())
    guard bce_inflate_init_raw(made) == Z_OK else {
      made.deallocate()
      return nil
    }
    rawStream = made
    return made
  }

  /// The corresponding C call is `inflateReset` (for gzip mode; the raw stream is reset
  /// when a member starts on it).
  func reset() throws(BCEError) {
    phase = .header
    let status = inflateReset(stream)
    guard status == Z_OK else {
      throw BCEError(.data, place: name, "cannot restart zlib (status \(status))")
    }
  }

  private static func describe(_ message: String?) -> String {
    switch message {
    case "incorrect data check": return "CRC-32 mismatch (incorrect data check)"
    case "incorrect length check": return "length mismatch (incorrect length check)"
    case let text?: return text
    case nil: return "unknown error"
    }
  }
}
