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
    // The plainest layout has a shortcut for its common records (see `plainTerms`).
    if jsonShortcut {
      if let kernel = rules.formula.clampKernel {
        evaluateJSONLines(
          bytes, keys: keys, spans: spans, predictions: predictions, shortcut: kernel,
          tally: &tally, summary: &summary)
      } else {
        evaluateJSONLines(
          bytes, keys: keys, spans: spans, predictions: predictions, shortcut: rules.formula,
          tally: &tally, summary: &summary)
      }
    } else {
      evaluateJSONLines(
        bytes, keys: keys, spans: spans, predictions: predictions,
        shortcut: ClampKernel?.none, tally: &tally, summary: &summary)
    }
  }

  /// ``evaluateJSONLines(_:keys:spans:predictions:tally:summary:)`` with the terms of the
  /// valid records that ``plainTerms(_:_:kernel:)`` reads summed in locals
  /// (``UnitWeightedSums``) with `shortcut`, when there is one; every other record goes
  /// through ``finishRecord(_:spans:predictions:problem:line:tally:summary:)``.
  private func evaluateJSONLines<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, keys: [[UInt8]],
    spans: UnsafeMutableBufferPointer<FieldSpan>, predictions: UnsafeMutableBufferPointer<Double>,
    shortcut: Kernel?, tally: inout Tally, summary: inout ChunkSummary
  ) {
    let n = bytes.count
    let base = bytes.baseAddress!
    var position = 0
    var lines = 0
    var sums = UnitWeightedSums()
    defer {
      if sums.records > 0 {
        sums.flush()
        tally.records &+= sums.records
        tally.predictions[0].addUnitWeighted(sums)
      }
    }
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
      if problem == nil, let kernel = shortcut,
        let (label, prediction) = plainTerms(bytes, spans, kernel: kernel)
      {
        sums.add(kernel.terms(label: label, prediction: prediction))
        sums.records &+= 1
        sums.positives &+= label == 1 ? 1 : 0
        continue
      }
      guard
        finishRecord(
          bytes, spans: spans, predictions: predictions, problem: problem, line: recordLine,
          tally: &tally,
          summary: &summary)
      else { return }
    }
    summary.lines = lines
  }

  /// The label and prediction of a valid record whose label is `0` or `1` and whose
  /// prediction is a JSON number spelled `0.` and digits that ``kernel`` accepts: the values
  /// the general path reads from them. `nil` for any other record, which the general path
  /// then reads (and describes, when it is invalid).
  @inline(__always)
  private func plainTerms<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeMutableBufferPointer<FieldSpan>,
    kernel: Kernel
  ) -> (label: Double, prediction: Double)? {
    let labelSpan = spans[layout.label]
    guard labelSpan.count == 1 else { return nil }
    let labelByte = bytes[labelSpan.start]
    guard labelByte == UInt8(ascii: "0") || labelByte == UInt8(ascii: "1") else { return nil }
    let span = spans[layout.predictions[0]]
    guard span.kind == .jsonNumber,
      bytes.count - span.start >= DecimalParser.zeroPointFractionReach,
      bytes[span.start] == UInt8(ascii: "0") && bytes[span.start + 1] == UInt8(ascii: ".")
    else { return nil }
    guard
      let (value, count) = DecimalParser.parseZeroPointFraction(bytes.baseAddress! + span.start),
      count == span.count, kernel.accepts(prediction: value)
    else { return nil }
    return (labelByte == UInt8(ascii: "1") ? 1 : 0, value)
  }
}
