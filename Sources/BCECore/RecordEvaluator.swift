/// How label fields are read (SPEC §2).
public enum LabelRule: Sendable, Hashable {
  /// A number in [0, 1] (hard or soft label), or `true`/`false` in any letter case.
  case numeric
  /// Exactly these two tokens, compared byte for byte after unquoting.
  case tokens(negative: [UInt8], positive: [UInt8])
}

/// The rules that turn a record's fields into loss terms; the same for every chunk of a run.
public struct RecordRules: Sendable, Hashable {
  public var formula: LossFormula
  public var labels: LabelRule
  /// Skip invalid records (counting them) instead of stopping at the first one.
  public var skipInvalid: Bool

  /// How many invalid records a chunk describes in its result; the rest are only counted.
  public static let describedIssueLimit = 10

  public init(formula: LossFormula, labels: LabelRule = .numeric, skipInvalid: Bool = false) {
    self.formula = formula
    self.labels = labels
    self.skipInvalid = skipInvalid
  }
}

/// An invalid record found in a chunk.
public struct RecordIssue: Sendable, Equatable {
  /// The number of line ends in the chunk before the record's first byte; the reducer adds
  /// the chunk's first line number to get the record's line in its input.
  public var lineOffset: Int
  /// What was wrong, with the offending text.
  public var message: String
}

/// What evaluating one chunk produced.
public struct ChunkResult: Sendable {
  public var tally: Tally
  /// Line ends (`\n`) in the chunk, those inside quoted fields included; when the chunk
  /// stopped at an invalid record, only those before it.
  public var lines = 0
  /// The first invalid records, in input order (at most ``RecordRules/describedIssueLimit``).
  public var issues: [RecordIssue] = []
  /// Whether evaluation stopped at an invalid record (without `skipInvalid`).
  public var failed = false

  public init(predictionColumns: Int) {
    tally = Tally(predictionColumns: predictionColumns)
  }
}

/// The bytes of one field within a chunk.
struct FieldSpan {
  var start: Int
  var end: Int
  /// Whether the field holds doubled quotes (`""`) that stand for one quote.
  var hasEscapedQuotes: Bool

  var count: Int { end - start }
}

/// Parses the records of one chunk and sums their loss terms into a ``ChunkResult``.
///
/// A chunk is a buffer of complete records (the last one of an input may lack its line end).
/// This is the per-byte hot path: it allocates nothing per record or per field.
public struct RecordEvaluator: Sendable {
  public let delimiter: UInt8
  public let layout: ColumnLayout
  public let rules: RecordRules

  public init(delimiter: UInt8, layout: ColumnLayout, rules: RecordRules) {
    self.delimiter = delimiter
    self.layout = layout
    self.rules = rules
  }

