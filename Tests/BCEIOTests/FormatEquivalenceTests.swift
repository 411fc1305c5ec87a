import BCECore
import BCEIO
import BCETestSupport
import Testing

// SPEC §2 and §5: the same records give the same results whatever their format (CSV, TSV,
// JSON Lines), compression (plain or gzip) and split into files.

/// One record of the random logs, as values; each format writes it in its own way.
private struct LogRecord {
  var id: Int
  var label: Double
  /// A hard label may be written as `true`/`false`.
  var hard: Bool { label == 0 || label == 1 }
  var weight: Double
  var p1: Double
  var p2: Double
  /// Which value is invalid (in every format alike), if any: label, p1, p2 or weight.
  var invalid: Int?
}

/// Deterministic choices for the generators.
private struct Dice {
  var rng: SplitMix64

  mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
  mutating func unit() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

  mutating func probability() -> Double {
    switch below(8) {
    case 0: return pick([0, 1, 0.5, 0.25])
    case 1: return pick([1e-300, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-17])
    case 2: return 1 - pick([1e-16, 1.1102230246251565e-16, 1e-10])
    case 3: return Double(below(1000)) / 1000
    default: return unit()
    }
  }

  mutating func records(_ count: Int) -> [LogRecord] {
    (0..<count).map { id in
      let label: Double = chance(60) ? Double(below(2)) : unit()
      let weight: Double = pick([0, 1, 1, 2.5, 0.1, unit() * 10, 1e-300, 123456.789])
      let invalid: Int? = chance(8) ? below(4) : nil
      return LogRecord(
        id: id, label: label, weight: weight, p1: probability(), p2: probability(),
        invalid: invalid)
    }
  }
}

/// The value `n` as Swift prints it: the shortest decimal that reads back to the same double.
private func shortest(_ n: Double) -> String { "\(n)" }

/// The four values of a record as text, with the invalid one replaced (`2` is no label, `1.5`
/// no probability, `-1` no weight, `x` no number).
private func values(_ r: LogRecord) -> (label: String, p1: String, p2: String, w: String) {
  var label = shortest(r.label)
  var p1 = shortest(r.p1)
  var p2 = shortest(r.p2)
  var w = shortest(r.weight)
  switch r.invalid {
  case 0: label = "2"
  case 1: p1 = "1.5"
  case 2: p2 = "x"
  case 3: w = "-1"
  default: break
  }
  return (label, p1, p2, w)
}

// MARK: CSV and TSV

/// One CSV or TSV file of `records`: its own column order, a header, fields quoted now and
/// then, free text with delimiters, quotes and line breaks, LF or CRLF, blank lines.
private func delimited(_ records: [LogRecord], delimiter: String, dice: inout Dice) -> String {
  var columns = ["id", "label", "note", "p1", "w", "p2"]
  columns.shuffle(using: &dice.rng)
  let notes = [
    "plain", "\"with\(delimiter) delimiter\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", "",
    "\"a\r\nb\"", "{\"json\": [1]}",
  ]
  var text = dice.chance(20) ? "\n" : ""
  text += columns.joined(separator: delimiter) + "\n"
  for r in records {
    let v = values(r)
    var label = v.label
    if r.hard && r.invalid != 0 {
      let hardSpellings =
        r.label == 1
        ? ["1", "1.0", "1e0", "true", "TRUE", "True", "\"1\""]
        : ["0", "0.0", "-0", "0e5", "false", "FALSE", "\"0\""]
      label = dice.pick(hardSpellings)
    }
    var fields: [String] = []
    for column in columns {
      var field: String
      switch column {
      case "id": field = String(r.id)
      case "label": field = label
      case "note": field = dice.pick(notes)
      case "p1": field = v.p1
      case "p2": field = v.p2
      default: field = v.w
      }
      if column != "note" && !field.hasPrefix("\"") && dice.chance(10) { field = "\"\(field)\"" }
      fields.append(field)
    }
    text += fields.joined(separator: delimiter) + (dice.chance(30) ? "\r\n" : "\n")
    if dice.chance(5) { text += dice.pick(["\n", "\r\n"]) }
  }
  if dice.chance(50) {
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
  }
  return text
}

// MARK: JSON Lines

/// A JSON string literal for `text`, with some characters written as `\u` escapes.
private func jsonString(_ text: String, dice: inout Dice) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if scalar.isASCII && dice.chance(10) {
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}

