import BCECore
import BCEIO
import BCETestSupport
import Testing

/// A random CSV log: quoted header names (one with a line break), fields quoted or not,
/// holding delimiters, doubled quotes and line breaks, LF/CRLF line ends, blank lines, a
/// short or unterminated last line, and now and then an invalid record.
private func randomLog(seed: UInt64) -> String {
  var rng = SplitMix64(seed: seed)
  func pick(_ choices: [String]) -> String { choices[Int(rng.next() % UInt64(choices.count))] }
  var text = pick(["", "\n", "\r\n\n"])
  // (A header with a quoted line break has a test of its own: see EvaluationTests.)
  text += pick(["label,pred,x\n", "\"label\",\"pred\",\"x, y\"\r\n", "label,\"pred\",x"])
  if !text.hasSuffix("\n") { text += "\n" }
  let rows = Int(rng.next() % 40)
  for _ in 0..<rows {
    let label = pick(["0", "1", "\"1\"", "0.5", "true", "False", "1e0", "2", "", "-0"])
    let pred = pick(["0.1", ".9", "\"0.25\"", "1", "0", "3e-1", "nan", "-0.1", "0.3 ", "1.0000"])
    let extra = pick(["", "a", "\"b,c\"", "\"d\ne\"", "\"\"\"\"", "\"x\r\ny\"", "z\"z"])
    let shape = rng.next() % 20
    var record: String
    switch shape {
    case 0: record = label  // too few fields
    case 1: record = "\(label),\"\(pred)"  // text after a closing quote, or an open quote
    default: record = "\(label),\(pred),\(extra)"
    }
    text += record + pick(["\n", "\n", "\r\n", "\n\n", "\r\n\r\n"])
  }
  if rng.next() % 2 == 0 {
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
  }
  return text
}

private func outcome(
  _ text: String, chunkSize: Int, threads: Int, pieceSize: Int = .max, skipInvalid: Bool
) -> Result<Report, BCEError> {
  var options = EvaluationOptions()
  options.chunkSize = chunkSize
  options.threads = threads
  options.rules.skipInvalid = skipInvalid
  do throws(BCEError) {
    let outcome = try Evaluation.run(
      inputs: [.bytes(Array(text.utf8), name: "r.csv", pieceSize: pieceSize)], options: options)
    return .success(outcome.report)
  } catch {
    return .failure(error)
  }
}

@Suite("Random logs")
struct RandomLogTests {
  @Test("every chunk size and thread count gives the same report or the same error")
  func randomLogs() {
    for seed in UInt64(1)...60 {
      let text = randomLog(seed: seed)
      for skipInvalid in [false, true] {
        let reference = outcome(text, chunkSize: 1 << 20, threads: 1, skipInvalid: skipInvalid)
        for chunkSize in 1...50 {
          let threads = chunkSize % 3 + 1
          let other = outcome(
            text, chunkSize: chunkSize, threads: threads, pieceSize: chunkSize % 4 + 1,
            skipInvalid: skipInvalid)
          #expect(
            other == reference,
            "seed \(seed), chunk size \(chunkSize), threads \(threads), \(text.debugDescription)")
        }
      }
    }
  }
}
