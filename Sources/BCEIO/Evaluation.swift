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

/// Evaluates inputs end to end: a reader thread decompresses and chunks them, batches of
/// chunks are evaluated with `DispatchQueue.concurrentPerform`, and the chunk tallies are
/// merged exactly, in input order.
///
/// Memory is bounded by the chunk pool — 2·threads + 2 chunks — whatever the input size.
public enum Evaluation {
  /// Evaluates `inputs` as one pooled set of records.
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
    let pool = BufferPool(count: 2 * batchLimit + 2, capacity: options.chunkSize)
    let queue = ChunkQueue()
    let producer = ChunkProducer(
      inputs: inputs, options: options, pool: pool, queue: queue, progress: progress)
    let thread = Thread { producer.run() }
    thread.name = "bce-reader"
    thread.start()

    let emptyTally = Tally(
      predictionColumns: options.columns.predictions.count,
      grouped: options.columns.group != nil, binCount: options.rules.binCount)
    let workers = WorkerTallies(count: options.threads, empty: emptyTally)
    var reducer = Reducer(inputCount: inputs.count)
    var finished = false
    while !finished {
      let items = queue.take(upTo: batchLimit)
      var chunks: [ChunkBuffer] = []
      var failure: BCEError? = nil
      for item in items {
        switch item {
        case .chunk(let chunk): chunks.append(chunk)
        case .failure(let error):
          failure = error
          finished = true
        case .end: finished = true
        }
      }
      evaluate(chunks, threads: options.threads, into: workers)
      for chunk in chunks {
        let problem = reducer.reduce(chunk, inputName: inputs[chunk.input].name)
        pool.give(chunk)
        if let problem {
          if !finished { stop(producer, draining: queue, into: pool) }
          throw problem
        }
      }
      progress.storeRecords(workers.records)
      if let failure { throw failure }
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

  /// Tells the reader to stop, and returns every chunk it still hands over until it has.
  static func stop(_ producer: ChunkProducer, draining queue: ChunkQueue, into pool: BufferPool) {
    producer.cancelled.store(true, ordering: .relaxed)
    while true {
      for item in queue.take(upTo: .max) {
        switch item {
        case .chunk(let chunk): pool.give(chunk)
        case .failure, .end: return
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

/// Turns chunk summaries, in input order, into input lines and errors.
struct Reducer {
  private(set) var described: [BCEError] = []
  /// Line ends already passed in each input.
  private var lines: [Int]

  init(inputCount: Int) {
    lines = Array(repeating: 0, count: inputCount)
  }

  /// Accounts for one evaluated chunk, the next in input order.
  ///
  /// - Returns: the error to stop with when the chunk stopped at an invalid record.
  mutating func reduce(_ chunk: ChunkBuffer, inputName: String) -> BCEError? {
    let summary = chunk.summary!
    if chunk.startsInput { lines[chunk.input] = chunk.linesBefore }
    let firstLine = lines[chunk.input] + 1
    for issue in summary.issues {
      let error = BCEError.record(inputName, line: firstLine + issue.lineOffset, issue.message)
      if summary.failed { return error }
      if described.count < RecordRules.describedIssueLimit { described.append(error) }
    }
    lines[chunk.input] += summary.lines
    return nil
  }
}
