import BCETestSupport
import Testing

@testable import BCECore

#if canImport(Glibc)
  import Glibc
#endif

private let comma = UInt8(ascii: ",")
private let tab = UInt8(ascii: "\t")
private let sklearn = LossFormula(clipping: .preset(.sklearn))

// MARK: Helpers

/// A layout with names as the command line makes them: `'label'`, `'pred'`, `'w'`, or
/// `'p1'`, `'p2'`, … for several prediction columns.
private func layout(label: Int = 0, predictions: [Int] = [1], weight: Int? = nil) -> ColumnLayout {
  ColumnLayout(
    label: label, predictions: predictions, weight: weight,
    names: ColumnNames(
      label: "'label'",
      predictions: predictions.count == 1
        ? ["'pred'"] : predictions.indices.map { "'p\($0 + 1)'" },
      weight: weight == nil ? nil : "'w'"))
}

private func evaluate(
  _ text: String, layout: ColumnLayout = layout(),
  rules: RecordRules = RecordRules(formula: sklearn),
  delimiter: UInt8 = comma
) -> ChunkResult {
  evaluate(Array(text.utf8), layout: layout, rules: rules, delimiter: delimiter)
}

private func evaluate(
  _ bytes: [UInt8], layout: ColumnLayout = layout(),
  rules: RecordRules = RecordRules(formula: sklearn),
  delimiter: UInt8 = comma
) -> ChunkResult {
  let evaluator = RecordEvaluator(delimiter: delimiter, layout: layout, rules: rules)
  return bytes.withUnsafeBytes { evaluator.evaluate($0) }
}

/// One record's values, for building the tally a chunk should produce.
private struct Row {
  var label: Double
  var predictions: [Double]
  var weight = 1.0
}

private func row(_ label: Double, _ predictions: Double..., weight: Double = 1) -> Row {
  Row(label: label, predictions: predictions, weight: weight)
}

/// The tally of `rows`, built from the formula directly (not through the evaluator).
private func expectedTally(
  _ rows: [Row], columns: Int = 1, formula: LossFormula = sklearn, records: Int? = nil,
  skipped: Int = 0
) -> Tally {
  var tally = Tally(predictionColumns: columns)
  for row in rows {
    for (k, prediction) in row.predictions.enumerated() {
      tally.predictions[k].add(
        weight: row.weight, label: row.label,
        probability: formula.probability(prediction: prediction),
        loss: formula.loss(label: row.label, prediction: prediction))
      if formula.clips(prediction: prediction) { tally.predictions[k].clipped += 1 }
    }
  }
  tally.records = records ?? rows.count
  tally.skipped = skipped
  return tally
}

/// Expects a clean run: no issue, not failed, and the given tally and line count.
private func expectClean(
  _ result: ChunkResult, _ tally: Tally, lines: Int,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(!result.failed, sourceLocation: sourceLocation)
  #expect(result.issues.isEmpty, "\(result.issues)", sourceLocation: sourceLocation)
  #expect(result.tally == tally, sourceLocation: sourceLocation)
  #expect(result.lines == lines, sourceLocation: sourceLocation)
}

// MARK: Tests

@Suite struct RecordEvaluatorTests {
  @Test func sumsPlainRecords() {
    let result = evaluate("0,0.1\n1,0.9\n1,0.8\n0,0.35\n")
    let rows = [row(0, 0.1), row(1, 0.9), row(1, 0.8), row(0, 0.35)]
    expectClean(result, expectedTally(rows), lines: 4)
    #expect(result.tally.records == 4)
    #expect(result.tally.predictions[0].count == 4)
    #expect(ulpDistance(result.tally.predictions[0].lossSum.value, 0.8646474987223165) <= 1)
  }

  @Test func emptyChunk() {
    let result = evaluate("")
    expectClean(result, Tally(predictionColumns: 1), lines: 0)
  }

  @Test func quotedNumericFields() {
    let result = evaluate("\"1\",\"0.25\"\n\"0\",0.5\n1,\"1e-1\"\n")
    expectClean(result, expectedTally([row(1, 0.25), row(0, 0.5), row(1, 0.1)]), lines: 3)
  }

