#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Standard output or standard error, written with `write(2)` and no buffering of our own:
/// a report is built whole and written in one call, so a failure never leaves half of it.
struct StandardStream {
  let descriptor: Int32

  static let output = StandardStream(descriptor: 1)
  static let error = StandardStream(descriptor: 2)

  /// Whether the stream is a terminal.
  var isTerminal: Bool { isatty(descriptor) == 1 }

  /// Writes all of `text`, retrying partial writes and `EINTR`.
  func write(_ text: String) {
    var text = text
    text.withUTF8 { buffer in  // the string's own bytes, not a copy
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return  // nowhere left to report a failed write to
        }
        offset += n
      }
    }
  }
}
