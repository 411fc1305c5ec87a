import BCETestSupport
import Testing

@testable import BCECore
@testable import BCEIO

/// Items of two inputs as a reader would hand them over: input 0's chunks and its end,
/// then input 1's, each chunk of 3 lines, and the reader's end. Chunk `bad` of input 1 has
/// an invalid record on its second line, which stops the run when `fails`, else is skipped.
private func items(
  chunksPerInput: Int, bad: Int, fails: Bool, pool: BufferPool
) -> [ReaderItem] {
  var items: [ReaderItem] = []
  for input in 0..<2 {
    for k in 0..<chunksPerInput {
      let chunk = pool.take()
      chunk.input = input
      chunk.startsInput = k == 0
      chunk.linesBefore = k == 0 ? 1 : 0  // a header line
      var summary = ChunkSummary()
      summary.lines = 3
      if input == 1 && k == bad {
        summary.issues = [RecordIssue(lineOffset: 1, message: "bad value")]
        summary.failed = fails
        if fails { summary.lines = 1 }
      }
      chunk.summary = summary
      items.append(.chunk(chunk))
    }
    items.append(.inputEnd(input))
  }
  items.append(.readerEnd)
  return items
}

@Suite("Ordered reduction")
struct OrderedReductionTests {
  @Test("items finished in any order are reduced in arrival order: the same lines and errors")
  func anyFinishingOrder() throws {
    var rng = SplitMix64(seed: 5)
    for round in 0..<200 {
      let fails = round % 2 == 1
      let perInput = 1 + Int(rng.next() % 8)
      let bad = Int(rng.next() % UInt64(perInput))
      let pool = BufferPool(count: 2 * perInput + 3, capacity: 16)
      let all = items(chunksPerInput: perInput, bad: bad, fails: fails, pool: pool)
      let inputs: [EvaluationInput] = [.bytes([], name: "a.csv"), .bytes([], name: "b.csv")]
      let reduction = OrderedReduction(
        inputNames: ["a.csv", "b.csv"], readers: 1, pool: pool,
        schedule: ReaderSchedule(inputs: inputs, threads: 1, poolCount: pool.count))
      var order = Array(all.indices)
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
      }
      var completions = 0
      for (n, index) in order.enumerated() {
        // Complete only once every item before the last one missing is finished.
        #expect(!reduction.isComplete || completions == 1, "round \(round), step \(n)")
        if reduction.finish(index, all[index]) { completions += 1 }
      }
      #expect(completions == 1 && reduction.isComplete, "round \(round)")
      // The bad record: after the header, the chunks before it (3 lines each), one line in.
      let line = 1 + 3 * bad + 1 + 1
      if fails {
        #expect(reduction.failure?.description == "b.csv:\(line): bad value", "round \(round)")
        #expect(reduction.failedFrom == 1)
      } else {
        #expect(reduction.failure == nil)
        #expect(reduction.described.map(\.description) == ["b.csv:\(line): bad value"])
      }
      // Every chunk is back in the pool (each was made by a take of `items`).
      #expect(pool.idleCount == 2 * perInput, "round \(round)")
    }
  }
}
