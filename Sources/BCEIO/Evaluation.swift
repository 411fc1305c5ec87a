import BCECore
import Dispatch
import Foundation
import Synchronization

/// What an evaluation produced: the report, and the invalid records it skipped.
public struct EvaluationOutcome: Sendable {
  public var report: Report
  /// Everything counted, exactly: what a partial state (``PartialState``) records.
  public var tally: Tally
  /// The first invalid records skipped under `skipInvalid`, in input order, each with its
  /// place (`FILE:LINE`); at most ``RecordRules/describedIssueLimit`` of them.
  public var skippedRecords: [BCEError]
}

/// Evaluates inputs end to end: reader threads decompress and chunk them, several inputs at
/// once, the chunks are evaluated in batches with `DispatchQueue.concurrentPerform` as they
/// arrive from any input, and the chunk tallies are merged exactly; lines and errors are
/// reduced in input order.
///
/// Memory is bounded by the chunk pool — 2·threads + 2 chunks, and 2 more for each reader
/// after the first — whatever the size and the number of the inputs.
public enum Evaluation {
  /// Evaluates `inputs` as one pooled set of records.
  ///
  /// Up to `options.threads` inputs are read at the same time, each by a reader thread of its
  /// own; the outcome is the same as when they are read one after another: the error
  /// reported is the first in input order, skipped records are described in input order.
  ///
  /// - Parameter progress: counters that another thread may watch while this runs.
  /// - Throws: a ``BCEError``: a usage error for a column that does not exist; a data error
  ///   for an unreadable or corrupt input, the first invalid record (without `skipInvalid`),
  ///   or when there are no valid records at all.
  public static func run(
    inputs: [EvaluationInput], options: EvaluationOptions,
    progress: EvaluationProgress = EvaluationProgress()
  ) throws(BCEError) -> EvaluationOutcome {
    precondition(options.threads >= 1 && options.chunkSize >= 1, "threads and chunk size ≥ 1")
    let batchLimit = options.threads
    let readerCount = max(1, min(options.threads, inputs.count))
    // Two batches and two chunks per reader, and room for a BGZF reader's `threads + 1`
    // jobs in flight: without it, those jobs held the chunks that the next batch would need,
    // and inflating waited for each batch to end (with `--threads 2`, 3–4 % more wall time
    // on the bench's BGZF file).
    let pool = BufferPool(
      count: 2 * batchLimit + 2 + 2 * (readerCount - 1) + options.threads + 1,
      capacity: options.chunkSize)
    let queue = ChunkQueue()
    let schedule = ReaderSchedule(inputs: inputs, threads: options.threads, poolCount: pool.count)
    let producer = ChunkProducer(
      inputs: inputs, options: options, pool: pool, queue: queue, schedule: schedule,
      progress: progress)
    for k in 0..<readerCount {
      let thread = Thread { producer.run() }
      thread.name = readerCount == 1 ? "bce-reader" : "bce-reader-\(k)"
      thread.start()
    }

    let emptyTally = Tally(
      predictionColumns: options.columns.predictions.count,
      grouped: options.columns.group != nil, binCount: options.rules.binCount)
    let workers = WorkerTallies(count: options.threads, empty: emptyTally)
    var reducer = Reducer(inputCount: inputs.count)
    var readersRunning = readerCount
    while !reducer.isComplete {
      precondition(readersRunning > 0, "every reader ended before every input did")
      let items = queue.take(upTo: batchLimit)
      // The chunks of an input at or after one that failed are not evaluated: nothing of
      // them would be reported.
      var chunks: [ChunkBuffer] = []
      for case .chunk(let chunk) in items where chunk.input < reducer.failedFrom {
        chunks.append(chunk)
      }
      evaluate(chunks, threads: options.threads, into: workers)
      // Every chunk goes back to the pool now, before the next batch is taken (the readers'
      // budget counts on it, see `ReaderSchedule`), in the order the chunks arrived: each
      // input's in file order. Only the small summaries wait for the inputs before theirs.
      for item in items {
        switch item {
        case .chunk(let chunk):
          reducer.reduce(chunk, inputName: inputs[chunk.input].name)
          pool.give(chunk)
        case .inputEnd(let input): reducer.end(input)
        case .inputFailure(let input, let error): reducer.fail(input, error)
        case .readerEnd: readersRunning -= 1
        }
      }
      progress.storeRecords(workers.records)
      if reducer.failedFrom < .max { schedule.cancel(from: reducer.failedFrom) }
      if let failure = reducer.failure {
        stop(schedule, readersRunning: readersRunning, draining: queue, into: pool)
        throw failure
      }
    }

    let tally = workers.merged()
    if tally.records - tally.skipped == 0 {
      let names = inputs.map(\.name).joined(separator: ", ")
      let detail = tally.skipped > 0 ? " (\(tally.skipped) invalid records skipped)" : ""
      throw BCEError(.data, place: names, "no records to evaluate\(detail)")
    }
    let report = Report(
      tally: tally, predictionNames: options.columns.predictions.map(reportName),
      inputs: inputs.map(\.name), bytesRead: progress.bytesRead,
      bytesDecompressed: progress.bytesDecompressed)
    try checkWeights(report, place: inputs.map(\.name).joined(separator: ", "))
    return EvaluationOutcome(report: report, tally: tally, skippedRecords: reducer.described)
  }

