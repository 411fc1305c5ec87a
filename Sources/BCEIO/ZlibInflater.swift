import BCECore
import CZlib

/// Gzip members inflated with zlib (`inflate` with windowBits 15 + 16).
final class ZlibInflater: MemberInflater {
  private let name: String
  /// zlib keeps pointers into its stream state, so it lives in its own stable allocation.
  private let stream: UnsafeMutablePointer<z_stream>
  /// A raw-deflate stream for ``inflateWhole(_:into:)``, made on its first use.
  private var rawStream: UnsafeMutablePointer<z_stream>? = nil

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

  /// The corresponding C call is `inflate(stream, Z_NO_FLUSH)`.
  func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    throws(BCEError) -> InflateStep
  {
    stream.pointee.next_in = UnsafeMutablePointer(
      mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(input.count)
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(output.count)
    let status = CZlib.inflate(stream, Z_NO_FLUSH)
    let step = InflateStep(
      consumed: input.count - Int(stream.pointee.avail_in),
      produced: output.count - Int(stream.pointee.avail_out),
      memberEnded: status == Z_STREAM_END)
    let message = stream.pointee.msg.map { String(cString: $0) }
    // zlib must not keep pointers into buffers it does not own between calls.
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    switch status {
    case Z_OK, Z_STREAM_END, Z_BUF_ERROR:  // Z_BUF_ERROR: no progress possible, needs input
      return step
    case Z_DATA_ERROR:
      throw BCEError(.data, place: name, "corrupt gzip data: \(ZlibInflater.describe(message))")
    case Z_MEM_ERROR:
      throw BCEError(.data, place: name, "zlib ran out of memory")
    default:
      throw BCEError(.data, place: name, "corrupt gzip data: zlib status \(status)")
    }
  }

  /// The member's header is read here and its data inflated raw (`inflateInit2` with
  /// windowBits −15), then the trailer checked with ``CRC32``, several times faster than the
  /// CRC-32 zlib 1.2.13 computes in gzip mode. A header with FHCRC (or reserved flags) goes
  /// to zlib's gzip mode instead. Either way one `inflate(stream, Z_FINISH)` call: when a
  /// member completes within it, zlib skips copying the last 32 KiB of the output into its
  /// window, which `Z_NO_FLUSH` does after every call.
  func inflateWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    -> (consumed: Int, produced: Int)?
  {
    if let header = ZlibInflater.plainHeaderLength(input), let raw = rawInflater() {
      guard inflateReset(raw) == Z_OK else { return nil }
      let data = UnsafeRawBufferPointer(rebasing: input[header...])
      raw.pointee.next_in = UnsafeMutablePointer(
        mutating: data.baseAddress?.assumingMemoryBound(to: Bytef.self))
      raw.pointee.avail_in = uInt(data.count)
      raw.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
      raw.pointee.avail_out = uInt(output.count)
      let status = CZlib.inflate(raw, Z_FINISH)
      let trailer = header + data.count - Int(raw.pointee.avail_in)
      let produced = output.count - Int(raw.pointee.avail_out)
      raw.pointee.next_in = nil
      raw.pointee.next_out = nil
      guard status == Z_STREAM_END, trailer + 8 <= input.count else { return nil }
      let crc = input.loadUnaligned(fromByteOffset: trailer, as: UInt32.self).littleEndian
      let size = input.loadUnaligned(fromByteOffset: trailer + 4, as: UInt32.self).littleEndian
      guard size == UInt32(truncatingIfNeeded: produced),
        CRC32.update(0, UnsafeRawBufferPointer(rebasing: output[..<produced])) == crc
      else { return nil }
      return (trailer + 8, produced)
    }
    guard inflateReset(stream) == Z_OK else { return nil }
    stream.pointee.next_in = UnsafeMutablePointer(
      mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(input.count)
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(output.count)
    let status = CZlib.inflate(stream, Z_FINISH)
    let counts = (
      consumed: input.count - Int(stream.pointee.avail_in),
      produced: output.count - Int(stream.pointee.avail_out)
    )
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    return status == Z_STREAM_END ? counts : nil
  }

  /// The length of the gzip header at the start of `member` when its flags are at most
  /// FTEXT, FEXTRA, FNAME and FCOMMENT; `nil` for any other header, or a cut one.
  static func plainHeaderLength(_ member: UnsafeRawBufferPointer) -> Int? {
    guard member.count >= 10, member[0] == 0x1F, member[1] == 0x8B, member[2] == 8 else {
      return nil
    }
    let flags = member[3]
    guard flags & 0xE2 == 0 else { return nil }  // FHCRC, or reserved bits
    var length = 10
    if flags & 0x04 != 0 {  // FEXTRA: XLEN, then XLEN bytes
      guard length + 2 <= member.count else { return nil }
      length += 2 + (Int(member[length]) | Int(member[length + 1]) << 8)
    }
    for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: to a NUL
      while length < member.count && member[length] != 0 { length += 1 }
      length += 1
    }
    return length <= member.count ? length : nil
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

  /// The corresponding C call is `inflateReset`.
  func reset() throws(BCEError) {
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
