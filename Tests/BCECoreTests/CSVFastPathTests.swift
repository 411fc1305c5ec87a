import BCETestSupport
import Testing

@testable import BCECore

#if canImport(Glibc)
  import Glibc
#endif

// The CSV fast path must be invisible: for every input, the evaluator that takes it gives
// the same tally, line count and messages as the one that takes only the general path.

// MARK: DecimalParser.parsePrefix

private func prefix(_ text: String) -> (value: Double, count: Int)? {
  let bytes = Array(text.utf8)
  return bytes.withUnsafeBufferPointer {
    DecimalParser.parsePrefix($0.baseAddress!, limit: $0.count)
  }
}

@Test(arguments: [
  ("0", 0.0, 1), ("1", 1.0, 1), ("0.5,", 0.5, 3), ("-2.5e3\n", -2500.0, 6), ("+7|", 7.0, 2),
  (".25x", 0.25, 3), ("1.", 1.0, 2), ("1e5;", 100_000.0, 3), ("1E-2\r\n", 0.01, 4),
  ("0.08750709501290291,1", 0.08750709501290291, 19),
  ("12345678901234567890123,", 12345678901234567890123.0, 23), ("1.5 ", 1.5, 3),
  ("-0,", -0.0, 2), ("3.5e", 3.5, 3),
])
func parsePrefixStopsAtTheFirstByteThatCannotContinueTheNumber(
  text: String, value: Double, count: Int
) throws {
  // "3.5e": the `e` has no digits after it, so the number is only a prefix when the caller
  // stops at the `e`; parsePrefix reports that as no number (the general path decides).
  if text == "3.5e" {
    #expect(prefix(text) == nil)
    return
  }
  let parsed = try #require(prefix(text))
  #expect(parsed.value.bitPattern == value.bitPattern)
  #expect(parsed.count == count)
}

@Test(arguments: [
  "", " 1", "\t0.5", "inf", "nan", "-", "+", ".", "-.", "e5", "1e", "1e+,", "\"1\"", "x",
])
func parsePrefixLeavesEverythingElseToTheGeneralPath(text: String) {
  #expect(prefix(text) == nil)
}

@Test func parsePrefixAgreesWithParseOnRandomDecimalsAndTerminators() {
  var random = SplitMix64(seed: 0x5EED_FA57)
  let terminators = [",", "\n", "\r\n", ";", "\t", "|", "\"", " ", "x", "", ".", "e", "E-"]
  for _ in 0..<200_000 {
    let number = randomDecimal(&random)
    let terminator = terminators[Int(random.next() % UInt64(terminators.count))]
    let bytes = Array((number + terminator).utf8)
    let whole = Array(number.utf8).withUnsafeBufferPointer {
      DecimalParser.parse($0.baseAddress!, count: $0.count)
    }
    let parsed = bytes.withUnsafeBufferPointer {
      DecimalParser.parsePrefix($0.baseAddress!, limit: $0.count)
    }
    guard let parsed else {
      // Only a terminator that continues the number (".", "e", "E-") or an empty exponent
      // makes parsePrefix give up where parse succeeds on the number alone.
      #expect(
        whole == nil || [".", "e", "E-"].contains(terminator),
        "parsePrefix gave up on \(number + terminator)")
      continue
    }
    if parsed.count == number.utf8.count {
      #expect(
        parsed.value.bitPattern == whole?.bitPattern, "\(number + terminator): \(parsed.value)")
      let expected = strtod(number, nil)
      #expect(parsed.value.bitPattern == expected.bitPattern, "\(number): against strtod")
    } else {
      // It stopped early or read on: then the bytes it took are a number on their own.
      let taken = Array(bytes[..<parsed.count])
      let again = taken.withUnsafeBufferPointer {
        DecimalParser.parse($0.baseAddress!, count: $0.count)
      }
      #expect(again?.bitPattern == parsed.value.bitPattern, "\(number + terminator)")
      #expect([".", "e", "E-"].contains(terminator), "\(number + terminator)")
    }
  }
}