/// A number value as JSON: the number itself, or now and then a string holding it.
private func jsonNumber(_ text: String, dice: inout Dice) -> String {
  if text == "x" { return jsonString(text, dice: &dice) }
  return dice.chance(20) ? jsonString(text, dice: &dice) : text
}

/// One JSON Lines file of `records`: keys in a random order per line, extra keys holding
/// nested values and escaped strings, now and then a key given twice (the last one counts),
/// white space around tokens, LF or CRLF, blank lines.
private func jsonLines(_ records: [LogRecord], dice: inout Dice) -> String {
  let extras = [
    "{\"nested\":{\"label\":0,\"p1\":[1,2,{\"w\":null}]}}", "[\"p2\",0.5,[],{}]", "null", "true",
    "\"a \\\"quoted\\\" \\\\ string \\u00e9 \\ud83d\\ude00\"", "-1.5e-7", "NaN", "-Infinity",
    "\"}\"",
  ]
  var text = dice.chance(20) ? " \n" : ""
  for r in records {
    let v = values(r)
    var label = jsonNumber(v.label, dice: &dice)
    if r.hard && r.invalid != 0 {
      let hardSpellings =
        r.label == 1
        ? ["1", "1.0", "1e0", "true", "\"1\"", "\"\\u0031\""]
        : ["0", "0.0", "-0", "0e5", "false", "\"0\"", "\"\\u0030\""]
      label = dice.pick(hardSpellings)
    }
    var members: [String] = [
      "\"label\":" + label, "\"p1\":" + jsonNumber(v.p1, dice: &dice),
      "\"p2\":" + jsonNumber(v.p2, dice: &dice), "\"w\":" + jsonNumber(v.w, dice: &dice),
      "\"id\":\(r.id)",
    ]
    for k in 0..<dice.below(3) {
      let key = dice.pick(["extra\(k)", "LABEL", "p1 ", "w\\u0000", "\\u0070"])
      members.append("\"\(key)\":" + dice.pick(extras))
    }
    members.shuffle(using: &dice.rng)
    // A key given twice: a value that would be invalid, before the one that counts.
    if dice.chance(10) {
      let key = dice.pick(["label", "p1", "p2", "w", "p\\u0031"])
      members.insert("\"\(key)\":" + dice.pick(["null", "\"bad\"", "[1]", "{}"]), at: 0)
    }
    let space = dice.pick(["", "", " ", "\t", " \r"])
    let line = "{" + space + members.joined(separator: space + "," + space) + space + "}"
    text += dice.pick(["", "", " "]) + line + (dice.chance(30) ? "\r\n" : "\n")
    if dice.chance(5) { text += dice.pick(["\n", "\r\n", " \t\n"]) }
  }
  if dice.chance(50) {
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
  }
  return text
}

// MARK: Runs

private enum Format: CaseIterable {
  case csv, tsv, jsonl

  /// File name extensions that imply the format.
  var extensions: [String] {
    switch self {
    case .csv: return ["csv", "CSV"]
    case .tsv: return ["tsv", "tab"]
    case .jsonl: return ["jsonl", "ndjson"]
    }
  }
}

/// `bytes` gzip-compressed: one member, or several cut at arbitrary offsets.
private func gzip(_ bytes: [UInt8], dice: inout Dice) -> [UInt8] {
  if bytes.count < 2 || dice.chance(50) { return gzipMember(bytes) }
  let cut = 1 + dice.below(bytes.count - 1)
  return gzipMember(Array(bytes[..<cut])) + gzipMember(Array(bytes[cut...]))
}

/// Columns `label`, `p1`, `p2`, `w`; invalid records skipped.
private var baseOptions: EvaluationOptions {
  var options = EvaluationOptions()
  options.columns = ColumnSelection(
    label: .name("label"), predictions: [.name("p1"), .name("p2")], weight: .name("w"))
  options.rules.skipInvalid = true
  return options
}