  /// Fails when the weights sum beyond the double range: Σw would round to +∞ and every
  /// mean to 0 or NaN, which would be reported as if it were a result.
  ///
  /// - Throws: a data error at `place`.
  public static func checkWeights(_ report: Report, place: String) throws(BCEError) {
    guard let row = report.results.first(where: { $0.metrics.weightSum.isInfinite }) else {
      return
    }
    var name = "'\(row.prediction)'"
    if let group = row.group { name += " group '\(group)'" }
    throw BCEError(
      .data, place: place,
      "the weights of \(name) sum to more than the largest double; scale them down")
  }

  /// How the report names a prediction column: as the user typed it.
  static func reportName(_ selector: ColumnSelector) -> String {
    switch selector {
    case .name(let name): return name
    case .index(let index): return String(index)
    }
  }

  /// Evaluates every chunk of a batch on up to `threads` workers. Worker `w` adds the terms
  /// of the chunks it claims to tally `w`, and writes each claimed chunk's summary.
  static func evaluate(_ chunks: [ChunkBuffer], threads: Int, into workers: WorkerTallies) {
    @Sendable func evaluateOne(_ chunk: ChunkBuffer, worker: Int) {
      chunk.summary = workers.withTally(worker) { tally in
        chunk.evaluator!.evaluate(chunk.unsafeRecords, into: &tally)
      }
    }
    if chunks.count == 1 || threads == 1 {
      for chunk in chunks { evaluateOne(chunk, worker: 0) }
      return
    }
    let claim = ChunkClaim()
    DispatchQueue.concurrentPerform(iterations: min(threads, chunks.count)) { worker in
      while true {
        let index = claim.next()
        if index >= chunks.count { return }
        evaluateOne(chunks[index], worker: worker)
      }
    }
  }

  /// Cancels every input, and gives back every chunk the readers still hand over until
  /// the `readersRunning` readers still running have ended.
  static func stop(
    _ schedule: ReaderSchedule, readersRunning: Int, draining queue: ChunkQueue,
    into pool: BufferPool
  ) {
    schedule.cancel(from: 0)
    var running = readersRunning
    while running > 0 {
      for item in queue.take(upTo: .max) {
        switch item {
        case .chunk(let chunk): pool.give(chunk)
        case .readerEnd: running -= 1
        case .inputEnd, .inputFailure: break
        }
      }
    }
  }
}

/// Hands out chunk indexes to the workers of one batch, each index once.
final class ChunkClaim: Sendable {
  private let counter = Atomic<Int>(0)

