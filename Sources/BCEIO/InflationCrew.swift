import Dispatch
import Foundation
import Synchronization

/// Threads of its own that run the work given to them in the order it was given, each piece
/// on the first thread free: the BGZF readers' inflate jobs.
///
/// Its own threads, not Dispatch's global queue: the evaluator's workers run in one
/// `concurrentPerform` on that queue's threads for the whole run, and a worker that waits
/// for the next chunk keeps its thread. Inflate jobs queued on the global queue could then
/// find no thread free — and the workers would wait for chunks that those jobs make.
final class InflationCrew: Sendable {
  private struct State {
    var work: [(@Sendable () -> Void)?] = []
    /// Whether the threads have been started (at the first piece of work: a run without
    /// BGZF input starts none).
    var started = false
  }
  private let state = Mutex(State())
  private let given = DispatchSemaphore(value: 0)
  private let size: Int
  private let name: String

  /// A crew of `threads` threads, named `name` in debuggers, started when first needed.
  init(threads: Int, name: String) {
    precondition(threads >= 1, "at least one thread")
    size = threads
    self.name = name
  }

  /// Runs `piece` on the first thread free, after the pieces given before it have started.
  func run(_ piece: @escaping @Sendable () -> Void) {
    let start = state.withLock { state in
      state.work.append(piece)
      defer { state.started = true }
      return !state.started
    }
    if start {
      for _ in 0..<size {
        let thread = Thread { [self] in
          while true {
            given.wait()
            guard let piece = state.withLock({ $0.work.removeFirst() }) else { return }
            piece()
          }
        }
        thread.name = name
        thread.start()
      }
    }
    given.signal()
  }

  /// Ends every thread once the pieces given so far have run; nothing may be given after.
  func finish() {
    let started = state.withLock { state in
      if state.started { state.work += Array(repeating: nil, count: size) }
      return state.started
    }
    if started { for _ in 0..<size { given.signal() } }
  }
}
