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
  /// Calibration bins per prediction column (0 for none).
  public var binCount: Int

  /// How many invalid records a chunk describes in its result; the rest are only counted.
  public static let describedIssueLimit = 10

  public init(
    formula: LossFormula, labels: LabelRule = .numeric, skipInvalid: Bool = false,
    binCount: Int = 0
  ) {
    self.formula = formula
    self.labels = labels
    self.skipInvalid = skipInvalid
    self.binCount = binCount
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

/// What evaluating one chunk found besides its sums: where it ends and what was invalid.
public struct ChunkSummary: Sendable {
  /// Line ends (`\n`) in the chunk, those inside quoted fields included; when the chunk
  /// stopped at an invalid record, only those before it.
  public var lines = 0
  /// The first invalid records, in input order (at most ``RecordRules/describedIssueLimit``).
  public var issues: [RecordIssue] = []
  /// Whether evaluation stopped at an invalid record (without `skipInvalid`).
  public var failed = false

  public init() {}
}

/// What evaluating one chunk on its own produced: its tally and its summary.
public struct ChunkResult: Sendable {
  public var tally: Tally
  public var summary = ChunkSummary()

  public var lines: Int { summary.lines }
  public var issues: [RecordIssue] { summary.issues }
  public var failed: Bool { summary.failed }
}

/// The bytes of one field (CSV) or selected value (JSON Lines) within a chunk.
struct FieldSpan {
  enum Kind: Equatable {
    /// CSV text; `escapedQuotes` when it holds doubled quotes (`""`) that stand for one.
    case text(escapedQuotes: Bool)
    /// A JSON number as written (or `NaN`, `Infinity`, `-Infinity`).
    case jsonNumber
    /// A JSON string's content between its quotes, escapes undecoded.
    case jsonString(hasEscapes: Bool)
    case jsonBoolean(Bool)
    case jsonNull
    /// A JSON object or array.
    case jsonContainer
    /// A JSON key that the record does not have.
    case missing
  }

  var start: Int
  var end: Int
  var kind: Kind

  var count: Int { end - start }

  static func text(_ start: Int, _ end: Int, escapedQuotes: Bool = false) -> FieldSpan {
    FieldSpan(start: start, end: end, kind: .text(escapedQuotes: escapedQuotes))
  }
}

/// The record format of a chunk, with what the evaluator needs to split its records.
public enum RecordFormat: Sendable, Hashable {
  /// CSV or TSV with this one-byte delimiter; a layout's positions are field positions.
  case csv(delimiter: UInt8)
  /// JSON Lines; a layout's positions index these keys (UTF-8, unescaped).
  case jsonLines(keys: [[UInt8]])

  /// The end (one past the `\n`) of the last complete record in `buffer`, which starts at a
  /// record boundary; `nil` when the buffer holds no complete record.
  ///
  /// - Parameter quoteFree: the caller knows that `buffer` holds no `"`.
  public func lastRecordEnd(in buffer: UnsafeRawBufferPointer, quoteFree: Bool = false) -> Int? {
    switch self {
    case .csv(let delimiter):
      return CSVScanner.lastRecordEnd(in: buffer, delimiter: delimiter, quoteFree: quoteFree)
    case .jsonLines:
      // A JSON string cannot hold a raw line break: every `\n` ends a record.
      var i = buffer.count
      while i > 0 {
        i -= 1
        if buffer[i] == CSVScanner.newline { return i + 1 }
      }
      return nil
    }
  }
}

/// Parses the records of one chunk and sums their loss terms into a ``ChunkResult``.
///
/// A chunk is a buffer of complete records (the last one of an input may lack its line end).
/// This is the per-byte hot path: it allocates nothing per record or per field.
public struct RecordEvaluator: Sendable {
  public let format: RecordFormat
  public let layout: ColumnLayout
  public let rules: RecordRules
  /// How the fast path reads CSV records of the common shape; `nil` for JSON Lines and for
  /// layouts only the general path reads.
  let fastPlan: CSVFastPlan?
  /// JSON Lines in the plainest layout — numeric labels, one prediction, no weight, no
  /// group, no bins — whose common records skip the general path's tally code.
  let jsonShortcut: Bool

  public init(format: RecordFormat, layout: ColumnLayout, rules: RecordRules) {
    self.init(format: format, layout: layout, rules: rules, fastPath: true)
  }

  /// An evaluator that takes the CSV fast path where it can (`fastPath`), or only the
  /// general path: both give the same results, which the tests check against each other.
  init(format: RecordFormat, layout: ColumnLayout, rules: RecordRules, fastPath: Bool) {
    switch format {
    case .jsonLines(let keys):
      precondition(keys.count == layout.fieldsNeeded, "one key per layout position")
      fastPlan = nil
      var plain = layout.predictions.count == 1 && layout.weight == nil && layout.group == nil
      plain = plain && rules.binCount == 0
      if case .numeric = rules.labels {
        jsonShortcut = fastPath && plain
      } else {
        jsonShortcut = false
      }
    case .csv(let delimiter):
      fastPlan = fastPath ? CSVFastPlan(layout: layout, rules: rules, delimiter: delimiter) : nil
      jsonShortcut = false
    }
    self.format = format
    self.layout = layout
    self.rules = rules
  }

  /// An evaluator for CSV with `delimiter`.
  public init(delimiter: UInt8, layout: ColumnLayout, rules: RecordRules) {
    self.init(format: .csv(delimiter: delimiter), layout: layout, rules: rules)
  }

  /// An empty tally of the shape this evaluator fills.
  public func emptyTally() -> Tally {
    Tally(
      predictionColumns: layout.predictions.count, grouped: layout.group != nil,
      binCount: rules.binCount)
  }

  /// Evaluates every record of `chunk` into a tally of its own.
  ///
  /// - Complexity: O(n) in the chunk's bytes.
  public func evaluate(_ chunk: UnsafeRawBufferPointer) -> ChunkResult {
    var result = ChunkResult(tally: emptyTally())
    result.summary = evaluate(chunk, into: &result.tally)
    return result
  }

  /// Evaluates every record of `chunk`, adding its terms and counts to `tally` (which may
  /// already hold other chunks': a worker keeps one tally for all the chunks it evaluates).
  ///
  /// - Complexity: O(n) in the chunk's bytes.
  public func evaluate(_ chunk: UnsafeRawBufferPointer, into tally: inout Tally) -> ChunkSummary {
    var summary = ChunkSummary()
    guard chunk.count > 0 else { return summary }
    let bytes = chunk.assumingMemoryBound(to: UInt8.self)
    withUnsafeTemporaryAllocation(of: FieldSpan.self, capacity: layout.fieldsNeeded) { spans in
      withUnsafeTemporaryAllocation(of: Double.self, capacity: layout.predictions.count) {
        predictions in
        switch format {
        case .csv(let delimiter):
          evaluateCSV(
            bytes, delimiter: delimiter, spans: spans, predictions: predictions, tally: &tally,
            summary: &summary)
        case .jsonLines(let keys):
          evaluateJSONLines(
            bytes, keys: keys, spans: spans, predictions: predictions, tally: &tally,
            summary: &summary)
        }
      }
    }
    return summary
  }

  /// Accounts for one record after its fields were split: adds its terms, or records why it
  /// is invalid.
  ///
  /// - Returns: `false` when evaluation must stop (an invalid record without `skipInvalid`).
  func finishRecord(
    _ bytes: UnsafeBufferPointer<UInt8>, spans: UnsafeMutableBufferPointer<FieldSpan>,
    predictions: UnsafeMutableBufferPointer<Double>, problem: String?, line: Int,
    tally: inout Tally, summary: inout ChunkSummary
  ) -> Bool {
    var problem = problem
    if problem == nil {
      problem = addRecord(bytes, spans: spans, predictions: predictions, to: &tally)
    }
    if let problem {
      if summary.issues.count < RecordRules.describedIssueLimit {
        summary.issues.append(RecordIssue(lineOffset: line, message: problem))
      }
      if !rules.skipInvalid {
        summary.failed = true
        summary.lines = line
        return false
      }
      tally.skipped += 1
    }
    tally.records += 1
    return true
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
    var group = -1
    if let groupColumn = layout.group {
      let span = spans[groupColumn]
      guard let found = findGroup(bytes, span, in: &tally.groups!) else {
        return invalid("group", layout.names.group!, bytes, span, expected: "a value")
      }
      group = found
    }
    addTerms(label: label, weight: weight, group: group, predictions: predictions, to: &tally)
    return nil
  }

  /// Adds the terms of one valid record: its label, weight, group (−1 for none) and the
  /// value of each prediction column.
  @inline(__always)
  func addTerms(
    label: Double, weight: Double, group: Int, predictions: UnsafeMutableBufferPointer<Double>,
    to tally: inout Tally
  ) {
    let formula = rules.formula
    for k in 0..<predictions.count {
      let (loss, probability, clipped) = formula.terms(label: label, prediction: predictions[k])
      if group >= 0 {
        // Only the group's tally: the overall one is the exact sum of the groups' tallies.
        tally.groups!.add(
          group: group, column: k, weight: weight, label: label, probability: probability,
          loss: loss, clipped: clipped)
      } else {
        tally.predictions[k].add(
          weight: weight, label: label, probability: probability, loss: loss)
        if clipped { tally.predictions[k].clipped += 1 }
      }
      if tally.bins != nil {
        tally.bins!.add(column: k, weight: weight, label: label, probability: probability)
      }
    }
  }

  /// The group of a record: the group field's value — CSV text after unquoting, a JSON
  /// number or `true`/`false` as written, a JSON string's content — found or added in
  /// `groups`. `nil` for a JSON `null`, object, array or missing key.
  func findGroup(
    _ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan, in groups: inout GroupTallies
  ) -> Int? {
    let start = bytes.baseAddress! + span.start
    switch span.kind {
    case .text(escapedQuotes: false), .jsonNumber, .jsonBoolean, .jsonString(hasEscapes: false):
      return groups.group(forKey: start, count: span.count)
    case .text(escapedQuotes: true):
      // Each doubled quote stands for one: copy the field without the second of each pair.
      return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: span.count) { copy in
        var n = 0
        var i = 0
        while i < span.count {
          copy[n] = start[i]
          n += 1
          i += start[i] == CSVScanner.quote ? 2 : 1
        }
        return groups.group(forKey: copy.baseAddress!, count: n)
      }
    case .jsonString(hasEscapes: true):
      let key = JSONLineScanner.unescaped(bytes, span.start, span.end)
      return key.withUnsafeBufferPointer { decoded in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(decoded.count, 1)) { copy in
          for j in 0..<decoded.count { copy[j] = decoded[j] }
          return groups.group(forKey: copy.baseAddress!, count: decoded.count)
        }
      }
    case .jsonNull, .jsonContainer, .missing:
      return nil
    }
  }

  /// The number in a field, or `nil` when it is not one.
  private func number(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan) -> Double? {
    switch span.kind {
    case .text(let escapedQuotes):
      if escapedQuotes || span.count == 0 { return nil }
    case .jsonNumber, .jsonString(hasEscapes: false):
      if span.count == 0 { return nil }
    case .jsonString(hasEscapes: true):
      // Rare: a number spelled with escapes ("\u0031"). Decode it, then parse it.
      let text = JSONLineScanner.unescaped(bytes, span.start, span.end)
      return text.withUnsafeBufferPointer { decoded in
        decoded.isEmpty ? nil : DecimalParser.parse(decoded.baseAddress!, count: decoded.count)
      }
    case .jsonBoolean, .jsonNull, .jsonContainer, .missing:
      return nil
    }
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
      if case .jsonBoolean(let value) = span.kind { return value ? 1 : 0 }
      if let value = number(bytes, span) {
        return value >= 0 && value <= 1 ? value : nil
      }
      if case .jsonString(hasEscapes: true) = span.kind {
        // Rare: a word spelled with escapes ("tru\u0065"). Compare its content.
        let content = JSONLineScanner.unescaped(bytes, span.start, span.end)
        let lowered = String(decoding: content, as: UTF8.self).lowercased()
        return lowered == "true" ? 1 : lowered == "false" ? 0 : nil
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

  /// Whether the field is `token`, byte for byte: CSV text after unquoting, a JSON number
  /// or `true`/`false` as written, a JSON string's content.
  private func fieldEquals(_ bytes: UnsafeBufferPointer<UInt8>, _ span: FieldSpan, _ token: [UInt8])
    -> Bool
  {
    switch span.kind {
    case .text(let escapedQuotes):
      var i = span.start
      for expected in token {
        guard i < span.end, bytes[i] == expected else { return false }
        // A doubled quote in the field stands for the one quote it is compared with.
        i += escapedQuotes && expected == CSVScanner.quote ? 2 : 1
      }
      return i == span.end
    case .jsonString(hasEscapes: true):
      return JSONLineScanner.unescaped(bytes, span.start, span.end) == token
    case .jsonNumber, .jsonBoolean, .jsonString(hasEscapes: false):
      return span.count == token.count
        && (0..<token.count).allSatisfy { bytes[span.start + $0] == token[$0] }
    case .jsonNull, .jsonContainer, .missing:
      return false
    }
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
    switch span.kind {
    case .missing: return "no \(role) key \(name) in the record"
    case .jsonNull: return "the \(role) \(name) is null (expected \(expected))"
    default:
      if span.count == 0 { return "empty \(role) in column \(name) (expected \(expected))" }
    }
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

  func tooFewFields(_ found: Int) -> String {
    var columns: [(Int, String)] = [(layout.label, layout.names.label)]
    for (k, column) in layout.predictions.enumerated() {
      columns.append((column, layout.names.predictions[k]))
    }
    if let weight = layout.weight { columns.append((weight, layout.names.weight!)) }
    if let group = layout.group { columns.append((group, layout.names.group!)) }
    // A column selected in two roles (`-p p -w p`) is named once.
    var listed = Set<Int>()
    let missing = columns.filter { $0.0 >= found && listed.insert($0.0).inserted }
      .map { "\($0.1) is field \($0.0 + 1)" }
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
