import BCECore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file mapped into memory, read-only: chunks of a plain input are views into it,
/// so its bytes are never copied (no `read(2)` into a buffer, no reader thread in the way
/// of the workers).
///
/// The mapping lives as long as a chunk that views it (each holds a reference); it is
/// unmapped when the last one is given back.
///
/// A file that shrinks while it is mapped makes a read past its new end raise `SIGBUS`; the
/// command line turns that signal into an error message (see `bce`'s `main`).
final class MappedFile: @unchecked Sendable {
  // @unchecked: the mapping is read-only and never changes while the object lives.
  let base: UnsafeRawPointer
  let count: Int

  /// Maps `descriptor` when it is a regular, non-empty file; `nil` otherwise (a pipe, a
  /// terminal, an empty file, or a system that refuses), so that the caller reads it.
  init?(descriptor: Int32) {
    var info = stat()
    guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0
    else { return nil }
    let size = Int(info.st_size)
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
      address != MAP_FAILED
    else { return nil }
    // Read ahead: the workers go through the file once, front to back.
    _ = madvise(address, size, MADV_SEQUENTIAL)
    base = UnsafeRawPointer(address)
    count = size
  }

  deinit {
    munmap(UnsafeMutableRawPointer(mutating: base), count)
  }

  /// Drops the pages of `range`, and of a margin on each side, from this process's memory
  /// once a chunk is done with them, so that resident memory stays at the chunks in flight
  /// rather than growing with the file.
  ///
  /// The margin is the kernel's fault-around window (64 KiB by default): a fault inside a
  /// chunk also maps the cached pages around it, up to that far into its neighbours, and a
  /// neighbour released before then would leave them mapped for good. The file's pages stay
  /// in the page cache; a page that a neighbouring chunk still reads is mapped again on its
  /// next access, with the same bytes.
  func release(_ range: Range<Int>) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let margin = 64 << 10
    let first = max(range.lowerBound - margin, 0) / page * page
    let last = min(range.upperBound + margin, count)
    guard last > first else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base + first), last - first, MADV_DONTNEED)
  }

  /// The bytes `range` of the file.
  subscript(range: Range<Int>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
  }
}