/// The records split into 1 to 5 files (none empty), each in `format` (or a random one when
/// `nil`) and gzip-compressed when `compress` says so (or at random when `nil`).
private func inputs(
  _ records: [LogRecord], format: Format?, compress: Bool?, dice: inout Dice
) -> [EvaluationInput] {
  let files = min(records.count, 1 + dice.below(5))
  var cuts = [0, records.count]
  while cuts.count < files + 1 {
    let cut = 1 + dice.below(records.count - 1)
    if !cuts.contains(cut) { cuts.append(cut) }
  }
  cuts.sort()
  var inputs: [EvaluationInput] = []
  for k in 0..<files {
    let part = Array(records[cuts[k]..<cuts[k + 1]])
    let fileFormat = format ?? dice.pick(Format.allCases)
    let text: String
    switch fileFormat {
    case .csv: text = delimited(part, delimiter: ",", dice: &dice)
    case .tsv: text = delimited(part, delimiter: "\t", dice: &dice)
    case .jsonl: text = jsonLines(part, dice: &dice)
    }
    var bytes = Array(text.utf8)
    var name = "part\(k).\(dice.pick(fileFormat.extensions))"
    if compress ?? dice.chance(50) {
      bytes = gzip(bytes, dice: &dice)
      name += ".gz"
    }
    inputs.append(.bytes(bytes, name: name, pieceSize: dice.pick([.max, .max, 1, 7, 100])))
  }
  return inputs
}

private func run(
  _ inputs: [EvaluationInput], chunkSize: Int, threads: Int, skipInvalid: Bool = true
) throws(BCEError) -> Report {
  var options = baseOptions
  options.chunkSize = chunkSize
  options.threads = threads
  options.rules.skipInvalid = skipInvalid
  return try Evaluation.run(inputs: inputs, options: options).report
}

/// A JSON Lines fixture for the chunk-size tests: every line shape of `jsonLines`.
private func jsonFixture(seed: UInt64, count: Int = 30) -> String {
  var dice = Dice(rng: SplitMix64(seed: seed))
  var records = dice.records(count)
  for i in records.indices { records[i].invalid = nil }
  return jsonLines(records, dice: &dice)
}