/// Fractions of 16 and 17 digits whose significand is above 2⁵³: dividing the significand
/// rounded to a double by the power of ten rounds twice and misses the correctly rounded
/// value (Python's `float` of the same text) by one unit in the last place, so the parser
/// must not take Clinger's division for them, whatever its test for choosing it.
@Test func zeroPointFractionRoundsLongSignificandsOnce() throws {
  let cases: [(text: String, expected: String)] = [
    ("0.9954660203129835", "0x1.fdadb8e30c0cep-1"),
    ("0.9603971742006689", "0x1.ebb92dacb9b24p-1"),
    ("0.9287608836281205", "0x1.db868be9f9430p-1"),
    ("0.17472842155438677", "0x1.65d803c20ff5ap-3"),
    ("0.32604661561322043", "0x1.4ddf29fc1efdbp-2"),
    ("0.45932343108489029", "0x1.d658e1ab2f386p-2"),
    ("0.999999999999999", "0x1.ffffffffffff7p-1"),
  ]
  for (text, expected) in cases {
    let want = try #require(Double(expected))
    var bytes = Array((text + ",1\n").utf8)
    while bytes.count < DecimalParser.zeroPointFractionReach + 4 { bytes.append(0x30) }
    let parsed = try #require(
      bytes.withUnsafeBufferPointer { DecimalParser.parseZeroPointFraction($0.baseAddress!) },
      "\(text) declined")
    #expect(parsed.value.bitPattern == want.bitPattern, "\(text): \(parsed.value)")
    #expect(parsed.count == text.utf8.count, "\(text)")
    // The case is a real one: the double-rounded division differs, for the long ones.
    let digits = text.utf8.count - 2
    if digits > 15 {
      let significand = try #require(UInt64(text.dropFirst(2)))
      let divided = Double(significand) / pow(10, Double(digits))
      #expect(divided.bitPattern != want.bitPattern, "\(text) is not a double-rounding case")
    }
  }
}

@Test func zeroPointFractionAgreesWithParsePrefix() {
  var random = SplitMix64(seed: 0x0_F4AC)
  let terminators = [",", "\n", "\r\n", "|", "", ".5", "e5", "E-3", "x", "\"", "0"]
  var taken = 0
  var plain = 0
  for _ in 0..<300_000 {
    let count = Int(random.next() % 25)
    let leadingZeros = random.next() % 3 == 0 ? Int(random.next() % 6) : 0
    var text = "0." + String(repeating: "0", count: min(leadingZeros, count))
    for _ in min(leadingZeros, count)..<count { text += String(random.next() % 10) }
    let terminator = terminators[Int(random.next() % UInt64(terminators.count))]
    // What follows the number: random digits, so a load past it sees digits too.
    var bytes = Array((text + terminator).utf8)
    while bytes.count < DecimalParser.zeroPointFractionReach + 4 {
      bytes.append(UInt8(ascii: "0") + UInt8(random.next() % 10))
    }
    let limit = terminator.isEmpty ? text.utf8.count : bytes.count
    let general = bytes.withUnsafeBufferPointer {
      DecimalParser.parsePrefix($0.baseAddress!, limit: limit)
    }
    guard limit >= DecimalParser.zeroPointFractionReach else { continue }
    let fast = bytes.withUnsafeBufferPointer {
      DecimalParser.parseZeroPointFraction($0.baseAddress!)
    }
    let simple = (1...19).contains(count) && !["e5", "E-3", "0"].contains(terminator)
    if simple { plain += 1 }
    guard let fast else { continue }
    taken += 1
    #expect(
      fast.value.bitPattern == general?.value.bitPattern && fast.count == general?.count,
      "\(text + terminator): \(fast) against \(String(describing: general))")
  }
  // It must take nearly every plain spelling (only near ties are left to parsePrefix), and
  // nothing else.
  #expect(taken <= plain && taken > plain * 99 / 100, "took \(taken) of \(plain)")
}

