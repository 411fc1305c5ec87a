import Dispatch
import Synchronization

/// At most `count` chunk buffers, made when first needed; taking one blocks until one is free.
///
/// The pool bounds the pipeline's memory: the readers cannot run further ahead than the
/// buffers allow, whatever the size of the inputs. The readers share it under the budget
/// that ``ReaderSchedule`` keeps, which is why they cannot deadlock on it.
final class BufferPool: Sendable {
  /// The number of buffers.
  let count: Int
  /// Buffers given back and not yet taken again.
  private let free = Mutex<[ChunkBuffer]>([])
  private let available: DispatchSemaphore
  private let capacity: Int

  init(count: Int, capacity: Int) {
    self.count = count
    self.capacity = capacity
    // Start at 0 and signal: libdispatch traps when a semaphore is released with a value
    // below its initial one, which would happen if the pool died with buffers taken.
    available = DispatchSemaphore(value: 0)
    for _ in 0..<count { available.signal() }
  }

  /// A free buffer, reset; blocks until one is returned if all `count` are taken.
  func take() -> ChunkBuffer {
    available.wait()
    // A permit without a free buffer means fewer than `count` have been made: make one.
    return free.withLock { $0.popLast() } ?? ChunkBuffer(capacity: capacity)
  }

  /// Returns a buffer taken from this pool.
  /// Buffers given back and not taken again: how tests check that every chunk came back,
  /// without a ``take()`` that would wait forever for one that did not.
  var idleCount: Int { free.withLock { $0.count } }

  func give(_ buffer: ChunkBuffer) {
    buffer.reset()
    free.withLock { $0.append(buffer) }
    available.signal()
  }
}
