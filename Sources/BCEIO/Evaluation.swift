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
/// once, the chunks are evaluated with `DispatchQueue.concurrentPerform` as they
/// arrive from any input, and the chunk tallies are merged exactly; lines and errors are
/// reduced in input order.
///
/// Memory is bounded by the chunk pool — 4·threads + 2 chunks, and 2 more for each reader
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
    let readerCount = max(1, min(options.threads, inputs.count))
    // Twice the chunks that the workers evaluate at once, two chunks per reader, and room
    // for a BGZF reader's jobs in flight: without it, those jobs held the chunks that the
    // workers would need next, and inflating waited for the workers (with `--threads 2`,
    // 3–4 % more wall time on the bench's BGZF file).
    let pool = BufferPool(
      count: 2 * options.threads + 2 + 2 * (readerCount - 1)
        + BGZFReader.jobsInFlight(threads: options.threads),
      capacity: options.chunkSize)
    let queue = ChunkQueue()
    let schedule = ReaderSchedule(inputs: inputs, threads: options.threads, poolCount: pool.count)
    // One crew inflates every BGZF reader's jobs: `threads` threads in all, however many
    // BGZF inputs are read at once. Every job has run by the time the run completes or has
    // stopped its readers, so the crew ends with the run.
    let crew = InflationCrew(threads: options.threads, name: "bce-inflate")
    defer { crew.finish() }
    let producer = ChunkProducer(
      inputs: inputs, options: options, pool: pool, queue: queue, schedule: schedule,
      progress: progress, crew: crew)
    for k in 0..<readerCount {
      let thread = Thread { producer.run() }
      thread.name = readerCount == 1 ? "bce-reader" : "bce-reader-\(k)"
      thread.start()
    }

    let emptyTally = Tally(
      predictionColumns: options.columns.predictions.count,
      grouped: options.columns.group != nil, binCount: options.rules.binCount)
    let workers = WorkerTallies(count: options.threads, empty: emptyTally)
    let reduction = OrderedReduction(
      inputNames: inputs.map(\.name), readers: readerCount, pool: pool, schedule: schedule)
    @Sendable func evaluateOne(_ chunk: ChunkBuffer, worker: Int) {
      let records = workers.withTally(worker) { tally in
        let before = tally.records
        chunk.summary = chunk.evaluator!.evaluate(chunk.unsafeRecords, into: &tally)
        return tally.records - before
      }
      progress.addRecords(records)
    }
    // One `concurrentPerform` for the whole run: every worker takes the next item as it
    // arrives, evaluates it if it is a chunk, and has it reduced (in arrival order, see
    // `OrderedReduction`), until the run is complete. No barrier after every few chunks,
    // where one worker waited for the other and then for its thread to be woken again
    // (`scripts/utilization.sh`, `--threads 2`: 1.75 CPUs busy on the bench's plain file
    // with batches, 1.97 with one `concurrentPerform`). A worker
    // waits for the readers on its thread; nothing else of bce runs on Dispatch's threads
    // (the BGZF reader inflates on an `InflationCrew`).
    DispatchQueue.concurrentPerform(iterations: options.threads) { worker in
      while !reduction.isComplete, let (sequence, item) = queue.next() {
        // The chunks of an input at or after one that failed are not evaluated: nothing of
        // them would be reported.
        if case .chunk(let chunk) = item, chunk.input < reduction.failedFrom {
          evaluateOne(chunk, worker: worker)
        }
        // The worker that completes the run wakes the others, waiting for items.
        if reduction.finish(sequence, item) { queue.wake(options.threads) }
      }
    }
    if let failure = reduction.failure {
      stop(schedule, readersRunning: reduction.readersRunning, draining: queue, into: pool)
      throw failure
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
    return EvaluationOutcome(
      report: report, tally: tally, skippedRecords: reduction.described)
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

/// The items of a run, reduced in the order they arrived whichever worker finished them:
/// each input's chunks in file order, as ``Reducer`` needs them for line numbers, and given
/// back to the pool in that order (a mapped file drops its pages in file order, see
/// ``MappedFile/release(upTo:)``).
///
/// A worker that finishes an item before the items ahead of it leaves it here; the worker
/// that finishes the last item missing reduces every finished item up to the next one not
/// finished. No worker ever waits for another: each finishes the item it took, so the items
/// left here are reduced before the run ends.
final class OrderedReduction: Sendable {
  private struct State {
    var reducer: Reducer
    /// Finished items not yet reduced, by number.
    var finished: [Int: ReaderItem] = [:]
    /// The number of the next item to reduce.
    var next = 0
    var readersRunning: Int
  }
  private let state: Mutex<State>
  private let inputNames: [String]
  private let pool: BufferPool
  private let schedule: ReaderSchedule
  /// ``Reducer/failedFrom`` and ``Reducer/isComplete``, readable without the lock.
  private let failedFromNow = Atomic<Int>(.max)
  private let completeNow = Atomic<Bool>(false)

  init(inputNames: [String], readers: Int, pool: BufferPool, schedule: ReaderSchedule) {
    state = Mutex(State(reducer: Reducer(inputCount: inputNames.count), readersRunning: readers))
    self.inputNames = inputNames
    self.pool = pool
    self.schedule = schedule
  }

  /// The first input known to have failed (`Int.max`: none).
  var failedFrom: Int { failedFromNow.load(ordering: .acquiring) }
  /// Whether every input has ended, or the first that has not ended failed.
  var isComplete: Bool { completeNow.load(ordering: .acquiring) }
  /// The error to report, once known.
  var failure: BCEError? { state.withLock { $0.reducer.failure } }
  /// Reader threads that have not ended.
  var readersRunning: Int { state.withLock { $0.readersRunning } }
  /// The first skipped records, in input order.
  var described: [BCEError] { state.withLock { $0.reducer.described } }

  /// Item `sequence` (its number from ``ChunkQueue/next()``) is finished: evaluated,
  /// if it is a chunk to evaluate. Reduces it and the finished items after it, in order,
  /// once every item before it is reduced, and gives their chunks back to the pool.
  ///
  /// - Returns: whether this made the run complete (``isComplete``).
  func finish(_ sequence: Int, _ item: ReaderItem) -> Bool {
    state.withLock { state in
      let wasComplete = state.reducer.isComplete
      state.finished[sequence] = item
      while let item = state.finished.removeValue(forKey: state.next) {
        state.next += 1
        switch item {
        case .chunk(let chunk):
          state.reducer.reduce(chunk, inputName: inputNames[chunk.input])
          pool.give(chunk)
        case .inputEnd(let input): state.reducer.end(input)
        case .inputFailure(let input, let error): state.reducer.fail(input, error)
        case .readerEnd: state.readersRunning -= 1
        }
      }
      precondition(
        state.readersRunning > 0 || state.reducer.isComplete,
        "every reader ended before every input did")
      if state.reducer.failedFrom < .max { schedule.cancel(from: state.reducer.failedFrom) }
      failedFromNow.store(state.reducer.failedFrom, ordering: .releasing)
      completeNow.store(state.reducer.isComplete, ordering: .releasing)
      return state.reducer.isComplete && !wasComplete
    }
  }
}

/// One tally per worker of `concurrentPerform`, merged at the end.
///
/// Keeping a worker's tally across chunks (rather than one tally per chunk) means a chunk
/// never builds and merges a table of groups of its own: with many groups, that merge would
/// dominate. Exactness makes the split between workers irrelevant to the result.
///
/// One writer per slot (why `@unchecked Sendable` is sound): during the run, slot `w` is
/// touched only by the worker running iteration `w` of `concurrentPerform`, which runs each
/// iteration once; after it only the evaluator's thread reads the slots.
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

  /// Runs `body` on worker `worker`'s tally; only that worker may call this during the run.
  func withTally<R>(_ worker: Int, _ body: (inout Tally) -> R) -> R {
    body(&slots[worker])
  }

  /// Every worker's tally, merged (after the run).
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