  @Test func crlfLineEnds() {
    let rows = [row(1, 0.25), row(0, 0.5), row(1, 0.75)]
    expectClean(evaluate("1,0.25\r\n0,\"0.5\"\r\n1,0.75\r\n"), expectedTally(rows), lines: 3)
    // The last record without its line end, CR or not.
    expectClean(evaluate("1,0.25\r\n0,\"0.5\"\r\n1,0.75\r"), expectedTally(rows), lines: 2)
    expectClean(evaluate("1,0.25\r\n0,\"0.5\"\r\n1,0.75"), expectedTally(rows), lines: 2)
    expectClean(evaluate("1,0.25\r\n0,\"0.5\"\r\n1,\"0.75\"\r"), expectedTally(rows), lines: 2)
  }

  @Test func blankLinesAreSkippedButCounted() {
    let rows = [row(1, 0.25), row(0, 0.5)]
    expectClean(evaluate("\n1,0.25\n\r\n\n0,0.5\n\n"), expectedTally(rows), lines: 6)
    // A lone CR at the very end is a blank line too.
    expectClean(evaluate("1,0.25\n0,0.5\n\r"), expectedTally(rows), lines: 2)
    expectClean(evaluate("\n\n\r\n"), expectedTally([]), lines: 3)
  }

  @Test func lastLineWithoutNewline() {
    expectClean(evaluate("1,0.25\n0,0.5"), expectedTally([row(1, 0.25), row(0, 0.5)]), lines: 1)
    expectClean(evaluate("1,0.25"), expectedTally([row(1, 0.25)]), lines: 0)
  }

  @Test func fieldsBeyondTheNeededOnesAreSkipped() {
    let text = "1,0.25,foo,\"x\ny\",bar\n0,0.5,\"a,b\"\n1,0.75,\"\"\"q\"\"\n\n\",z\n"
    let rows = [row(1, 0.25), row(0, 0.5), row(1, 0.75)]
    expectClean(evaluate(text), expectedTally(rows), lines: 6)
    // The needed columns in any order, with unneeded ones between them.
    let reordered = evaluate(
      "0.25,x,1,\"w\nv\",2\n0.5,\"y\",0,,1\n",
      layout: layout(label: 2, predictions: [0], weight: 4))
    expectClean(
      reordered, expectedTally([row(1, 0.25, weight: 2), row(0, 0.5, weight: 1)]), lines: 3)
  }

  @Test func tabDelimiter() {
    let result = evaluate("1\t0.25\tx,y\n0\t\"0.5\"\n", delimiter: tab)
    expectClean(result, expectedTally([row(1, 0.25), row(0, 0.5)]), lines: 2)
    // A comma is not a separator: `0,25` is not a number.
    let invalid = evaluate("1\t0,25\n", delimiter: tab)
    #expect(invalid.failed)
  }

  @Test func weightsMultiplyTheTerms() {
    let result = evaluate(
      "0,0.1,1\n1,0.9,2\n1,0.8,0.5\n0,0.35,3\n1,0.5,0\n0,1,-0\n", layout: layout(weight: 2))
    let rows = [
      row(0, 0.1, weight: 1), row(1, 0.9, weight: 2), row(1, 0.8, weight: 0.5),
      row(0, 0.35, weight: 3), row(1, 0.5, weight: 0), row(0, 1, weight: 0),
    ]
    expectClean(result, expectedTally(rows), lines: 6)
    let m = Metrics(result.tally.predictions[0])
    #expect(m.count == 6)
    #expect(m.weightSum == 6.5)
    #expect(m.clipped == 1)
    #expect(ulpDistance(m.lossMean!, 0.26461570321660716) <= 1)
  }

  @Test func weightZeroRecordWithInfiniteLoss() {
    let rules = RecordRules(formula: LossFormula(clipping: .preset(.none)))
    let result = evaluate("1,0,0\n0,0.5,1\n", layout: layout(weight: 2), rules: rules)
    #expect(!result.failed)
    let t = result.tally.predictions[0]
    #expect(t.count == 2)
    #expect(t.lossSum.value == -log1p(-0.5))
    #expect(t.lossSum.positiveInfinities == 0 && t.lossSum.nans == 0)
  }

