import BCECore
import BCETestSupport
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import BCEIO

/// How one input of a test is stored.
private enum Kind: CaseIterable {
  case csv, csvWithMark, tsv, jsonl, gzip, gzipMembers, bgzf, jsonlGzip, empty, headerOnly
}

/// One input of a test: its name (whose extension gives its format) and its bytes.
private struct Part {
  var name: String
  var bytes: [UInt8]
  /// The number of bytes after decompression (`bytes.count` when they are not gzip).
  var decodedCount: Int

  init(name: String, bytes: [UInt8], decodedCount: Int? = nil) {
    self.name = name
    self.bytes = bytes
    self.decodedCount = decodedCount ?? bytes.count
  }
}

/// Rows of label and prediction text; those at `bad` hold an invalid prediction.
private func rows(_ count: Int, seed: UInt64, bad: Set<Int> = []) -> [(String, String)] {
  var rng = SplitMix64(seed: seed)
  let labels = ["0", "1", "1", "0", "0.25", "true"]
  let predictions = ["0.1", ".9", "0.35", "2.5e-3", "1", "0", "0.999999999999", "1e-300"]
  return (0..<count).map { i in
    let label = labels[Int(rng.next() % UInt64(labels.count))]
    let pred = predictions[Int(rng.next() % UInt64(predictions.count))]
    return (label, bad.contains(i) ? "1.5" : pred)
  }
}

/// The text of `rows` as a CSV log with a header, some records spanning two lines (a quoted
/// line break), blank lines and CRLF line ends.
private func csv(_ rows: [(String, String)], delimiter: String = ",") -> String {
  var text = "label\(delimiter)pred\(delimiter)note\n"
  for (i, (label, pred)) in rows.enumerated() {
    let note = delimiter == "," && i % 5 == 2 ? "\"two\nlines, quoted\"" : "n\(i)"
    text += "\(label)\(delimiter)\(pred)\(delimiter)\(note)" + (i % 3 == 0 ? "\r\n" : "\n")
    if i % 11 == 7 { text += "\n" }
  }
  return text
}

/// The text of `rows` as JSON Lines.
private func jsonl(_ rows: [(String, String)]) -> String {
  rows.map { "{\"label\": \($0.0), \"pred\": \"\($0.1)\", \"x\": [1, 2]}\n" }.joined()
}

/// The 1-based line of row `row` in ``csv(_:delimiter:)``'s text (the header is line 1).
private func csvLine(of row: Int, in rows: [(String, String)]) -> Int {
  let text = csv(Array(rows[..<row]))
  return text.utf8.filter { $0 == UInt8(ascii: "\n") }.count + 1
}

/// An input of `kind` holding `rows`, named after its position.
private func part(_ kind: Kind, _ rows: [(String, String)], index: Int) -> Part {
  let text = Array(csv(rows).utf8)
  switch kind {
  case .csv: return Part(name: "p\(index).csv", bytes: text)
  case .csvWithMark: return Part(name: "p\(index).csv", bytes: [0xEF, 0xBB, 0xBF] + text)
  case .tsv: return Part(name: "p\(index).tsv", bytes: Array(csv(rows, delimiter: "\t").utf8))
  case .jsonl: return Part(name: "p\(index).jsonl", bytes: Array(jsonl(rows).utf8))
  case .gzip:
    return Part(name: "p\(index).csv.gz", bytes: gzipMember(text), decodedCount: text.count)
  case .gzipMembers:
    let cut = text.count / 3
    return Part(
      name: "p\(index).csv.gz",
      bytes: gzipMember(Array(text[..<cut])) + gzipMember(Array(text[cut...])),
      decodedCount: text.count)
  case .bgzf:
    return Part(
      name: "p\(index).csv.gz", bytes: bgzf(text, blockSize: 97), decodedCount: text.count)
  case .jsonlGzip:
    let lines = Array(jsonl(rows).utf8)
    return Part(name: "p\(index).jsonl.gz", bytes: gzipMember(lines), decodedCount: lines.count)
  case .empty: return Part(name: "p\(index).csv", bytes: [])
  case .headerOnly: return Part(name: "p\(index).csv", bytes: Array("label,pred,note\n".utf8))
  }
}

