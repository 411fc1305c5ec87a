import BCECore
import Dispatch
import Synchronization

/// What the reader hands to the evaluator, in input order.
enum ReaderItem: Sendable {
  case chunk(ChunkBuffer)
  /// The reader stopped at an error; nothing follows.
  case failure(BCEError)
  /// Every input has been read; nothing follows.
  case end
}

/// The reader-to-evaluator handoff: a FIFO whose consumer takes whatever has arrived.
///
/// It needs no capacity limit: the ``BufferPool`` already bounds how many chunks exist.
final class ChunkQueue: Sendable {
  private let items = Mutex<[ReaderItem]>([])
  private let arrived = DispatchSemaphore(value: 0)

  func put(_ item: ReaderItem) {
    items.withLock { $0.append(item) }
    arrived.signal()
  }

  /// Waits for at least one item, then takes every item that has arrived, up to `limit`.
  func take(upTo limit: Int) -> [ReaderItem] {
    arrived.wait()
    var taken = 1
    // The first wait accounts for one item; the others are already counted as arrived.
    while taken < limit && arrived.wait(timeout: .now()) == .success { taken += 1 }
    return items.withLock { queue in
      let batch = Array(queue.prefix(taken))
      queue.removeFirst(taken)
      return batch
    }
  }
}
