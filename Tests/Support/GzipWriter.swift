import CZlib

/// `bytes` compressed into one gzip member with zlib (test fixtures only).
///
/// The `z_stream` lives in its own allocation: zlib keeps a pointer to it and checks it on
/// every call, so it must not move between calls.
public func gzipMember(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
  let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  stream.initialize(to: z_stream())
  defer {
    deflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
  }
  precondition(bce_deflate_init_gzip(stream, level) == Z_OK, "deflateInit2 failed")
  var input = bytes
  var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(bytes.count))) + 64)
  let written = input.withUnsafeMutableBufferPointer { source in
    output.withUnsafeMutableBufferPointer { target in
      stream.pointee.next_in = source.baseAddress
      stream.pointee.avail_in = uInt(source.count)
      stream.pointee.next_out = target.baseAddress
      stream.pointee.avail_out = uInt(target.count)
      let status = deflate(stream, Z_FINISH)
      precondition(status == Z_STREAM_END, "deflate did not finish (status \(status))")
      return target.count - Int(stream.pointee.avail_out)
    }
  }
  return Array(output[..<written])
}
