import Foundation
import Synchronization

/// Which input each reader thread reads next, when it may start it, and which inputs are
/// cancelled.
///
/// Inputs are admitted one at a time, in input order, each to the reader that asks first;
/// several readers read their inputs at the same time. Admission is how the readers share
/// the ``BufferPool`` without starving each other.
///
/// The budget (why the readers cannot deadlock on the pool). A reader that reads an input
/// of kind k holds at most `m(k)` pool chunks at once: 1 for a mapped file (it hands each
/// chunk over as soon as it is cut), 2 for a stream (the chunk being filled, and the next one
/// the partial record goes to), 2·threads + 1 for BGZF (the chunk being stitched, and the
/// 2·threads jobs in flight, ``BGZFReader/jobsInFlight(threads:)``). An admitted input
/// *commits* `m(k) − 1` credits, out of `pool.count − 1`. Then, whenever every reader is blocked in ``BufferPool/take()``, each
/// holds at most `m(k) − 1` chunks (it is asking for one more), so the readers hold at
/// most `pool.count − 1` together: at least one chunk is on the ``ChunkQueue`` or with the
/// evaluator. The evaluator never waits for a reader while it holds chunks — it gives back
/// every chunk of a batch once the batch is evaluated, before it takes the next — so that
/// chunk comes back, and a reader goes on. Reading the compressed bytes and inflating BGZF
/// jobs never wait for the pool.
///
/// An input's kind is known only once it is opened and its first bytes are read, so an
/// input is admitted with the most any kind commits (``ceiling``, the jobs in flight) and
/// ``settle(keeping:)`` gives back what its kind does not need. A reader alone always fits
/// (`ceiling ≤ pool.count − 1`), so the first input not admitted yet is admitted as soon
/// as the readers ahead of it finish; inputs are admitted in order, so none waits forever.
///
/// Standard input (`-`, more than once) is one stream: an input that reads it is not
/// admitted while another one that does is still being read, so the first takes every byte,
/// as when the inputs were read one after another.
final class ReaderSchedule: @unchecked Sendable {
  // @unchecked: every mutable field but `cancelFrom` (an atomic) is read and written only
  // with `condition` locked.
  private let condition = NSCondition()
  /// Whether each input reads standard input.
  private let readsStandardInput: [Bool]
  /// The next input to admit.
  private var next = 0
  /// Credits not committed to an admitted input.
  private var free: Int
  private var standardInputBusy = false
  /// Inputs from this index on are cancelled (`Int.max`: none).
  private let cancelFrom = Atomic<Int>(.max)

  /// Credits an input commits until its kind is known: the most a BGZF input holds, less one.
  let ceiling: Int

  /// A schedule for `inputs` read by readers that share `poolCount` chunks, each BGZF input
  /// inflating on `threads` threads.
  init(inputs: [EvaluationInput], threads: Int, poolCount: Int) {
    ceiling = BGZFReader.jobsInFlight(threads: threads)
    precondition(ceiling <= poolCount - 1, "one reader alone must fit the pool")
    readsStandardInput = inputs.map(\.readsStandardInput)
    free = poolCount - 1
  }

  /// The credits an input of each kind commits once it is known: the most chunks its reader
  /// holds at once, less one.
  static func commitment(mapped: Bool, blocks: Bool, threads: Int) -> Int {
    mapped ? 0 : blocks ? BGZFReader.jobsInFlight(threads: threads) : 1
  }

  /// Waits until the next input may be read, and returns its index with ``ceiling`` credits
  /// committed to it; `nil` when every input has been admitted or the next one is cancelled.
  func admitNext() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if next >= readsStandardInput.count || isCancelled(next) { return nil }
      if free >= ceiling && !(readsStandardInput[next] && standardInputBusy) { break }
      condition.wait()
    }
    let index = next
    next += 1
    free -= ceiling
    if readsStandardInput[index] { standardInputBusy = true }
    return index
  }

  /// Gives back the credits that an admitted input does not need now that its kind is
  /// known: it keeps `kept` (≤ ``ceiling``).
  func settle(keeping kept: Int) {
    precondition(kept <= ceiling)
    release(ceiling - kept, standardInput: false)
  }

  /// Ends an admitted input: gives back the `kept` credits it still commits, and standard
  /// input when it read it.
  func finish(input index: Int, kept: Int) {
    release(kept, standardInput: readsStandardInput[index])
  }

  private func release(_ credits: Int, standardInput: Bool) {
    guard credits > 0 || standardInput else { return }
    condition.lock()
    free += credits
    if standardInput { standardInputBusy = false }
    condition.broadcast()
    condition.unlock()
  }

  /// Whether input `index` is cancelled: its reader stops at the next chunk.
  func isCancelled(_ index: Int) -> Bool {
    index >= cancelFrom.load(ordering: .relaxed)
  }

  /// Cancels input `index` and every input after it (an earlier cancellation stands), and
  /// wakes the readers waiting to be admitted.
  func cancel(from index: Int) {
    var current = cancelFrom.load(ordering: .relaxed)
    while index < current {
      let (exchanged, original) = cancelFrom.compareExchange(
        expected: current, desired: index, ordering: .relaxed)
      if exchanged { break }
      current = original
    }
    condition.lock()
    condition.broadcast()
    condition.unlock()
  }
}