/// The error a run throws, or `nil` when it succeeds.
private func failure(_ body: () throws(BCEError) -> Report) -> BCEError? {
  do throws(BCEError) {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

@Suite("Format equivalence")
struct FormatEquivalenceTests {
  @Test("CSV, TSV and JSON Lines, plain or gzip, in 1 to 5 files: the same results")
  func sameRecordsSameResults() throws {
    for seed in UInt64(1)...8 {
      var dice = Dice(rng: SplitMix64(seed: seed))
      let records = dice.records(20 + dice.below(40))
      let invalid = records.filter { $0.invalid != nil }.count
      // The reference: one plain CSV file, read whole.
      let csv = delimited(records, delimiter: ",", dice: &dice)
      let reference = try run(
        [.bytes(Array(csv.utf8), name: "all.csv")], chunkSize: 1 << 20, threads: 1)
      #expect(reference.records == records.count)
      #expect(reference.skipped == invalid)
      #expect(reference.results.map(\.prediction) == ["p1", "p2"])
      #expect(reference.results[0].metrics.count == records.count - invalid)

      for format in [Format.csv, .tsv, .jsonl, nil] {
        for compress in [false, true, nil] as [Bool?] {
          let parts = inputs(records, format: format, compress: compress, dice: &dice)
          let chunkSize = dice.pick([1 << 20, 4096, 64, 7])
          let threads = 1 + dice.below(3)
          let what =
            "seed \(seed), \(format.map { "\($0)" } ?? "mixed"), gzip \(compress.map { "\($0)" } ?? "mixed"), \(parts.map(\.name)), chunk size \(chunkSize), threads \(threads)"
          let report = try run(parts, chunkSize: chunkSize, threads: threads)
          #expect(report.results == reference.results, "\(what)")
          #expect(report.records == reference.records, "\(what)")
          #expect(report.skipped == reference.skipped, "\(what)")
          #expect(report.inputs == parts.map(\.name))
        }
      }
    }
  }

  @Test("JSON Lines: every chunk size from 1 to 40 gives the same report")
  func jsonLinesEveryChunkSize() throws {
    let text = jsonFixture(seed: 11)
    let bytes = Array(text.utf8)
    let reference = try run([.bytes(bytes, name: "in.jsonl")], chunkSize: 1 << 20, threads: 1)
    #expect(reference.records == 30)
    #expect(reference.skipped == 0)
    #expect(reference.bytesDecompressed == bytes.count)
    // The same lines as the first file of one, so that a file boundary is crossed too.
    let gzip = gzipMember(bytes)
    for chunkSize in 1...40 {
      for (threads, pieceSize) in [(1, Int.max), (2, 3)] {
        let report = try run(
          [.bytes(bytes, name: "in.jsonl", pieceSize: pieceSize)], chunkSize: chunkSize,
          threads: threads)
        #expect(report == reference, "chunk size \(chunkSize), threads \(threads)")
      }
      let packed = try run([.bytes(gzip, name: "in.jsonl.gz")], chunkSize: chunkSize, threads: 2)
      #expect(packed.results == reference.results, "gzip, chunk size \(chunkSize)")
      #expect(packed.records == reference.records)
    }
  }

  @Test("JSON Lines: a byte-order mark is skipped, for every chunk size")
  func jsonLinesByteOrderMark() throws {
    let text = jsonFixture(seed: 12, count: 10)
    let plain = try run(
      [.bytes(Array(text.utf8), name: "in.jsonl")], chunkSize: 1 << 20, threads: 1)
    let marked: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(text.utf8)
    for chunkSize in 1...40 {
      let report = try run([.bytes(marked, name: "in.jsonl")], chunkSize: chunkSize, threads: 1)
      #expect(report.results == plain.results, "chunk size \(chunkSize)")
      #expect(report.records == plain.records)
    }
    // The line of an error counts from the line of the mark.
    let bad: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("\n{\"label\":1,\"p1\":0.5}\n".utf8)
    for chunkSize in [1, 2, 3, 4, 5, 64] {
      let error = failure { () throws(BCEError) in
        try run(
          [.bytes(bad, name: "bom.jsonl")], chunkSize: chunkSize, threads: 1, skipInvalid: false)
      }
      #expect(
        error?.place == "bom.jsonl:2", "chunk size \(chunkSize): \(String(describing: error))")
    }
  }

  @Test("JSON Lines: an invalid record reports its line, for every chunk size")
  func jsonLinesErrorLine() {
    let text = jsonFixture(seed: 13, count: 25)
    // Split in bytes: "\r\n" is one Character, which a split on "\n" would not cut.
    var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
      .map { String(decoding: $0, as: UTF8.self) }
    let badLine = "{\"label\":1,\"p1\":0.5,\"p2\":0.5,\"w\":1 \"id\":7}"
    let message = "invalid JSON at column 36: expected ',' or '}', found \"\\\"id\\\":7}\""
    // The bad line (invalid JSON) first, in the middle, and last (without a line end).
    for index in [0, lines.count / 2, lines.count] {
      var withBadLine = lines
      withBadLine.insert(badLine, at: index)
      let bytes = Array(withBadLine.joined(separator: "\n").utf8)
      for chunkSize in 1...40 {
        for (threads, pieceSize) in [(1, Int.max), (3, 5)] {
          let error = failure { () throws(BCEError) in
            try run(
              [.bytes(bytes, name: "in.jsonl", pieceSize: pieceSize)], chunkSize: chunkSize,
              threads: threads, skipInvalid: false)
          }
          #expect(error?.kind == .data)
          #expect(error?.place == "in.jsonl:\(index + 1)", "chunk size \(chunkSize)")
          #expect(error?.message == message, "chunk size \(chunkSize)")
        }
      }
    }
    let index = lines.count / 2
    lines.insert(badLine, at: index)
    let broken = lines.joined(separator: "\n")
    // With --skip-invalid, the warning names the same line; a second input counts its own.
    var options = baseOptions
    for chunkSize in [1, 9, 40, 1 << 20] {
      options.chunkSize = chunkSize
      options.threads = 2
      let outcome = try? Evaluation.run(
        inputs: [
          .bytes(Array(broken.utf8), name: "a.jsonl"),
          .bytes(Array(("\n\n" + broken).utf8), name: "b.ndjson"),
        ], options: options)
      #expect(
        outcome?.skippedRecords.map { $0.place ?? "" }
          == ["a.jsonl:\(index + 1)", "b.ndjson:\(index + 3)"], "chunk size \(chunkSize)")
      #expect(outcome?.report.skipped == 2)
    }
  }

  @Test("JSON Lines: a missing key is an invalid record naming the key and its line")
  func jsonLinesMissingKey() {
    let text = "{\"label\":1,\"p1\":0.5,\"p2\":0.5,\"w\":1}\n\n{\"label\":0,\"p1\":0.5,\"w\":1}\n"
    for chunkSize in [1, 8, 1 << 20] {
      var options = baseOptions
      options.rules.skipInvalid = false
      options.chunkSize = chunkSize
      let error = failure { () throws(BCEError) in
        try Evaluation.run(inputs: [.bytes(Array(text.utf8), name: "k.jsonl")], options: options)
          .report
      }
      #expect(error?.place == "k.jsonl:3")
      #expect(error?.message == "no prediction key 'p2' in the record")
    }
  }
}
