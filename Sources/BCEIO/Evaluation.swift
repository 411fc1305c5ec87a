import BCECore
import Dispatch
import Foundation
import Synchronization

/// What an evaluation produced: the report, and the invalid records it skipped.
public struct EvaluationOutcome: Sendable {
  public var report: Report
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

    var reducer = Reducer(
      inputCount: inputs.count, predictionColumns: options.columns.predictions.count,
      grouped: options.columns.group != nil, binCount: options.rules.binCount)
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
      evaluate(chunks, threads: options.threads)
      for chunk in chunks {
        let problem = reducer.reduce(chunk, inputName: inputs[chunk.input].name)
        pool.give(chunk)
        if let problem {
          if !finished { stop(producer, draining: queue, into: pool) }
          throw problem
        }
      }
      progress.storeRecords(reducer.tally.records)
      if let failure { throw failure }
    }

    let tally = reducer.tally
    if tally.records - tally.skipped == 0 {
      let names = inputs.map(\.name).joined(separator: ", ")
      let detail = tally.skipped > 0 ? " (\(tally.skipped) invalid records skipped)" : ""
      throw BCEError(.data, place: names, "no records to evaluate\(detail)")
    }
    let report = Report(
      tally: tally, predictionNames: options.columns.predictions.map(reportName),
      inputs: inputs.map(\.name), bytesRead: progress.bytesRead,
      bytesDecompressed: progress.bytesDecompressed)
    return EvaluationOutcome(report: report, skippedRecords: reducer.described)
  }

  /// How the report names a prediction column: as the user typed it.
  static func reportName(_ selector: ColumnSelector) -> String {
    switch selector {
    case .name(let name): return name
    case .index(let index): return String(index)
    }
  }

  /// Evaluates every chunk of a batch, on up to `threads` threads; each chunk's result is
  /// written by the one worker that claimed it.
  static func evaluate(_ chunks: [ChunkBuffer], threads: Int) {
    @Sendable func evaluateOne(_ chunk: ChunkBuffer) {
      chunk.result = chunk.evaluator!.evaluate(chunk.unsafeRecords)
    }
    if chunks.count == 1 || threads == 1 {
      chunks.forEach(evaluateOne)
      return
    }
    let claim = ChunkClaim()
    DispatchQueue.concurrentPerform(iterations: min(threads, chunks.count)) { _ in
      while true {
        let index = claim.next()
        if index >= chunks.count { return }
        evaluateOne(chunks[index])
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

/// Merges chunk results in input order, turning chunk-relative lines into input lines.
struct Reducer {
  private(set) var tally: Tally
  private(set) var described: [BCEError] = []
  /// Line ends already passed in each input.
  private var lines: [Int]

  init(inputCount: Int, predictionColumns: Int, grouped: Bool, binCount: Int) {
    tally = Tally(predictionColumns: predictionColumns, grouped: grouped, binCount: binCount)
    lines = Array(repeating: 0, count: inputCount)
  }

  /// Adds one evaluated chunk, the next in input order.
  ///
  /// - Returns: the error to stop with when the chunk stopped at an invalid record.
  mutating func reduce(_ chunk: ChunkBuffer, inputName: String) -> BCEError? {
    let result = chunk.result!
    if chunk.startsInput { lines[chunk.input] = chunk.linesBefore }
    let firstLine = lines[chunk.input] + 1
    for issue in result.issues {
      let error = BCEError.record(inputName, line: firstLine + issue.lineOffset, issue.message)
      if result.failed { return error }
      if described.count < RecordRules.describedIssueLimit { described.append(error) }
    }
    tally.merge(result.tally)
    lines[chunk.input] += result.lines
    return nil
  }
}