  /// Evaluates every record of `chunk`.
  ///
  /// - Complexity: O(n) in the chunk's bytes.
  public func evaluate(_ chunk: UnsafeRawBufferPointer) -> ChunkResult {
    var result = ChunkResult(predictionColumns: layout.predictions.count)
    guard chunk.count > 0 else { return result }
    let bytes = chunk.assumingMemoryBound(to: UInt8.self)
    withUnsafeTemporaryAllocation(of: FieldSpan.self, capacity: layout.fieldsNeeded) { spans in
      withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.predictions.count) {
        predictions in
        evaluateCSV(bytes, spans: spans, predictions: predictions, into: &result)
      }
    }
    return result
  }

  private func evaluateCSV(
    _ bytes: UnsafeBufferPointer<UInt8>, spans: UnsafeMutableBufferPointer<FieldSpan>,
    predictions: UnsafeMutableBufferPointer<Double>, into result: inout ChunkResult
  ) {
    let n = bytes.count
    let delimiter = self.delimiter
    let fieldsNeeded = layout.fieldsNeeded
    var position = 0
    var lines = 0
    while position < n {
      let recordLine = lines
      // Blank lines (LF or CRLF, or a lone CR at the very end) are skipped.
      let first = bytes[position]
      if first == CSVScanner.newline {
        position += 1
        lines += 1
        continue
      }
      if first == CSVScanner.carriageReturn {
        if position + 1 == n {
          position = n
          continue
        }
        if bytes[position + 1] == CSVScanner.newline {
          position += 2
          lines += 1
          continue
        }
      }

      // Split the leading fields that the layout needs.
      var problem: String? = nil
      var field = 0
      var p = position
      var recordEnded = false
      while field < fieldsNeeded {
        if bytes[p] == CSVScanner.quote {
          var q = p + 1
          var escaped = false
          var closed = false
          while q < n {
            let byte = bytes[q]
            if byte == CSVScanner.quote {
              if q + 1 < n && bytes[q + 1] == CSVScanner.quote {
                escaped = true
                q += 2
                continue
              }
              closed = true
              break
            }
            if byte == CSVScanner.newline { lines += 1 }
            q += 1
          }
          if !closed {
            problem = "a quoted field is not closed before the end of the input"
            p = n
            recordEnded = true
            break
          }
          spans[field] = FieldSpan(start: p + 1, end: q, hasEscapedQuotes: escaped)
          field += 1
          p = q + 1
          if p == n {
            recordEnded = true
            break
          }
          let next = bytes[p]
          if next == delimiter {
            p += 1
            if p == n {  // a trailing delimiter at the very end: one more, empty, field
              if field < fieldsNeeded {
                spans[field] = FieldSpan(start: p, end: p, hasEscapedQuotes: false)
                field += 1
              }
              recordEnded = true
              break
            }
            continue
          }
          if next == CSVScanner.newline {
            p += 1
            lines += 1
            recordEnded = true
            break
          }
          if next == CSVScanner.carriageReturn && (p + 1 == n || bytes[p + 1] == CSVScanner.newline)
          {
            p = min(p + 2, n)
            if bytes[p - 1] == CSVScanner.newline { lines += 1 }
            recordEnded = true
            break
          }
          problem = "text after the closing quote of field \(field): \(excerpt(bytes, p, p + 1))"
          break
        }
        // Unquoted field: up to the delimiter, the line end or the end of the input.
        var q = p
        while q < n {
          let byte = bytes[q]
          if byte == delimiter || byte == CSVScanner.newline { break }
          q += 1
        }
        if q == n {
          var end = q
          if end > p && bytes[end - 1] == CSVScanner.carriageReturn { end -= 1 }
          spans[field] = FieldSpan(start: p, end: end, hasEscapedQuotes: false)
          field += 1
          p = n
          recordEnded = true
          break
        }
        if bytes[q] == CSVScanner.newline {
          var end = q
          if end > p && bytes[end - 1] == CSVScanner.carriageReturn { end -= 1 }
          spans[field] = FieldSpan(start: p, end: end, hasEscapedQuotes: false)
          field += 1
          p = q + 1
          lines += 1
          recordEnded = true
          break
        }
        spans[field] = FieldSpan(start: p, end: q, hasEscapedQuotes: false)
        field += 1
        p = q + 1
        if p == n {  // a trailing delimiter at the very end: one more, empty, field
          if field < fieldsNeeded {
            spans[field] = FieldSpan(start: p, end: p, hasEscapedQuotes: false)
            field += 1
          }
          recordEnded = true
          break
        }
      }
      if !recordEnded {
        // Skip the fields after the last needed one (or the rest of a malformed record).
        p = CSVScanner.recordEnd(bytes, from: p, delimiter: delimiter, newlines: &lines)
      }
      position = p

      if problem == nil && field < fieldsNeeded {
        problem = tooFewFields(field)
      }
      if problem == nil {
        problem = addRecord(bytes, spans: spans, predictions: predictions, to: &result.tally)
      }
      if let problem {
        if result.issues.count < RecordRules.describedIssueLimit {
          result.issues.append(RecordIssue(lineOffset: recordLine, message: problem))
        }
        if !rules.skipInvalid {
          result.failed = true
          result.lines = recordLine
          return
        }
        result.tally.skipped += 1
      }
      result.tally.records += 1
    }
    result.lines = lines
  }

  /// Reads the selected fields of one record and adds its terms, or describes why the
  /// record is invalid (and adds nothing).
  private func addRecord(
    _ bytes: UnsafeBufferPointer<UInt8>, spans: UnsafeMutableBufferPointer<FieldSpan>,
    predictions: UnsafeMutableBufferPointer<Double>, to tally: inout Tally
  ) -> String? {
    let labelSpan = spans[layout.label]
    guard let label = label(bytes, labelSpan) else {
      return invalidLabel(bytes, labelSpan)
    }
    var weight = 1.0
    if let weightColumn = layout.weight {
      let span = spans[weightColumn]
      guard let value = number(bytes, span), value.isFinite, value >= 0 else {
        return invalid(
          "weight", layout.names.weight!, bytes, span, expected: "a finite number ≥ 0")
      }
      weight = value
    }
    let formula = rules.formula
    for (k, column) in layout.predictions.enumerated() {
      let span = spans[column]
      guard let value = number(bytes, span), formula.accepts(prediction: value) else {
        return invalid(
          "prediction", layout.names.predictions[k], bytes, span,
          expected: formula.takesLogits ? "a logit (any number but NaN)" : "a probability in [0, 1]"
        )
      }
      predictions[k] = value
    }
    for k in 0..<layout.predictions.count {
      let prediction = predictions[k]
      let loss = formula.loss(label: label, prediction: prediction)
      tally.predictions[k].add(
        weight: weight, label: label, probability: formula.probability(prediction: prediction),
        loss: loss)
      if formula.clips(prediction: prediction) { tally.predictions[k].clipped += 1 }
    }
    return nil
  }

  /// The number in a field, or `nil` when it is not one.
  private func number(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan) -> Double? {
    if span.hasEscapedQuotes || span.count == 0 { return nil }
    return DecimalParser.parse(bytes.baseAddress! + span.start, count: span.count)
  }

  /// The label in a field, or `nil` when it is not a valid label.
  private func label(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan) -> Double? {
    switch rules.labels {
    case .numeric:
      if span.count == 1 {
        let byte = bytes[span.start]
        if byte == UInt8(ascii: "0") { return 0 }
        if byte == UInt8(ascii: "1") { return 1 }
      }
      if let value = number(bytes, span) {
        return value >= 0 && value <= 1 ? value : nil
      }
      if equalsIgnoringCase(bytes, span, "true") { return 1 }
      if equalsIgnoringCase(bytes, span, "false") { return 0 }
      return nil
    case .tokens(let negative, let positive):
      if fieldEquals(bytes, span, positive) { return 1 }
      if fieldEquals(bytes, span, negative) { return 0 }
      return nil
    }
  }

  /// Whether the field's unquoted content is `token`, byte for byte.
  private func fieldEquals(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan, _ token: [UInt8])
    -> Bool
  {
    var i = span.start
    for expected in token {
      guard i < span.end, bytes[i] == expected else { return false }
      // A doubled quote in the field stands for the one quote it is compared with.
      i += span.hasEscapedQuotes && expected == CSVScanner.quote ? 2 : 1
    }
    return i == span.end
  }

  private func equalsIgnoringCase(
    _ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan, _ word: StaticString
  ) -> Bool {
    guard span.count == word.utf8CodeUnitCount else { return false }
    let letters = word.utf8Start
    for j in 0..<span.count where bytes[span.start + j] | 0x20 != letters[j] { return false }
    return true
  }

  // MARK: Messages (built only for invalid records)

  private func invalidLabel(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan) -> String {
    let expected: String
    switch rules.labels {
    case .numeric:
      expected = "a number in [0, 1], true or false"
    case .tokens(let negative, let positive):
      expected =
        "\(String(decoding: negative, as: UTF8.self)) or \(String(decoding: positive, as: UTF8.self))"
    }
    return invalid("label", layout.names.label, bytes, span, expected: expected)
  }

  private func invalid(
    _ role: String, _ name: String, _ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan,
    expected: String
  ) -> String {
    if span.count == 0 { return "empty \(role) in column \(name) (expected \(expected))" }
    var reason = ""
    if role == "label", case .tokens = rules.labels {
      // Only the tokens are labels: a number is no more out of range than any other text.
    } else if let value = number(bytes, span) {
      if value.isNaN {
        reason = ", got NaN"
      } else if value.isInfinite && role == "weight" {
        reason = ", got infinity"
      } else {
        reason = ", out of range"
      }
    }
    return
      "invalid \(role) \(excerpt(bytes, span.start, span.end)) in column \(name)"
      + " (expected \(expected)\(reason))"
  }

  private func tooFewFields(_ found: Int) -> String {
    var columns: [(Int, String)] = [(layout.label, layout.names.label)]
    for (k, column) in layout.predictions.enumerated() {
      columns.append((column, layout.names.predictions[k]))
    }
    if let weight = layout.weight { columns.append((weight, layout.names.weight!)) }
    let missing = columns.filter { $0.0 >= found }.map { "\($0.1) is field \($0.0 + 1)" }
    return "the record has \(found) field\(found == 1 ? "" : "s"), but column "
      + missing.joined(separator: ", ")
  }
}

/// The bytes `start..<end` as a quoted, escaped excerpt of at most 60 bytes, for messages.
func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
  let limit = 60
  let shown = UnsafeBufferPointer(rebasing: bytes[start..<min(end, start + limit)])
  var text = "\""
  for scalar in String(decoding: shown, as: UTF8.self).unicodeScalars {
    switch scalar {
    case "\"": text += "\\\""
    case "\\": text += "\\\\"
    case "\n": text += "\\n"
    case "\r": text += "\\r"
    case "\t": text += "\\t"
    default:
      if scalar.value < 0x20 || scalar.value == 0x7F {
        text += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        text.unicodeScalars.append(scalar)
      }
    }
  }
  text += end - start > limit ? "…\"" : "\""
  return text
}
