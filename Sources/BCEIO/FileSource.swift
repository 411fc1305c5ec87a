import BCECore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes of a file or of standard input, read with `read(2)`.
public final class FileSource: ByteSource {
  /// The input's name in messages: the path, or `-` for standard input.
  public let name: String
  private let descriptor: Int32
  private let ownsDescriptor: Bool
  public private(set) var bytesConsumed = 0

  /// Opens `path` for reading; `-` is standard input.
  ///
  /// - Throws: a data error naming the path when it cannot be opened or is a directory.
  public init(path: String) throws(BCEError) {
    name = path
    if path == "-" {
      descriptor = 0
      ownsDescriptor = false
      return
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw FileSource.error(path, "cannot open", errno) }
    var info = stat()
    if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw BCEError(.data, place: path, "is a directory, not a file")
    }
    descriptor = fd
    ownsDescriptor = true
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// The file mapped into memory, when it is a regular non-empty file that nothing has
  /// been read from yet; `nil` for standard input, pipes and the like.
  func map() -> MappedFile? {
    guard ownsDescriptor, bytesConsumed == 0 else { return nil }
    return MappedFile(descriptor: descriptor, name: name)
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
      if n >= 0 {
        bytesConsumed += n
        return n
      }
      if errno == EINTR { continue }  // interrupted before reading anything: retry
      throw FileSource.error(name, "cannot read", errno)
    }
  }

  private static func error(_ path: String, _ what: String, _ code: Int32) -> BCEError {
    BCEError(.data, place: path, "\(what): \(String(cString: strerror(code)))")
  }
}
