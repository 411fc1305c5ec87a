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

/// The readers-to-evaluator handoff: a FIFO whose consumer takes whatever has arrived.
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
