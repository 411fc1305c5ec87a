import Dispatch
import Foundation
import Synchronization

/// Threads of its own that run the work given to them in the order it was given, each piece
/// on the first thread free: the BGZF reader's inflate jobs.
///
/// Its own threads, not Dispatch's global queue: the evaluator's workers run in
/// `concurrentPerform` on that queue's threads, and a worker waiting a moment for the next
/// chunk holds its thread; inflate jobs queued behind it there ran on fewer threads than
/// asked for (with `--threads 2` and ISA-L, 1.6–1.7 CPUs busy instead of 1.85).
final class InflationCrew: Sendable {
  private let work = Mutex<[(@Sendable () -> Void)?]>([])
  private let given = DispatchSemaphore(value: 0)
  private let size: Int

  /// Starts `threads` threads, named `name` in debuggers.
  init(threads: Int, name: String) {
    precondition(threads >= 1, "at least one thread")
    size = threads
    for _ in 0..<threads {
      let thread = Thread { [self] in
        while true {
          given.wait()
          guard let piece = work.withLock({ $0.removeFirst() }) else { return }
          piece()
        }
      }
      thread.name = name
      thread.start()
    }
  }

  /// Runs `piece` on the first thread free, after the pieces given before it have started.
  func run(_ piece: @escaping @Sendable () -> Void) {
    work.withLock { $0.append(piece) }
    given.signal()
  }

  /// Ends every thread once the pieces given so far have run; nothing may be given after.
  func finish() {
    work.withLock { $0 += Array(repeating: nil, count: size) }
    for _ in 0..<size { given.signal() }
  }
}