/// 1 to 9 inputs of random kinds and sizes, some with invalid records.
private func randomParts(seed: UInt64) -> [Part] {
  var rng = SplitMix64(seed: seed)
  let count = Int(rng.next() % 9) + 1
  return (0..<count).map { index in
    let kind = Kind.allCases[Int(rng.next() % UInt64(Kind.allCases.count))]
    let size = Int(rng.next() % 150)
    var bad: Set<Int> = []
    if size > 0 && rng.next() % 4 == 0 {
      for _ in 0...(rng.next() % 3) { bad.insert(Int(rng.next() % UInt64(size))) }
    }
    return part(kind, rows(size, seed: seed &* 31 &+ UInt64(index), bad: bad), index: index)
  }
}

/// Everything an evaluation gives that the inputs decide: the report and the skipped
/// records, or the error.
private struct Outcome: Equatable {
  var report: Report
  var skipped: [BCEError]
}

private func evaluate(
  _ inputs: [EvaluationInput], threads: Int, chunkSize: Int = EvaluationOptions.defaultChunkSize,
  skipInvalid: Bool = false
) -> Result<Outcome, BCEError> {
  var options = EvaluationOptions()
  options.threads = threads
  options.chunkSize = chunkSize
  options.rules.skipInvalid = skipInvalid
  return Result { () throws(BCEError) in
    let outcome = try Evaluation.run(inputs: inputs, options: options)
    return Outcome(report: outcome.report, skipped: outcome.skippedRecords)
  }
}

private func inputs(_ parts: [Part]) -> [EvaluationInput] {
  parts.map { .bytes($0.bytes, name: $0.name, pieceSize: 4096) }
}

/// A value shared with the thread that computes it.
private final class Box<T>: @unchecked Sendable {
  // @unchecked: written by one thread before it signals, read by the other after its wait.
  var value: T? = nil
}

/// Runs `body` on a thread of its own and waits for it for at most `seconds`: `nil`, and a
/// recorded issue, when it does not finish in time (a deadlock; its thread is left behind).
private func finishing<T>(
  within seconds: Double = 60, _ what: String, _ body: @escaping @Sendable () -> T
) -> T? {
  let box = Box<T>()
  let done = DispatchSemaphore(value: 0)
  let thread = Thread {
    box.value = body()
    done.signal()
  }
  thread.start()
  guard done.wait(timeout: .now() + seconds) == .success else {
    Issue.record("did not finish within \(seconds) s (deadlock?): \(what)")
    return nil
  }
  return box.value
}