/// A random decimal in the syntax parsePrefix takes: signs, leading zeros, long
/// significands, fractions of every length, exponents.
private func randomDecimal(_ random: inout SplitMix64) -> String {
  func digits(_ count: Int) -> String {
    String((0..<count).map { _ in Character(String(random.next() % 10)) })
  }
  var text = ["", "", "-", "+"][Int(random.next() % 4)]
  let shape = random.next() % 6
  switch shape {
  case 0: text += "0." + digits(Int(random.next() % 20))
  case 1: text += digits(1 + Int(random.next() % 25))
  case 2: text += digits(1 + Int(random.next() % 4)) + "." + digits(Int(random.next() % 24))
  case 3: text += "." + digits(1 + Int(random.next() % 20))
  case 4: text += "0.000" + digits(1 + Int(random.next() % 18))
  default:
    text += digits(1 + Int(random.next() % 3)) + "." + digits(Int(random.next() % 18))
    text += ["e", "E", "e-", "e+"][Int(random.next() % 4)] + digits(1 + Int(random.next() % 3))
  }
  return text
}

// MARK: The evaluator, fast path against general path

/// Field texts that exercise both paths: plain numbers and labels, and everything the fast
/// path must leave to the general one.
private let labelTexts = [
  "0", "1", "0", "1", "0.25", "1.0", "0.0", "-0", "true", "False", "2", "-1", "", " 1", "1 ",
  "\"1\"", "\"0.5\"", "nan", "1e0", "0e5", "x", "\"\"",
]
private let predictionTexts = [
  "0.08750709501290291", "0.5", "0.999", "1", "0", "1e-20", "0.12847580769413583", "2.5e-1",
  "0.000001", "1.5", "-0.1", "", " 0.5", "0.5 ", "\"0.25\"", "inf", "NaN", "abc",
  "0.1234567890123456789012", "1e", "0.", ".5", "+0.5", "1e-400", "3e-320", "0.25e-1", "0.000",
  "0.12345678901234567", "0.1234567890123456789", "0.00000000000000000001", "0.5.5",
]
private let weightTexts = ["1", "1", "2.5", "0", "0.5", "1e300", "-1", "inf", "", "w", "\"2\""]
private let groupTexts = ["a", "b", "ctr_v1", "", "\"a\"", "\"x,y\"", "\"q\"\"q\"", "a\r", "é"]
private let otherTexts = ["id", "12345", "", "\"quoted, with comma\"", "\"multi\nline\"", "x\"y"]

private func pick(_ texts: [String], _ random: inout SplitMix64, oddOneIn odds: UInt64 = 4)
  -> String
{
  // Mostly the first, plain texts, so that long runs take the fast path.
  if random.next() % odds != 0 {
    return texts[Int(random.next() % UInt64(min(4, texts.count)))]
  }
  return texts[Int(random.next() % UInt64(texts.count))]
}

private struct Shape {
  var fields: Int
  var layout: ColumnLayout
  var rules: RecordRules
  var delimiter: UInt8
}

private func randomShape(_ random: inout SplitMix64) -> Shape {
  let fields = 2 + Int(random.next() % 5)
  var free = Array(0..<fields).shuffled(using: &random)
  let label = free.removeLast()
  let predictionCount = 1 + Int(random.next() % UInt64(min(2, free.count)))
  let predictions = (0..<predictionCount).map { _ in free.removeLast() }
  let weight = !free.isEmpty && random.next() % 3 == 0 ? free.removeLast() : nil
  let group = !free.isEmpty && random.next() % 3 == 0 ? free.removeLast() : nil
  let layout = ColumnLayout(
    label: label, predictions: predictions, weight: weight, group: group,
    names: ColumnNames(
      label: "'label'", predictions: predictions.indices.map { "'p\($0)'" },
      weight: weight == nil ? nil : "'w'", group: group == nil ? nil : "'g'"))
  let formulas = [
    LossFormula(clipping: .preset(.sklearn)), LossFormula(clipping: .preset(.none)),
    LossFormula(clipping: .preset(.spark)), LossFormula(clipping: .preset(.torch)), .logits,
  ]
  let rules = RecordRules(
    formula: formulas[Int(random.next() % UInt64(formulas.count))],
    skipInvalid: random.next() % 2 == 0, binCount: random.next() % 4 == 0 ? 5 : 0)
  let delimiters = [UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: ";"), UInt8(ascii: "|")]
  return Shape(
    fields: fields, layout: layout, rules: rules,
    delimiter: delimiters[Int(random.next() % UInt64(delimiters.count))])
}

