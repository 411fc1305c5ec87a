import Dispatch
import Synchronization

/// A fixed set of chunk buffers; taking one blocks until one is free.
///
/// The pool bounds the pipeline's memory: the reader cannot run further ahead than the
/// buffers allow, whatever the size of the input.
final class BufferPool: Sendable {
  private let free: Mutex<[ChunkBuffer]>
  private let available: DispatchSemaphore

  init(count: Int, capacity: Int) {
    free = Mutex((0..<count).map { _ in ChunkBuffer(capacity: capacity) })
    // Start at 0 and signal: libdispatch traps when a semaphore is released with a value
    // below its initial one, which would happen if the pool died with buffers taken.
    available = DispatchSemaphore(value: 0)
    for _ in 0..<count { available.signal() }
  }

  /// A free buffer, reset; blocks until one is returned if none is free.
  func take() -> ChunkBuffer {
    available.wait()
    return free.withLock { $0.removeLast() }
  }

  /// Returns a buffer taken from this pool.
  func give(_ buffer: ChunkBuffer) {
    buffer.reset()
    free.withLock { $0.append(buffer) }
    available.signal()
  }
}