  func next() -> Int { counter.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// One tally per worker of `concurrentPerform`, kept across batches, merged at the end.
///
/// Keeping a worker's tally across chunks (rather than one tally per chunk) means a chunk
/// never builds and merges a table of groups of its own: with many groups, that merge would
/// dominate. Exactness makes the split between workers irrelevant to the result.
///
/// One writer per slot (why `@unchecked Sendable` is sound): during a batch, slot `w` is
/// touched only by the worker running iteration `w` of `concurrentPerform`, which runs each
/// iteration once; between batches only the evaluator's thread reads the slots.
final class WorkerTallies: @unchecked Sendable {
  private let slots: UnsafeMutablePointer<Tally>
  let count: Int

  init(count: Int, empty: Tally) {
    self.count = count
    slots = .allocate(capacity: count)
    slots.initialize(repeating: empty, count: count)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }

  /// Runs `body` on worker `worker`'s tally; only that worker may call this during a batch.
  func withTally<R>(_ worker: Int, _ body: (inout Tally) -> R) -> R {
    body(&slots[worker])
  }

  /// Records counted so far by every worker (between batches only).
  var records: Int { (0..<count).reduce(0) { $0 + slots[$1].records } }

  /// Every worker's tally, merged (after the last batch).
  func merged() -> Tally {
    var total = slots[0]
    for w in 1..<count { total.merge(slots[w]) }
    return total
  }
}

/// Turns chunk summaries into input lines and errors, and picks the error to report and
/// the skipped records to describe in input order, whatever order the inputs end in.
///
/// Line numbers are counted within each input, from its own chunks, which arrive in order;
/// only the choice between inputs waits for the inputs before. So each input not yet
/// reduced keeps a few numbers, at most ``RecordRules/describedIssueLimit`` skipped records
/// and its first error — never its chunks.
struct Reducer {
  /// The first skipped records of the inputs before ``next``, in input order.
  private(set) var described: [BCEError] = []
  /// The first input that has not ended, or that failed: every input before it ended
  /// without an error.
  private(set) var next = 0
  /// The first input known to have failed (`Int.max`: none); nothing of the inputs after it
  /// matters any more.
  private(set) var failedFrom = Int.max
  private let inputCount: Int
  /// What is known of the inputs from ``next`` on that have handed over anything.
  private var pending: [Int: InputState] = [:]

  /// What is known of one input.
  private struct InputState {
    /// Line ends already passed.
    var lines = 0
    /// Its first skipped records.
    var described: [BCEError] = []
    var failure: BCEError? = nil
    var ended = false
  }

  init(inputCount: Int) {
    self.inputCount = inputCount
  }

  /// Whether every input has ended, or the first that has not ended failed.
  var isComplete: Bool { next == inputCount || failure != nil }

  /// The error to report: that of the first input that has not ended, once known.
  var failure: BCEError? { pending[next]?.failure }

  /// Accounts for one chunk, the next of its input (one not evaluated must belong to an
  /// input at or after ``failedFrom``).
  mutating func reduce(_ chunk: ChunkBuffer, inputName: String) {
    guard chunk.input < failedFrom else { return }
    let summary = chunk.summary!
    var state = pending[chunk.input, default: InputState()]
    if chunk.startsInput { state.lines = chunk.linesBefore }
    let firstLine = state.lines + 1
    for issue in summary.issues {
      let error = BCEError.record(inputName, line: firstLine + issue.lineOffset, issue.message)
      if summary.failed {
        pending[chunk.input] = state
        fail(chunk.input, error)
        return
      }
      if state.described.count < RecordRules.describedIssueLimit {
        state.described.append(error)
      }
    }
    state.lines += summary.lines
    pending[chunk.input] = state
  }

  /// Every chunk of `input` has been reduced.
  mutating func end(_ input: Int) {
    guard input < failedFrom else { return }
    pending[input, default: InputState()].ended = true
    advance()
  }

  /// `input` stopped at `error` (its first).
  mutating func fail(_ input: Int, _ error: BCEError) {
    guard input < failedFrom else { return }
    pending[input, default: InputState()].failure = error
    failedFrom = input
    // The inputs after it will never be reported on.
    pending = pending.filter { $0.key <= input }
  }

  /// Moves ``next`` past the inputs that have ended, collecting their skipped records.
  private mutating func advance() {
    while let state = pending[next], state.ended, state.failure == nil {
      for error in state.described where described.count < RecordRules.describedIssueLimit {
        described.append(error)
      }
      pending[next] = nil
      next += 1
    }
  }
}