/// `odds`: one field in `odds` (and one record shape in 10·`odds`) is drawn from all the
/// texts, plain or not; the others are plain.
private func randomChunk(
  _ shape: Shape, records: Int, _ random: inout SplitMix64, oddOneIn odds: UInt64 = 4
) -> [UInt8] {
  var text = ""
  let d = String(UnicodeScalar(shape.delimiter))
  for _ in 0..<records {
    switch random.next() % (10 * odds) {
    case 0:
      text += "\n"  // a blank line
      continue
    case 1:
      text += "\r\n"
      continue
    default: break
    }
    var fields: [String] = []
    for f in 0..<shape.fields {
      if f == shape.layout.label {
        fields.append(pick(labelTexts, &random, oddOneIn: odds))
      } else if let k = shape.layout.predictions.firstIndex(of: f) {
        _ = k
        fields.append(pick(predictionTexts, &random, oddOneIn: odds))
      } else if f == shape.layout.weight {
        fields.append(pick(weightTexts, &random, oddOneIn: odds))
      } else if f == shape.layout.group {
        // Half the keys from 40 more, so that a chunk's table passes the 16 groups whose
        // sums the grouped loop keeps in fixed point, often in the middle of the chunk.
        fields.append(
          random.next() % 2 == 0
            ? "k\(random.next() % 40)" : pick(groupTexts, &random, oddOneIn: odds))
      } else {
        fields.append(pick(otherTexts, &random, oddOneIn: odds))
      }
    }
    switch random.next() % (8 * odds) {
    case 0: fields.removeLast()  // too few fields
    case 1: fields.append("extra")
    case 2: fields.append("\"extra, quoted\"")
    default: break
    }
    text += fields.joined(separator: d)
    text += random.next() % 10 == 0 ? "\r\n" : "\n"
  }
  // The last record may lack its line end, or end with a lone CR or a trailing delimiter.
  switch random.next() % 6 {
  case 0:
    if text.hasSuffix("\r\n") {
      text.removeLast()
    } else if text.hasSuffix("\n") {
      text.removeLast()
    }
  case 1: text += "0" + d + "0.5"
  case 2: text += "1" + d + "0.5\r"
  case 3: text += "1" + d
  default: break
  }
  return Array(text.utf8)
}

/// Evaluates `chunk` with both evaluators and expects the same tally, lines, issues and
/// outcome (the differential tests of the CSV fast path and the JSON Lines shortcut).
///
/// - Returns: the records of the chunk.
func expectSameResults(
  _ fast: RecordEvaluator, _ general: RecordEvaluator, on chunk: [UInt8], round: Int
) -> Int {
  let a = chunk.withUnsafeBytes { fast.evaluate($0) }
  let b = chunk.withUnsafeBytes { general.evaluate($0) }
  let text = String(decoding: chunk, as: UTF8.self)
  #expect(a.tally == b.tally, "round \(round): \(text.debugDescription)")
  #expect(a.lines == b.lines, "round \(round): \(text.debugDescription)")
  #expect(a.issues == b.issues, "round \(round): \(text.debugDescription)")
  #expect(a.failed == b.failed, "round \(round): \(text.debugDescription)")
  return a.tally.records
}

@Test func theFastPathGivesTheGeneralPathsResultsOnRandomChunks() {
  var random = SplitMix64(seed: 0xFA57_9A7B)
  var fastRecords = 0
  for round in 0..<3000 {
    let shape = randomShape(&random)
    // One round in five: long runs of plain records, past the unit-weighted loop's batches
    // of 64.
    let long = round % 5 == 0
    let chunk = randomChunk(
      shape, records: long ? 100 + Int(random.next() % 300) : 1 + Int(random.next() % 40),
      &random, oddOneIn: long ? 300 : 4)
    let format = RecordFormat.csv(delimiter: shape.delimiter)
    let fast = RecordEvaluator(
      format: format, layout: shape.layout, rules: shape.rules, fastPath: true)
    let general = RecordEvaluator(
      format: format, layout: shape.layout, rules: shape.rules, fastPath: false)
    #expect(fast.fastPlan != nil)
    #expect(general.fastPlan == nil)
    fastRecords += expectSameResults(fast, general, on: chunk, round: round)
  }
  #expect(fastRecords > 100_000)
}

