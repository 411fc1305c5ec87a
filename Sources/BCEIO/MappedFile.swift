import BCECore
import Synchronization

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
/// A file that shrinks while it is mapped makes a read past its new end raise `SIGBUS`;
/// ``TruncationGuard`` turns that signal into an error line naming the file.
final class MappedFile: @unchecked Sendable {
  // @unchecked: the mapping is read-only and never changes while the object lives; the
  // one mutable field is behind a mutex.
  let base: UnsafeRawPointer
  let count: Int
  /// Where the pages dropped so far end (see ``release(upTo:)``).
  private let releasedEnd = Mutex(0)
  /// This mapping's entry in ``TruncationGuard``'s table.
  private let guardSlot: Int?

  /// Maps `descriptor`, the file named `name` in messages, when it is a regular, non-empty
  /// file; `nil` otherwise (a pipe, a terminal, an empty file, or a system that refuses), so
  /// that the caller reads it.
  init?(descriptor: Int32, name: String) {
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
    guardSlot = TruncationGuard.register(base, count: size, name: name)
  }

  deinit {
    if let guardSlot { TruncationGuard.unregister(guardSlot) }
    munmap(UnsafeMutableRawPointer(mutating: base), count)
  }

  /// Drops the pages before `end` from this process's memory once the chunk that ends there
  /// is done, so that resident memory stays at the chunks in flight rather than growing with
  /// the file.
  ///
  /// Chunks are given back in file order (the evaluator gives back each batch's chunks in
  /// the order they arrived, and one reader hands over a file's chunks in order), so every
  /// page before `end` belongs to a chunk that is done. A fault in a chunk still in flight
  /// also maps cached pages around it — as far as a whole large folio, up to 2 MiB —
  /// possibly behind the pages already dropped; each drop covers those again, from 2 MiB
  /// before the previous end. The file's pages stay in the page cache; a page read again is
  /// mapped again, with the same bytes.
  ///
  /// Pages are dropped 8 MiB at a time (and at the end of the file), not at every chunk:
  /// each `madvise` flushes the mapping from the TLB of every other CPU that runs the
  /// process, by an interrupt to each. With one worker on 2 CPUs, dropping at every 1 MiB
  /// chunk put 6.9 % of a `perf record` of `--threads 1 -g model` on the bench's plain file
  /// in the kernel's cross-CPU calls, and 8 MiB steps took 8 % off the wall time of
  /// `--threads 1` on that file (by hand, 9 interleaved runs; with 2 workers, about 1 %).
  /// They keep up to 8 MiB more of the file resident.
  func release(upTo end: Int) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let margin = 2 << 20
    let step = 8 << 20
    releasedEnd.withLock { releasedEnd in
      let first = max(releasedEnd - margin, 0) / page * page
      let last = min(end, count) / page * page
      guard last >= releasedEnd + step || (end >= count && last > first) else { return }
      _ = madvise(UnsafeMutableRawPointer(mutating: base + first), last - first, MADV_DONTNEED)
      releasedEnd = max(releasedEnd, last)
    }
  }

  /// The bytes `range` of the file.
  subscript(range: Range<Int>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
  }
}