@Suite("Several inputs read at once")
struct MultiInputTests {
  @Test("random mixes of inputs: every thread count and chunk size gives the sequential outcome")
  func randomMixes() {
    for seed in UInt64(1)...24 {
      let parts = randomParts(seed: seed)
      for skipInvalid in [false, true] {
        let reference = evaluate(inputs(parts), threads: 1, skipInvalid: skipInvalid)
        for threads in 1...4 {
          for chunkSize in [1, 5, 64, 1000, EvaluationOptions.defaultChunkSize] {
            let outcome = evaluate(
              inputs(parts), threads: threads, chunkSize: chunkSize, skipInvalid: skipInvalid)
            #expect(
              outcome == reference,
              "seed \(seed), threads \(threads), chunk size \(chunkSize), skip \(skipInvalid), \(parts.map(\.name))"
            )
          }
        }
      }
    }
  }

  @Test("a mix of every kind, on disk and in memory, pools like one input with all the records")
  func everyKindPooled() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("bce-multi-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var all: [(String, String)] = []
    var onDisk: [EvaluationInput] = []
    var inMemory: [EvaluationInput] = []
    for (index, kind) in Kind.allCases.enumerated() {
      let some = rows(
        kind == .empty || kind == .headerOnly ? 0 : 40 + index, seed: 100 + UInt64(index))
      all += some
      let part = part(kind, some, index: index)
      let path = directory.appendingPathComponent(part.name).path
      try Data(part.bytes).write(to: URL(fileURLWithPath: path))
      onDisk.append(.path(path))
      inMemory.append(.bytes(part.bytes, name: part.name, pieceSize: 333))
    }
    let whole = try evaluate([.bytes(Array(csv(all).utf8), name: "all.csv")], threads: 1).get()
    for threads in 1...4 {
      for chunkSize in [1, 64, EvaluationOptions.defaultChunkSize] {
        for inputs in [onDisk, inMemory] {
          let pooled = try evaluate(inputs, threads: threads, chunkSize: chunkSize).get()
          #expect(pooled.report.results == whole.report.results, "threads \(threads)")
          #expect(pooled.report.records == whole.report.records)
          #expect(pooled.report.inputs == inputs.map(\.name))
        }
      }
    }
  }

  @Test("an error late in an early input wins over one at line 2 of a later input, and back")
  func firstErrorInInputOrder() {
    let long = rows(20_000, seed: 1, bad: [19_990])
    let short = rows(50, seed: 2, bad: [0])
    let lateLine = csvLine(of: 19_990, in: long)
    for kind in [Kind.gzip, .csv, .bgzf] {
      // The long input is slow: the short one fails first in time, but comes second.
      let slowFirst = [part(kind, long, index: 0), part(.csv, short, index: 1)]
      let fastFirst = [part(.csv, short, index: 0), part(kind, long, index: 1)]
      for threads in 1...4 {
        for chunkSize in [64, 4096, EvaluationOptions.defaultChunkSize] {
          let error = evaluate(inputs(slowFirst), threads: threads, chunkSize: chunkSize)
          #expect(error.failure?.place == "\(slowFirst[0].name):\(lateLine)", "\(kind) \(threads)")
          #expect(error.failure?.message.contains("invalid prediction \"1.5\"") == true)
          let reverse = evaluate(inputs(fastFirst), threads: threads, chunkSize: chunkSize)
          #expect(reverse.failure?.place == "p0.csv:2", "\(kind) \(threads)")
        }
      }
    }
  }

  @Test("skipped records are described in input order, whichever input ends first")
  func skippedInInputOrder() throws {
    let long = rows(20_000, seed: 3, bad: [15_000, 19_000, 19_998])
    let short = rows(40, seed: 4, bad: [1, 2, 5, 8, 13, 21, 34])
    let parts = [
      part(.gzip, long, index: 0), part(.csv, short, index: 1), part(.tsv, short, index: 2),
    ]
    let expected =
      [15_000, 19_000, 19_998].map { "p0.csv.gz:\(csvLine(of: $0, in: long))" }
      + [1, 2, 5, 8, 13, 21, 34].map { "p1.csv:\(csvLine(of: $0, in: short))" }
    for threads in 1...4 {
      for chunkSize in [64, EvaluationOptions.defaultChunkSize] {
        let outcome = try evaluate(
          inputs(parts), threads: threads, chunkSize: chunkSize, skipInvalid: true
        ).get()
        #expect(outcome.report.skipped == 17)
        #expect(outcome.skipped.map { $0.place ?? "" } == expected, "threads \(threads)")
      }
    }
  }

  @Test("corrupt, truncated and missing inputs among others: the first failure in input order")
  func failuresAmongInputs() throws {
    let clean = rows(3000, seed: 5)
    let badLate = rows(3000, seed: 6, bad: [2900])
    let badEarly = rows(30, seed: 7, bad: [0])
    var corrupt = part(.gzip, clean, index: 0).bytes
    corrupt[corrupt.count - 6] ^= 0xFF  // the CRC-32 in the trailer: fails at the very end
    let truncated = Array(part(.gzip, clean, index: 0).bytes.dropLast(9))
    var corruptBGZF = part(.bgzf, clean, index: 0).bytes
    corruptBGZF[bgzfBlockOffsets(corruptBGZF)[40] + 30] ^= 0x55
    let missing = EvaluationInput.path("/nonexistent/bce-multi/missing.csv")
    func memory(_ bytes: [UInt8], _ name: String) -> EvaluationInput {
      .bytes(bytes, name: name, pieceSize: 1000)
    }
    let cases: [(inputs: [EvaluationInput], place: String, message: String)] = [
      // A bad record in an earlier input beats any failure of a later one.
      (
        [memory(part(.csv, badLate, index: 0).bytes, "a.csv"), memory(corrupt, "b.csv.gz")],
        "a.csv:\(csvLine(of: 2900, in: badLate))", "invalid prediction"
      ),
      (
        [memory(part(.gzip, badLate, index: 0).bytes, "a.csv.gz"), missing],
        "a.csv.gz:\(csvLine(of: 2900, in: badLate))", "invalid prediction"
      ),
      // A failure of an earlier input beats a bad record of a later one.
      (
        [memory(corrupt, "a.csv.gz"), memory(part(.csv, badEarly, index: 0).bytes, "b.csv")],
        "a.csv.gz", "CRC-32 mismatch"
      ),
      (
        [memory(truncated, "a.csv.gz"), memory(part(.csv, badEarly, index: 0).bytes, "b.csv")],
        "a.csv.gz", "truncated"
      ),
      (
        [memory(corruptBGZF, "a.csv.gz"), memory(part(.csv, badEarly, index: 0).bytes, "b.csv")],
        "a.csv.gz", "corrupt gzip data"
      ),
      (
        [memory(part(.csv, clean, index: 0).bytes, "a.csv"), missing, memory(truncated, "c.gz")],
        "/nonexistent/bce-multi/missing.csv", "cannot open"
      ),
      // A later input that fails does not hide the one before it that fails later in time.
      (
        [
          memory(part(.csv, clean, index: 0).bytes, "a.csv"), memory(truncated, "b.csv.gz"),
          memory(part(.csv, badEarly, index: 0).bytes, "c.csv"), missing,
        ],
        "b.csv.gz", "truncated"
      ),
    ]
    for (k, test) in cases.enumerated() {
      let reference = evaluate(test.inputs, threads: 1)
      #expect(reference.failure?.place == test.place, "case \(k)")
      #expect(
        reference.failure?.message.contains(test.message) == true,
        "case \(k): \(String(describing: reference.failure))")
      for threads in 2...4 {
        for chunkSize in [7, 256, EvaluationOptions.defaultChunkSize] {
          let outcome = evaluate(test.inputs, threads: threads, chunkSize: chunkSize)
          #expect(outcome == reference, "case \(k), threads \(threads), chunk size \(chunkSize)")
        }
      }
    }
  }

  @Test("many BGZF and gzip inputs with tiny chunks and every thread count finish")
  func manyBGZFInputsDoNotDeadlock() throws {
    var parts: [Part] = []
    for index in 0..<12 {
      let kind: Kind = index % 4 == 3 ? .gzip : .bgzf
      parts.append(part(kind, rows(400, seed: 200 + UInt64(index)), index: index))
    }
    let all = parts
    let reference = try evaluate(inputs(all), threads: 1).get()
    for threads in 1...4 {
      for chunkSize in [1, 2, 7, 64] {
        let outcome = finishing("threads \(threads), chunk size \(chunkSize)") {
          evaluate(inputs(all), threads: threads, chunkSize: chunkSize)
        }
        #expect(try outcome?.get() == reference, "threads \(threads), chunk size \(chunkSize)")
      }
    }
  }

  @Test("an error while the other readers wait for the pool stops them all")
  func cancelWhileReadersWait() {
    // Input 0 fails at once; the BGZF and gzip inputs after it fill the pool with tiny
    // chunks, so their readers wait for buffers when the error is found.
    var parts = [part(.csv, rows(10, seed: 9, bad: [0]), index: 0)]
    for index in 1..<9 {
      parts.append(part(index % 2 == 0 ? .gzip : .bgzf, rows(3000, seed: 300), index: index))
    }
    let all = parts
    for threads in 1...4 {
      for chunkSize in [1, 16, 200] {
        for attempt in 0..<3 {
          let outcome = finishing("threads \(threads), chunk size \(chunkSize)") {
            evaluate(inputs(all), threads: threads, chunkSize: chunkSize + attempt)
          }
          #expect(outcome?.failure?.place == "p0.csv:2", "threads \(threads)")
        }
      }
    }
    // And an input that fails mid-way while the ones before it are still read.
    var late = [part(.bgzf, rows(3000, seed: 10), index: 0)]
    late.append(part(.gzip, rows(3000, seed: 11, bad: [1500]), index: 1))
    late.append(contentsOf: (2..<6).map { part(.bgzf, rows(3000, seed: 12), index: $0) })
    let lateParts = late
    for threads in 1...4 {
      let outcome = finishing("a failure mid-way, threads \(threads)") {
        evaluate(inputs(lateParts), threads: threads, chunkSize: 32)
      }
      #expect(outcome?.failure?.place?.hasPrefix("p1.csv.gz:") == true, "threads \(threads)")
    }
  }

  @Test("a reader gives back every chunk it took, also when its input fails mid-way")
  func readerGivesBackEveryChunk() {
    let long = Array(csv(rows(2000, seed: 13)).utf8)
    let cases: [(String, [UInt8])] = [
      ("truncated gzip", Array(gzipMember(long).dropLast(20))),
      ("truncated BGZF", Array(bgzf(long, blockSize: 300).dropLast(100))),
      ("a missing column", Array("label,score\n1,0.5\n".utf8)),
    ]
    for (what, bytes) in cases {
      for threads in [1, 3] {
        var options = EvaluationOptions()
        options.threads = threads
        options.chunkSize = 64
        let pool = BufferPool(
          count: BGZFReader.jobsInFlight(threads: threads) + 2, capacity: options.chunkSize)
        let queue = ChunkQueue()
        let inputs: [EvaluationInput] = [.bytes(bytes, name: "x.csv.gz")]
        let producer = ChunkProducer(
          inputs: inputs, options: options, pool: pool, queue: queue,
          schedule: ReaderSchedule(inputs: inputs, threads: threads, poolCount: pool.count),
          progress: EvaluationProgress())
        let reader = Thread { producer.run() }
        reader.start()
        var failed = false
        var ended = false
        while !ended {
          for item in queue.take(upTo: .max) {
            switch item {
            case .chunk(let chunk): pool.give(chunk)
            case .inputFailure: failed = true
            case .inputEnd: break
            case .readerEnd: ended = true
            }
          }
        }
        #expect(failed, "\(what)")
        // Every buffer is back: all of them can be taken at once.
        let taken = finishing(within: 20, "\(what): taking back every buffer") {
          (0..<pool.count).map { _ in pool.take() }.count
        }
        #expect(taken == pool.count, "\(what), threads \(threads)")
      }
    }
  }

  @Test("progress counts every input's bytes and records, read at once or one by one")
  func progressCounters() throws {
    let parts = (0..<8).map { part(Kind.allCases[$0], rows(500, seed: 14), index: $0) }
    var options = EvaluationOptions()
    options.chunkSize = 100
    for threads in 1...4 {
      options.threads = threads
      let progress = EvaluationProgress()
      let outcome = try Evaluation.run(inputs: inputs(parts), options: options, progress: progress)
      #expect(progress.records == 4000)
      #expect(outcome.report.records == 4000)
      #expect(progress.bytesRead == parts.reduce(0) { $0 + $1.bytes.count })
      #expect(progress.bytesDecompressed == parts.reduce(0) { $0 + $1.decodedCount })
      #expect(outcome.report.bytesRead == progress.bytesRead)
      #expect(outcome.report.bytesDecompressed == progress.bytesDecompressed)
    }
  }
}

extension Result {
  fileprivate var failure: Failure? {
    if case .failure(let error) = self { return error }
    return nil
  }
}