@Test func aPlainChunkIsEvaluatedOnTheFastPathWithTheSameResult() {
  // The generated log's shape: id, model, label, score.
  var random = SplitMix64(seed: 7)
  var text = ""
  for i in 0..<5000 {
    let score = Double(random.next() % 1_000_000_007) / 1_000_000_007
    text += "\(i),ctr_v\(i % 4),\(random.next() % 2),\(score)\n"
  }
  let layout = ColumnLayout(
    label: 2, predictions: [3], weight: nil,
    names: ColumnNames(label: "'label'", predictions: ["'score'"], weight: nil))
  let rules = RecordRules(formula: LossFormula(clipping: .preset(.sklearn)))
  let fast = RecordEvaluator(
    format: .csv(delimiter: UInt8(ascii: ",")), layout: layout, rules: rules, fastPath: true)
  let general = RecordEvaluator(
    format: .csv(delimiter: UInt8(ascii: ",")), layout: layout, rules: rules, fastPath: false)
  #expect(fast.fastPlan?.unitWeighted == true)
  let bytes = Array(text.utf8)
  let a = bytes.withUnsafeBytes { fast.evaluate($0) }
  let b = bytes.withUnsafeBytes { general.evaluate($0) }
  #expect(a.tally == b.tally)
  #expect(a.tally.records == 5000)
  #expect(a.lines == 5000)
}

@Test(arguments: [".", "0", "e", "+", "-", "\"", "\n", "\r"])
func aDelimiterThatCanBePartOfANumberTurnsTheFastPathOff(delimiter: String) {
  let layout = ColumnLayout(
    label: 0, predictions: [1], weight: nil,
    names: ColumnNames(label: "'label'", predictions: ["'pred'"], weight: nil))
  let rules = RecordRules(formula: LossFormula(clipping: .preset(.sklearn)))
  #expect(CSVFastPlan(layout: layout, rules: rules, delimiter: delimiter.utf8.first!) == nil)
}

@Test func aColumnInTwoRolesOrTokenLabelsTurnTheFastPathOff() {
  let rules = RecordRules(formula: LossFormula(clipping: .preset(.sklearn)))
  let shared = ColumnLayout(
    label: 0, predictions: [1], weight: 1,
    names: ColumnNames(label: "'label'", predictions: ["'p'"], weight: "'p'"))
  #expect(CSVFastPlan(layout: shared, rules: rules, delimiter: UInt8(ascii: ",")) == nil)
  let plain = ColumnLayout(
    label: 0, predictions: [1], weight: nil,
    names: ColumnNames(label: "'label'", predictions: ["'p'"], weight: nil))
  var tokens = rules
  tokens.labels = .tokens(negative: Array("no".utf8), positive: Array("yes".utf8))
  #expect(CSVFastPlan(layout: plain, rules: tokens, delimiter: UInt8(ascii: ",")) == nil)
  #expect(CSVFastPlan(layout: plain, rules: rules, delimiter: UInt8(ascii: ",")) != nil)
}

// MARK: RecentGroups

@Test func recentGroupsFindTheTablesGroupForEveryKey() {
  // Keys of 0–20 bytes drawn from a few letters and NUL, so that many share a prefix, differ
  // only past byte 8, or differ only in a trailing NUL (which the zero padding must not hide).
  var random = SplitMix64(seed: 0x6_0095)
  var table = GroupTallies(predictionColumns: 1)
  var reference = GroupTallies(predictionColumns: 1)
  var recent = RecentGroups()
  let alphabet: [UInt8] = [0, UInt8(ascii: "a"), UInt8(ascii: "b")]
  var keys: [[UInt8]] = [[], [0], [UInt8(ascii: "a")], [UInt8(ascii: "a"), 0]]
  for _ in 0..<60 {
    let count = Int(random.next() % 21)
    keys.append((0..<count).map { _ in alphabet[Int(random.next() % 3)] })
  }
  for round in 0..<20_000 {
    // Mostly a few hot keys, so their entries hit; sometimes any of the 64 keys, some of
    // which share an entry of the 64, so entries are replaced.
    let key = keys[Int(random.next() % (round % 3 == 0 ? UInt64(keys.count) : 5))]
    // Bytes after the key, readable or not: the reader may look past the key's end.
    let tail = Int(random.next() % 24)
    var bytes = key + (0..<tail).map { _ in alphabet[Int(random.next() % 3)] }
    bytes.append(0)
    let g = bytes.withUnsafeBufferPointer {
      recent.group($0.baseAddress!, count: key.count, readable: key.count + tail, in: &table)
    }
    let expected = bytes.withUnsafeBufferPointer {
      reference.group(forKey: $0.baseAddress!, count: key.count)
    }
    #expect(g == expected, "key \(key)")
  }
  #expect(table.count == reference.count)
}

