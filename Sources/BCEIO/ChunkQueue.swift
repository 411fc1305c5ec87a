import BCECore
import Dispatch
import Synchronization

/// What the readers hand to the evaluator. The items about one input come in its order —
/// its chunks, then `.inputEnd` or `.inputFailure` — but interleaved with other inputs'.
enum ReaderItem: Sendable {
  case chunk(ChunkBuffer)
  /// Every chunk of the input has been handed over.
  case inputEnd(Int)
  /// The reader of the input stopped at an error; no chunk of that input follows.
  case inputFailure(Int, BCEError)
  /// A reader thread has no input left to read (or was cancelled); nothing follows from it.
  case readerEnd
}

/// The readers-to-evaluator handoff: a FIFO from which the evaluator's workers take items
/// one at a time, each numbered in the order of arrival.
///
/// It needs no capacity limit: the ``BufferPool`` already bounds how many chunks exist.
final class ChunkQueue: Sendable {
  private let items = Mutex<(queued: [ReaderItem], taken: Int)>(([], 0))
  /// Counts the items queued: every take of an item first takes one of its signals.
  private let arrived = DispatchSemaphore(value: 0)

  func put(_ item: ReaderItem) {
    items.withLock { $0.queued.append(item) }
    arrived.signal()
  }

  /// The first item, waiting for one to arrive, with its number: 0 for the first item taken
  /// this way, then 1, 2, … in the order the items arrived (whichever thread takes them);
  /// `nil` when woken by ``wake(_:)`` with no item queued.
  func next() -> (sequence: Int, item: ReaderItem)? {
    arrived.wait()
    return items.withLock { state in
      if state.queued.isEmpty { return nil }  // the signal of a wake-up, not of an item
      defer { state.taken += 1 }
      return (state.taken, state.queued.removeFirst())
    }
  }

  /// Makes up to `waiters` calls of ``next()`` that wait now return (`nil` when no item has
  /// arrived).
  func wake(_ waiters: Int) {
    for _ in 0..<waiters { arrived.signal() }
  }

  /// Waits for at least one item, then takes every item that has arrived, up to `limit`
  /// (for draining the queue; not numbered).
  func take(upTo limit: Int) -> [ReaderItem] {
    arrived.wait()
    var taken = 1
    // The first wait accounts for one item; the others are already counted as arrived.
    while taken < limit && arrived.wait(timeout: .now()) == .success { taken += 1 }
    return items.withLock { state in
      // Fewer when some signals were wake-ups.
      let batch = Array(state.queued.prefix(taken))
      state.queued.removeFirst(batch.count)
      return batch
    }
  }
}
