import BCECore
import CZlib

/// Gzip members inflated with zlib (`inflate` with windowBits 15 + 16).
final class ZlibInflater: MemberInflater {
  private let name: String
  /// zlib keeps pointers into its stream state, so it lives in its own stable allocation.
  private let stream: UnsafeMutablePointer<z_stream>

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
    inflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
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

  /// The corresponding C calls are `inflateReset` and `inflate(stream, Z_FINISH)`: when a
  /// member completes within one call with `Z_FINISH`, zlib skips copying the last 32 KiB
  /// of the output into its window, which `Z_NO_FLUSH` does after every call.
  func inflateWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    -> (consumed: Int, produced: Int)?
  {
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