  @Test func logitPredictions() {
    let rules = RecordRules(formula: .logits)
    let result = evaluate("1,inf\n0,-Infinity\n1,-3.5\n0,1e999\n", rules: rules)
    #expect(!result.failed)
    let expected = expectedTally(
      [row(1, .infinity), row(0, -.infinity), row(1, -3.5), row(0, .infinity)], formula: .logits)
    #expect(result.tally == expected)
    #expect(result.tally.predictions[0].lossSum.value == .infinity)
    #expect(evaluate("1,nan\n", rules: rules).failed)
    #expect(evaluate("1,\n", rules: rules).failed)
  }

  @Test func tooFewFields() {
    let result = evaluate("1\n")
    #expect(result.failed)
    #expect(
      result.issues == [
        RecordIssue(lineOffset: 0, message: "the record has 1 field, but column 'pred' is field 2")
      ])
    #expect(result.tally == Tally(predictionColumns: 1))
    #expect(result.lines == 0)
    // After a record whose skipped field holds a line break, and a blank line.
    let later = evaluate("1,0.5,\"x\ny\"\n\n\"1\"\r\n")
    #expect(later.failed)
    #expect(later.issues.map(\.lineOffset) == [3])
    #expect(later.lines == 3)
    #expect(later.tally == expectedTally([row(1, 0.5)]))
    // Every missing column is named.
    let weighted = evaluate("1\n", layout: layout(weight: 2))
    #expect(
      weighted.issues.first?.message
        == "the record has 1 field, but column 'pred' is field 2, 'w' is field 3")
    let none = evaluate("\"\"\n", layout: layout(label: 1, predictions: [0]))
    #expect(none.issues.first?.message == "the record has 1 field, but column 'label' is field 2")
  }

  /// Each invalid record: the chunk fails with one issue at the record's line, and nothing of
  /// the invalid record is added.
  @Test(arguments: [
    // Labels.
    (
      "2,0.5,1",
      "invalid label \"2\" in column 'label' (expected a number in [0, 1], true or false, out of range)"
    ),
    ("-0.5,0.5,1", "out of range"),
    ("1.5,0.5,1", "out of range"),
    ("nan,0.5,1", "got NaN"),
    ("inf,0.5,1", "invalid label \"inf\""),
    (",0.5,1", "empty label in column 'label' (expected a number in [0, 1], true or false)"),
    (
      "abc,0.5,1",
      "invalid label \"abc\" in column 'label' (expected a number in [0, 1], true or false)"
    ),
    ("yes,0.5,1", "invalid label \"yes\""),
    ("\"1\"\"\",0.5,1", "invalid label"),
    // Predictions.
    (
      "1,1.5,1",
      "invalid prediction \"1.5\" in column 'pred' (expected a probability in [0, 1], out of range)"
    ),
    ("1,-0.1,1", "out of range"),
    ("1,1.0000000000000002,1", "out of range"),
    (
      "1,nan,1",
      "invalid prediction \"nan\" in column 'pred' (expected a probability in [0, 1], got NaN)"
    ),
    ("1,,1", "empty prediction in column 'pred' (expected a probability in [0, 1])"),
    ("1,\"\",1", "empty prediction"),
    ("1,x,1", "invalid prediction \"x\""),
    ("1,inf,1", "out of range"),
    ("1,0x1p-2,1", "invalid prediction \"0x1p-2\""),
    // Weights.
    (
      "1,0.5,-1", "invalid weight \"-1\" in column 'w' (expected a finite number ≥ 0, out of range)"
    ),
    (
      "1,0.5,inf",
      "invalid weight \"inf\" in column 'w' (expected a finite number ≥ 0, got infinity)"
    ),
    ("1,0.5,1e999", "got infinity"),
    ("1,0.5,-inf", "got infinity"),
    ("1,0.5,nan", "got NaN"),
    ("1,0.5,", "empty weight in column 'w' (expected a finite number ≥ 0)"),
    ("1,0.5,heavy", "invalid weight \"heavy\""),
    // Quoting.
    ("1,\"0.5\"x,1", "text after the closing quote of field 2: \"x\""),
    ("1,0.5,\"1", "a quoted field is not closed before the end of the input"),
  ])
  func invalidRecordStopsTheChunk(record: String, message: String) {
    // Two valid records before it, one with a line break in a quoted field, and a blank line.
    let before = "0,0.25,2,\"a\nb\"\n\n1,0.75,1\n"
    let text = before + record + "\n1,0.5,1\n"
    let result = evaluate(text, layout: layout(weight: 2))
    #expect(result.failed)
    #expect(result.issues.count == 1)
    #expect(result.issues.first?.lineOffset == 4)
    #expect(result.issues.first?.message.contains(message) == true, "\(result.issues)")
    #expect(result.lines == 4)
    #expect(result.tally == expectedTally([row(0, 0.25, weight: 2), row(1, 0.75, weight: 1)]))
  }

  @Test func validEdgeValues() {
    let text =
      "0,0,0\n1,1,1e300\n-0,-0,-0\n1,1e-320,0.5\n0.5,0.5,1\ntrue,0.5,1\n\" 1 \",\"0.5 \",1\n"
    let result = evaluate(text, layout: layout(weight: 2))
    let rows = [
      row(0, 0, weight: 0), row(1, 1, weight: 1e300), row(0, 0, weight: 0),
      row(1, Double("1e-320")!, weight: 0.5),
      row(0.5, 0.5, weight: 1), row(1, 0.5, weight: 1), row(1, 0.5, weight: 1),
    ]
    expectClean(result, expectedTally(rows), lines: 7)
  }

  @Test func skipInvalidCountsAndDescribesTheFirstIssues() {
    var text = ""
    var rows: [Row] = []
    var invalidLines: [Int] = []
    var line = 0
    var rng = SplitMix64(seed: 31)
    for i in 0..<40 {
      switch rng.next() % 5 {
      case 0, 1:
        text += "2,0.5\n"
        invalidLines.append(line)
        line += 1
      case 2:
        text += "\"1\",0.5,\"x\ny\"\n\n"
        rows.append(row(1, 0.5))
        line += 3
      default:
        let p = Double(i) / 40
        text += "0,\(p)\n"
        rows.append(row(0, p))
        line += 1
      }
    }
    text += "1,7"  // invalid, without a line end
    invalidLines.append(line)
    let result = evaluate(text, rules: RecordRules(formula: sklearn, skipInvalid: true))
    #expect(!result.failed)
    #expect(result.lines == line)
    #expect(invalidLines.count > RecordRules.describedIssueLimit)
    #expect(result.issues.count == RecordRules.describedIssueLimit)
    #expect(
      result.issues.map(\.lineOffset) == Array(invalidLines.prefix(RecordRules.describedIssueLimit))
    )
    #expect(
      result.tally
        == expectedTally(
          rows, records: rows.count + invalidLines.count, skipped: invalidLines.count))
  }

  @Test func skipInvalidWithFewIssuesDescribesAll() {
    let text = "1,0.5\n1\n\n0,x\n0,0.25\n"
    let result = evaluate(text, rules: RecordRules(formula: sklearn, skipInvalid: true))
    #expect(result.issues.map(\.lineOffset) == [1, 3])
    #expect(result.tally == expectedTally([row(1, 0.5), row(0, 0.25)], records: 4, skipped: 2))
    #expect(result.lines == 5)
  }

  @Test func labelTokens() {
    func rules(_ negative: String, _ positive: String) -> RecordRules {
      RecordRules(
        formula: sklearn,
        labels: .tokens(negative: Array(negative.utf8), positive: Array(positive.utf8)))
    }
    let signs = rules("-1", "1")
    expectClean(
      evaluate("-1,0.25\n1,0.5\n\"1\",0.75\n", rules: signs),
      expectedTally([row(0, 0.25), row(1, 0.5), row(1, 0.75)]), lines: 3)
    for bad in ["0", "1.0", "+1", "-1.0", " 1", "true", ""] {
      #expect(evaluate("\(bad),0.5\n", rules: signs).failed, "\(bad)")
    }
    let words = rules("no", "yes")
    expectClean(
      evaluate("yes,0.5\nno,0.25\n\"yes\",0.5\n\"no\",0.125\n", rules: words),
      expectedTally([row(1, 0.5), row(0, 0.25), row(1, 0.5), row(0, 0.125)]), lines: 4)
    for bad in ["Yes", "yes ", "YES", "y", "1", "0", "\"yes\"\"\""] {
      let result = evaluate("\(bad),0.5\n", rules: words)
      #expect(result.failed, "\(bad)")
      #expect(result.issues.first?.message.contains("(expected no or yes") == true)
    }
    // `--labels 0,1` rejects soft labels and other spellings.
    let binary = rules("0", "1")
    expectClean(
      evaluate("0,0.5\n1,0.5\n", rules: binary), expectedTally([row(0, 0.5), row(1, 0.5)]), lines: 2
    )
    for bad in ["0.5", "1.0", "0.0", "true", "01"] {
      #expect(evaluate("\(bad),0.5\n", rules: binary).failed, "\(bad)")
    }
  }

  @Test func labelTokensWithQuotes() {
    // The token `say "hi"` matches the field's unquoted content: `"say ""hi"""` in quotes, or
    // the same bytes unquoted (a quote inside an unquoted field is an ordinary byte).
    let rules = RecordRules(
      formula: sklearn,
      labels: .tokens(negative: Array("a\"\"b".utf8), positive: Array("say \"hi\"".utf8)))
    expectClean(
      evaluate("\"say \"\"hi\"\"\",0.5\nsay \"hi\",0.25\n", rules: rules),
      expectedTally([row(1, 0.5), row(1, 0.25)]), lines: 2)
    // The negative token holds two quotes: unquoted `a""b` is it, quoted `"a""b"` is `a"b`.
    expectClean(evaluate("a\"\"b,0.5\n", rules: rules), expectedTally([row(0, 0.5)]), lines: 1)
    #expect(evaluate("\"a\"\"b\",0.5\n", rules: rules).failed)
    #expect(evaluate("\"a\"\"\"\"b\",0.5\n", rules: rules).tally == expectedTally([row(0, 0.5)]))
    #expect(evaluate("\"say \"\"hi\"\"\"\"\",0.5\n", rules: rules).failed)
    #expect(evaluate("\"say \"\"hi\",0.5\n", rules: rules).failed)
  }

  @Test func trueAndFalseLabels() {
    let text = "true,0.5\nFALSE,0.5\nTrue,0.25\nfalse,0.125\n\"TRUE\",0.5\ntRuE,0.5\n"
    let rows = [
      row(1, 0.5), row(0, 0.5), row(1, 0.25), row(0, 0.125), row(1, 0.5), row(1, 0.5),
    ]
    expectClean(evaluate(text), expectedTally(rows), lines: 6)
    for bad in ["t", "truex", "yes", "TRUE ", "fals", "\"true\"\"\""] {
      #expect(evaluate("\(bad),0.5\n").failed, "\(bad)")
    }
  }

  @Test func invalidPredictionInOneColumnAddsNothingToAny() {
    let threeColumns = layout(predictions: [1, 2, 3])
    let text = "1,0.5,0.25,0.125\n0,0.5,2,0.25\n1,0.75,0.125,0.5\n"
    let skipping = evaluate(
      text, layout: threeColumns, rules: RecordRules(formula: sklearn, skipInvalid: true))
    #expect(!skipping.failed)
    #expect(skipping.issues.count == 1)
    #expect(skipping.issues.first?.lineOffset == 1)
    #expect(skipping.issues.first?.message.contains("in column 'p2'") == true)
    let rows = [row(1, 0.5, 0.25, 0.125), row(1, 0.75, 0.125, 0.5)]
    #expect(skipping.tally == expectedTally(rows, columns: 3, records: 3, skipped: 1))
    for k in 0..<3 { #expect(skipping.tally.predictions[k].count == 2) }

    let failing = evaluate(text, layout: threeColumns)
    #expect(failing.failed)
    #expect(failing.tally == expectedTally([row(1, 0.5, 0.25, 0.125)], columns: 3))
    // The same column twice is two tallies of the same values.
    let twice = evaluate("1,0.5\n", layout: layout(predictions: [1, 1]))
    #expect(twice.tally.predictions[0] == twice.tally.predictions[1])
  }

  @Test func unclosedQuoteAtTheEndOfTheChunk() {
    let result = evaluate(
      "1,0.5\n1,\"0.5\n\n", rules: RecordRules(formula: sklearn, skipInvalid: true))
    #expect(result.issues.map(\.lineOffset) == [1])
    #expect(
      result.issues.first?.message == "a quoted field is not closed before the end of the input")
    #expect(result.tally == expectedTally([row(1, 0.5)], records: 2, skipped: 1))
    #expect(result.lines == 3)
  }

  @Test func textAfterAClosingQuoteSkipsTheWholeRecord() {
    // The malformed record runs to its line end, quotes after the bad text included, the
    // same way the boundary scan reads it.
    let text = "\"1\"x,0.5,\"a\nb\"\n0,0.25\n"
    let result = evaluate(text, rules: RecordRules(formula: sklearn, skipInvalid: true))
    #expect(result.issues.map(\.lineOffset) == [0])
    #expect(result.tally == expectedTally([row(0, 0.25)], records: 2, skipped: 1))
    #expect(result.lines == 3)
    let bytes = Array(text.utf8)
    var newlines = 0
    let end = bytes.withUnsafeBufferPointer {
      CSVScanner.recordEnd($0, from: 0, delimiter: comma, newlines: &newlines)
    }
    #expect(end == 15)
  }

  /// Splitting a buffer at record boundaries into chunks and merging the chunk tallies gives
  /// the tally of the whole buffer, bit for bit; line counts and issue lines add up too.
  @Test func splittingAtRecordBoundariesGivesTheSameTally() {
    var rng = SplitMix64(seed: 41)
    let shapes = [
      "1,0.25\n", "0,\"0.5\"\r\n", "\n", "\r\n", "1,0.125,\"x\ny\"\n", "0.5,0.75,\"a,\"\"b\"\"\"\n",
      "2,0.5\n", "true,1e-20\n", "0,1\n", "1,0\r\n", "1\n", "0,0.3,z,\"\r\n\"\r\n",
    ]
    let lay = layout(predictions: [1])
    for _ in 0..<100 {
      var text = ""
      var boundaries: [Int] = [0]
      for _ in 0..<Int.random(in: 1...25, using: &rng) {
        text += shapes[Int(rng.next() % UInt64(shapes.count))]
        boundaries.append(text.utf8.count)
      }
      if rng.next() & 1 == 0 {
        text += "0,0.875"
        boundaries.append(text.utf8.count)
      }
      let bytes = Array(text.utf8)
      let rules = RecordRules(formula: sklearn, skipInvalid: true)
      let whole = evaluate(bytes, layout: lay, rules: rules)

      // Every boundary, then random subsets of them.
      var cutSets = [boundaries]
      for _ in 0..<5 {
        let inner: [Int] = boundaries.dropFirst().dropLast().filter { _ in rng.next() & 1 == 0 }
        cutSets.append([0] + inner + [bytes.count])
      }
      for cuts in cutSets {
        var merged = Tally(predictionColumns: 1)
        var lines = 0
        var issueLines: [Int] = []
        for (start, end) in zip(cuts, cuts.dropFirst()) where end > start {
          let chunk = evaluate(Array(bytes[start..<end]), layout: lay, rules: rules)
          merged.merge(chunk.tally)
          issueLines += chunk.issues.map { $0.lineOffset + lines }
          lines += chunk.lines
        }
        #expect(merged == whole.tally, "\(text.debugDescription) cut at \(cuts)")
        #expect(lines == whole.lines)
        #expect(Array(issueLines.prefix(whole.issues.count)) == whole.issues.map(\.lineOffset))
      }
    }
  }
}