// MARK: The reader by steps

@Test func theStepReaderReadsEveryRecordAsTheFieldReaderDoes() {
  var random = SplitMix64(seed: 0x57E9_5EAD)
  var taken = 0
  var declined = 0
  for round in 0..<1500 {
    var shape = randomShape(&random)
    // The layouts with steps: one prediction column, no weight, no bins.
    var free = Array(0..<shape.fields).shuffled(using: &random)
    let label = free.removeLast()
    let prediction = free.removeLast()
    let group = !free.isEmpty && random.next() % 2 == 0 ? free.removeLast() : nil
    shape.layout = ColumnLayout(
      label: label, predictions: [prediction], weight: nil, group: group,
      names: ColumnNames(
        label: "'label'", predictions: ["'p0'"], weight: nil, group: group == nil ? nil : "'g'"))
    shape.rules = RecordRules(formula: shape.rules.formula, skipInvalid: false, binCount: 0)
    let chunk = randomChunk(shape, records: 1 + Int(random.next() % 40), &random, oddOneIn: 3)
    let evaluator = RecordEvaluator(
      format: .csv(delimiter: shape.delimiter), layout: shape.layout, rules: shape.rules,
      fastPath: true)
    guard let plan = evaluator.fastPlan, let steps = plan.steps else {
      Issue.record("round \(round): no steps for \(shape.layout)")
      continue
    }
    // Every position after a line end, and some others, as a record's start (which the
    // readers' callers keep below the chunk's end).
    var starts = chunk.isEmpty ? [] : [0]
    for (i, byte) in chunk.enumerated() where byte == UInt8(ascii: "\n") || i % 7 == 3 {
      if i + 1 < chunk.count { starts.append(i + 1) }
    }
    let word = CSVScanner.broadcast(shape.delimiter)
    chunk.withUnsafeBufferPointer { bytes in
      plan.roles.withUnsafeBufferPointer { roles in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 1) { predictions in
          for start in starts {
            var label = -1.0
            var value = -1.0
            var span = FieldSpan.text(-1, -1)
            var lines = 0
            let next = evaluator.fastStepFields(
              bytes, at: start, steps: steps, delimiter: shape.delimiter, delimiterWord: word,
              kernel: shape.rules.formula, label: &label, prediction: &value, groupSpan: &span,
              lines: &lines)
            var label2 = -1.0
            var weight = 1.0
            var span2 = FieldSpan.text(-1, -1)
            var lines2 = 0
            predictions[0] = -1
            let next2 = evaluator.fastCSVFields(
              bytes, at: start, roles: roles, delimiter: shape.delimiter, delimiterWord: word,
              predictions: predictions, kernel: shape.rules.formula, label: &label2,
              weight: &weight, groupSpan: &span2, lines: &lines2)
            let text = String(decoding: chunk[start...].prefix(60), as: UTF8.self).debugDescription
            #expect(next == next2, "round \(round): \(text)")
            guard let next, next == next2 else {
              declined += 1
              continue
            }
            taken += 1
            #expect(lines == lines2, "round \(round): \(text)")
            #expect(label.bitPattern == label2.bitPattern, "round \(round): \(text)")
            #expect(value.bitPattern == predictions[0].bitPattern, "round \(round): \(text)")
            if group != nil {
              #expect(span.start == span2.start && span.end == span2.end, "round \(round): \(text)")
            }
          }
        }
      }
    }
  }
  // Both outcomes happen often: the test would notice readers that agree only on declining.
  #expect(taken > 5000)
  #expect(declined > 5000)
}
