#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension RecordEvaluator {
  /// Splits JSON Lines records (one object per line; see ``JSONLineScanner``) and evaluates
  /// them. Blank lines (white space only) are skipped.
  func evaluateJSONLines(
    _ bytes: UnsafeBufferPointer<UInt8>, keys: [[UInt8]],
    spans: UnsafeMutableBufferPointer<FieldSpan>, predictions: UnsafeMutableBufferPointer<Double>,
    tally: inout Tally, summary: inout ChunkSummary
  ) {
    let n = bytes.count
    let base = bytes.baseAddress!
    var position = 0
    var lines = 0
    while position < n {
      let recordLine = lines
      // A JSON string cannot hold a raw line break, so a record is exactly one line.
      var lineEnd = n
      if let newline = memchr(base + position, Int32(CSVScanner.newline), n - position) {
        lineEnd = UnsafePointer<UInt8>(newline.assumingMemoryBound(to: UInt8.self)) - base
      }
      let next = lineEnd < n ? lineEnd + 1 : n
      if lineEnd < n { lines += 1 }
      var blank = true
      for i in position..<lineEnd {
        let c = bytes[i]
        if c != 0x20 && c != 0x09 && c != 0x0D {
          blank = false
          break
        }
      }
      if blank {
        position = next
        continue
      }
      let problem = JSONLineScanner.scan(
        bytes, from: position, to: lineEnd, keys: keys, found: spans)
      position = next
      guard
        finishRecord(
          bytes, spans: spans, predictions: predictions, problem: problem, line: recordLine,
          tally: &tally,
          summary: &summary)
      else { return }
    }
    summary.lines = lines
  }
}
