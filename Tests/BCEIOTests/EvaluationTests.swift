import BCECore
import BCEIO
import BCETestSupport
import Foundation
import Testing

/// A CSV log with everything RFC 4180 and pandas produce: quoted fields holding the
/// delimiter, doubled quotes and line breaks (in selected and in skipped columns), CRLF and
/// LF line ends, blank lines, soft and textual labels, and a last line without its newline.
private struct Fixture {
  static let header = "id,label,note,pred,w,pred2,comment"
  /// The records, each with its own line end (blank lines included in the record before).
  var records: [String] = []

  init(count: Int = 40, seed: UInt64 = 1) {
    var rng = SplitMix64(seed: seed)
    let notes = [
      "plain", "\"has, comma\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", "", "\"a\r\nb, c\"",
    ]
    let comments = ["c", "\"x\ny\nz\"", "\"\"", "\"q,\"\"r\"\"\"", ""]
    let labels = ["0", "1", "1", "0", "0.25", "true", "FALSE", "\"1\"", "1.0", "0e0"]
    let predictions = [
      "0.1", "0.9", ".5", "0.35", "2.5e-3", "1E-1", "0", "1", "\"0.75\"", "0.999999999999",
      "1e-300", "0.123456789012345678901234",
    ]
    for i in 0..<count {
      let label = labels[Int(rng.next() % UInt64(labels.count))]
      let note = notes[Int(rng.next() % UInt64(notes.count))]
      let pred = predictions[Int(rng.next() % UInt64(predictions.count))]
      let pred2 = predictions[Int(rng.next() % UInt64(predictions.count))]
      let weight = ["1", "2.5", "0", "0.1", "3"][Int(rng.next() % 5)]
      let comment = comments[Int(rng.next() % UInt64(comments.count))]
      let end = rng.next() % 3 == 0 ? "\r\n" : "\n"
      var record = "\(i),\(label),\(note),\(pred),\(weight),\(pred2),\(comment)\(end)"
      if i % 7 == 5 { record += rng.next() % 2 == 0 ? "\n" : "\r\n" }  // a blank line
      records.append(record)
    }
  }

  /// The header and the records, the last one without its line end.
  var text: String {
    var body = Fixture.header + "\n" + records.joined()
    while body.hasSuffix("\n") || body.hasSuffix("\r") { body.removeLast() }
    return body
  }

  static var options: EvaluationOptions {
    var options = EvaluationOptions()
    options.columns = ColumnSelection(
      label: .name("label"), predictions: [.name("pred"), .index(6)], weight: .name("w"))
    return options
  }
}

private func run(
  _ inputs: [EvaluationInput], _ options: EvaluationOptions = Fixture.options,
  chunkSize: Int = EvaluationOptions.defaultChunkSize, threads: Int = 1
) throws(BCEError) -> EvaluationOutcome {
  var options = options
  options.chunkSize = chunkSize
  options.threads = threads
  return try Evaluation.run(inputs: inputs, options: options)
}

private func run(
  _ text: String, name: String = "in.csv", pieceSize: Int = .max,
  _ options: EvaluationOptions = Fixture.options,
  chunkSize: Int = EvaluationOptions
    .defaultChunkSize,
  threads: Int = 1
) throws(BCEError) -> EvaluationOutcome {
  try run(
    [.bytes(Array(text.utf8), name: name, pieceSize: pieceSize)], options, chunkSize: chunkSize,
    threads: threads)
}

/// The error a run throws, or `nil` when it succeeds.
private func failure(_ body: () throws(BCEError) -> EvaluationOutcome) -> BCEError? {
  do throws(BCEError) {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

/// The 1-based line on which the text after `prefix` starts.
private func line(after prefix: String) -> Int {
  prefix.utf8.filter { $0 == UInt8(ascii: "\n") }.count + 1
}

@Suite("Evaluation")
struct EvaluationTests {
  @Test("the fixture is what it should be")
  func fixtureSanity() throws {
    let outcome = try run(Fixture().text)
    #expect(outcome.report.records == 40)
    #expect(outcome.report.skipped == 0)
    #expect(outcome.report.results.map(\.prediction) == ["pred", "6"])
    #expect(outcome.report.results[0].metrics.count == 40)
    #expect(outcome.report.inputs == ["in.csv"])
    #expect(outcome.report.bytesRead == Fixture().text.utf8.count)
    #expect(outcome.skippedRecords.isEmpty)
  }

  @Test("cutting the input at every byte offset gives the same report", arguments: [.max, 1, 7])
  func everyChunkSize(pieceSize: Int) throws {
    let text = Fixture().text
    let reference = try run(text).report
    for chunkSize in 1...80 {
      let report = try run(text, pieceSize: pieceSize, chunkSize: chunkSize).report
      #expect(report == reference, "chunk size \(chunkSize), piece size \(pieceSize)")
    }
  }

  @Test("a mapped file gives the report of its bytes read, for every chunk size and thread count")
  func mappedFile() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("bce-mapped-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (k, text) in [Fixture(count: 60, seed: 3).text, "\u{FEFF}" + Fixture(seed: 4).text]
      .enumerated()
    {
      let path = directory.appendingPathComponent("in\(k).csv").path
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      let reference = try run(text, name: path).report
      for chunkSize in 1...80 {
        for threads in [1, 3] {
          var options = Fixture.options
          options.mapFiles = true
          let mapped = try run([.path(path)], options, chunkSize: chunkSize, threads: threads)
          #expect(mapped.report == reference, "chunk size \(chunkSize), threads \(threads)")
          options.mapFiles = false
          let read = try run([.path(path)], options, chunkSize: chunkSize, threads: threads)
          #expect(read.report == reference, "read: chunk size \(chunkSize), threads \(threads)")
        }
      }
    }
  }

  @Test("threads 1, 2 and 5 give the same report for every chunk size")
  func everyThreadCount() throws {
    let text = Fixture(count: 60, seed: 2).text
    let reference = try run(text).report
    for chunkSize in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 1000] {
      for threads in [1, 2, 5] {
        let report = try run(text, chunkSize: chunkSize, threads: threads).report
        #expect(report == reference, "chunk size \(chunkSize), threads \(threads)")
      }
    }
  }

  @Test("several inputs pool their records like one concatenated input")
  func pooledInputs() throws {
    let fixture = Fixture(count: 40, seed: 3)
    let whole = try run(fixture.text).report
    let cuts = [0, 1, 13, 14, 30, 40]
    var inputs: [EvaluationInput] = []
    for k in 0..<(cuts.count - 1) {
      var part = Fixture.header + "\n" + fixture.records[cuts[k]..<cuts[k + 1]].joined()
      if k == cuts.count - 2 {
        while part.hasSuffix("\n") || part.hasSuffix("\r") { part.removeLast() }
      }
      inputs.append(.bytes(Array(part.utf8), name: "part\(k).csv"))
    }
    for (chunkSize, threads) in [(1 << 20, 1), (7, 2), (64, 5), (1, 2)] {
      let pooled = try run(inputs, chunkSize: chunkSize, threads: threads).report
      #expect(pooled.results == whole.results, "chunk size \(chunkSize), threads \(threads)")
      #expect(pooled.records == whole.records)
      #expect(pooled.inputs == (0..<5).map { "part\($0).csv" })
    }
    // The order of the inputs does not matter either.
    let reversed = try run(inputs.reversed(), chunkSize: 16, threads: 2).report
    #expect(reversed.results == whole.results)
  }

  @Test("gzip input gives the same results as plain, whatever its members")
  func gzipInput() throws {
    let text = Fixture(count: 40, seed: 4).text
    let bytes = Array(text.utf8)
    let plain = try run(text).report
    let oneMember = gzipMember(bytes)
    // Members cut at arbitrary byte offsets, not at record boundaries.
    let cuts = [0, 5, 6, 100, bytes.count / 2, bytes.count - 1, bytes.count]
    var members: [UInt8] = []
    for k in 0..<(cuts.count - 1) { members += gzipMember(Array(bytes[cuts[k]..<cuts[k + 1]])) }
    for gzip in [oneMember, members] {
      for (chunkSize, pieceSize, threads) in [(1 << 20, Int.max, 1), (9, 1, 2), (64, 5, 5)] {
        let report = try run(
          [.bytes(gzip, name: "in.csv.gz", pieceSize: pieceSize)], chunkSize: chunkSize,
          threads: threads
        ).report
        #expect(report.results == plain.results)
        #expect(report.records == plain.records)
        #expect(report.bytesRead == gzip.count)
        #expect(report.bytesDecompressed == bytes.count)
      }
    }
  }

  @Test("a truncated gzip input fails even when every complete record parsed")
  func truncatedGzip() {
    let text = Fixture.header + "\n" + Fixture(count: 30, seed: 5).records.joined()
    let gzip = gzipMember(Array(text.utf8))
    for cut in [gzip.count - 1, gzip.count - 8, gzip.count / 2, 11] {
      for chunkSize in [1 << 20, 16] {
        let error = failure { () throws(BCEError) in
          try run([.bytes(Array(gzip[..<cut]), name: "t.csv.gz")], chunkSize: chunkSize)
        }
        #expect(error?.kind == .data)
        #expect(error?.place == "t.csv.gz")
        #expect(error?.message.contains("truncated") == true, "\(String(describing: error))")
      }
    }
  }

  @Test("an invalid record reports the line it starts on, for every chunk size")
  func errorLine() {
    let fixture = Fixture(count: 25, seed: 6)
    // The bad record itself spans two lines; its line is the one it starts on.
    let prefix = Fixture.header + "\r\n\n" + fixture.records[..<20].joined() + "\n"
    let bad = "99,1,\"bad\nrecord\",1.5,1,0.5,c\n"
    let text = prefix + bad + fixture.records[20...].joined()
    let expected = "in.csv:\(line(after: prefix))"
    for chunkSize in 1...80 {
      for (threads, pieceSize) in [(1, Int.max), (2, 3)] {
        let error = failure { () throws(BCEError) in
          try run(text, pieceSize: pieceSize, chunkSize: chunkSize, threads: threads)
        }
        #expect(error?.kind == .data)
        #expect(error?.place == expected, "chunk size \(chunkSize), threads \(threads)")
        #expect(error?.message.contains("invalid prediction \"1.5\" in column 'pred'") == true)
      }
    }
  }

  @Test("the first invalid record in input order wins")
  func firstErrorWins() {
    var records = Fixture(count: 60, seed: 7).records
    var expectedLine = 0
    for (k, position) in [12, 30, 31, 45, 59].enumerated() {
      records[position] = "x,\(k == 0 ? "2" : "7"),n,0.5,1,0.5,c\n"
      if k == 0 {
        expectedLine = line(after: Fixture.header + "\n" + records[..<position].joined())
      }
    }
    let text = Fixture.header + "\n" + records.joined()
    for chunkSize in [1, 2, 3, 8, 17, 40, 64, 100, 1 << 20] {
      for threads in [2, 5] {
        let error = failure { () throws(BCEError) in
          try run(text, chunkSize: chunkSize, threads: threads)
        }
        #expect(error?.place == "in.csv:\(expectedLine)", "chunk size \(chunkSize)")
        #expect(error?.message.contains("invalid label \"2\"") == true)
      }
    }
    // The same across inputs: an error in the first input wins over one in the second.
    let clean = Fixture.header + "\n" + Fixture(count: 10, seed: 8).records.joined()
    let error = failure { () throws(BCEError) in
      try run(
        [
          .bytes(Array(clean.utf8), name: "a.csv"), .bytes(Array(text.utf8), name: "b.csv"),
          .bytes(Array((Fixture.header + "\n1,5,n,0.5,1,0.5,c\n").utf8), name: "c.csv"),
        ], chunkSize: 8, threads: 2)
    }
    #expect(error?.place == "b.csv:\(expectedLine)")
  }

  @Test("an early error stops a long input without hanging, every time")
  func earlyErrorStops() {
    var text = "label,pred\n"
    for i in 0..<50_000 { text += i == 300 ? "1,-1\n" : "\(i % 2),0.\(i % 10)1\n" }
    let bytes = Array(text.utf8)
    for attempt in 0..<20 {
      let error = failure { () throws(BCEError) in
        try run(
          [.bytes(bytes, name: "long.csv")], EvaluationOptions(), chunkSize: 64 + attempt,
          threads: attempt % 4 + 1)
      }
      #expect(error?.place == "long.csv:302", "attempt \(attempt)")
    }
  }

  @Test("skipInvalid skips and describes the first invalid records in input order")
  func skipInvalid() throws {
    var records = Fixture(count: 60, seed: 9).records
    let positions = [0, 3, 4, 10, 11, 12, 20, 25, 33, 40, 41, 50, 59]
    for position in positions {
      records[position] = "x,1,\"multi\nline\",nan,1,0.5,c\n"
    }
    let text = Fixture.header + "\n" + records.joined()
    let expectedLines = positions.prefix(RecordRules.describedIssueLimit).map {
      "in.csv:\(line(after: Fixture.header + "\n" + records[..<$0].joined()))"
    }
    var clean = records
    for position in positions.reversed() { clean.remove(at: position) }
    let cleanReport = try run(Fixture.header + "\n" + clean.joined()).report
    var options = Fixture.options
    options.rules.skipInvalid = true
    for chunkSize in [1, 2, 5, 16, 33, 64, 80, 1 << 20] {
      for threads in [1, 2] {
        let outcome = try run(text, options, chunkSize: chunkSize, threads: threads)
        #expect(outcome.report.records == 60)
        #expect(outcome.report.skipped == positions.count)
        #expect(outcome.report.results == cleanReport.results)
        #expect(
          outcome.skippedRecords.map { $0.place ?? "" } == expectedLines,
          "chunk size \(chunkSize), threads \(threads)")
        #expect(outcome.skippedRecords.allSatisfy { $0.message.contains("NaN") })
      }
    }
  }

  @Test("skipInvalid with nothing valid is still a data error")
  func skipInvalidNothingValid() {
    var options = Fixture.options
    options.rules.skipInvalid = true
    let error = failure { () throws(BCEError) in
      try run(Fixture.header + "\n1,2,n,0.5,1,0.5,c\n", options)
    }
    #expect(error?.kind == .data)
    #expect(error?.message.contains("no records") == true)
  }

  @Test(
    "an input without records is a data error",
    arguments: [
      "", "\n\n", "\r\n", Fixture.header, Fixture.header + "\n", Fixture.header + "\r\n\n",
    ])
  func noRecords(text: String) {
    for chunkSize in [1, 4, 1 << 20] {
      let error = failure { () throws(BCEError) in
        try run(text, name: "none.csv", chunkSize: chunkSize)
      }
      #expect(error?.kind == .data, "\(text.debugDescription), chunk size \(chunkSize)")
      #expect(error?.place == "none.csv")
      #expect(error?.message.contains("no records") == true)
    }
  }

  @Test("an empty gzip member is an input without records")
  func emptyGzip() {
    let error = failure { () throws(BCEError) in
      try run([.bytes(gzipMember([]), name: "e.csv.gz")])
    }
    #expect(error?.kind == .data)
    #expect(error?.message.contains("no records") == true)
  }

  @Test("a missing column is a usage error listing the columns")
  func missingColumn() {
    var options = Fixture.options
    options.columns.predictions = [.name("pred"), .name("score")]
    for chunkSize in [1, 1 << 20] {
      let error = failure { () throws(BCEError) in
        try run(Fixture().text, options, chunkSize: chunkSize)
      }
      #expect(error?.kind == .usage)
      #expect(error?.place == "in.csv")
      #expect(
        error?.message
          == "no prediction column 'score': columns are 'id', 'label', 'note', 'pred', 'w', 'pred2', 'comment'"
      )
    }
    options = Fixture.options
    options.hasHeader = false
    options.columns = ColumnSelection(label: .index(1), predictions: [.index(3)])
    let error = failure { () throws(BCEError) in try run("1,0.5\n0,0.25\n", options) }
    #expect(error?.kind == .usage)
    #expect(error?.message == "no prediction column #3: there is no header; columns are #1 to #2")
  }

  @Test("a missing column in the second input is found too")
  func missingColumnSecondInput() {
    let error = failure { () throws(BCEError) in
      try run([
        .bytes(Array(Fixture().text.utf8), name: "a.csv"),
        .bytes(Array("label,score\n1,0.5\n".utf8), name: "b.csv"),
      ])
    }
    #expect(error?.kind == .usage)
    #expect(error?.place == "b.csv")
  }

  @Test("a UTF-8 byte-order mark is skipped", arguments: [3, 4, 5, 17, 64, 80, 1 << 20])
  func byteOrderMark(chunkSize: Int) throws {
    let text = Fixture().text
    let reference = try run(text).report
    let report = try run(
      [.bytes([0xEF, 0xBB, 0xBF] + Array(text.utf8), name: "in.csv")], chunkSize: chunkSize
    ).report
    #expect(report.results == reference.results)
    #expect(report.records == reference.records)
  }

  /// Regression: `ChunkProducer.produce` looks for the byte-order mark only in the first
  /// fill of the first chunk, which holds `chunkSize` bytes; with a chunk of 1 or 2 bytes
  /// the mark is never seen, becomes part of the first header name, and the label column is
  /// "missing".
  @Test("byte-order mark skipped even when the chunk is smaller than the mark", arguments: [1, 2])
  func byteOrderMarkWithChunkSmallerThanMark(chunkSize: Int) throws {
    let text = "label,pred\n0,0.1\n1,0.9\n1,0.8\n0,0.35\n"
    var options = EvaluationOptions()
    options.chunkSize = chunkSize
    let reference = try Evaluation.run(
      inputs: [.bytes(Array(text.utf8), name: "bom.csv")], options: options)
    let outcome = failure { () throws(BCEError) in
      try Evaluation.run(
        inputs: [.bytes([0xEF, 0xBB, 0xBF] + Array(text.utf8), name: "bom.csv")],
        options: options)
    }
    #expect(outcome == nil, "chunk size \(chunkSize): \(String(describing: outcome))")
    if outcome == nil {
      let report = try Evaluation.run(
        inputs: [.bytes([0xEF, 0xBB, 0xBF] + Array(text.utf8), name: "bom.csv")],
        options: options
      ).report
      #expect(report.results == reference.report.results)
    }
  }

  /// Regression: `CSVScanner.firstRecord` (BCECore/CSVScanner.swift:201) decides that the
  /// header is complete when the last byte scanned is `\n`, but `recordEnd` also returns
  /// the buffer's end when it runs out inside a quoted field. When the first chunk ends just
  /// after a line break inside a quoted header name, the header is cut there, and the rest of
  /// that name (`y"`) becomes a record with too few fields (or a skipped one).
  @Test("header with a quoted line break cut right after the break")
  func headerWithQuotedLineBreakCutAfterTheBreak() throws {
    let text = "label,pred,\"x\ny\"\n0,0.1,a\n1,0.9,b\n1,0.8,c\n0,0.35,d\n"
    var options = EvaluationOptions()
    let reference = try run(text, options).report
    #expect(reference.records == 4)
    #expect(reference.results.first?.metrics.lossMean == 0.21616187468057912)
    // "label,pred,\"x\n" is 14 bytes: chunks of 14 (and of 7, grown to 14) end there.
    for chunkSize in 1...40 {
      for skipInvalid in [false, true] {
        options.rules.skipInvalid = skipInvalid
        let outcome = Result { () throws(BCEError) in try run(text, options, chunkSize: chunkSize) }
        #expect(
          (try? outcome.get())?.report.results == reference.results,
          "chunk size \(chunkSize), skipInvalid \(skipInvalid): \(outcome)")
        #expect((try? outcome.get())?.report.records == 4)
      }
    }
  }

  @Test("a byte-order mark before a headerless input is skipped")
  func byteOrderMarkNoHeader() throws {
    var options = EvaluationOptions()
    options.hasHeader = false
    options.columns = ColumnSelection(label: .index(1), predictions: [.index(2)])
    let plain = try run("0,0.1\n1,0.9\n", options).report
    let marked = try run(
      [.bytes([0xEF, 0xBB, 0xBF] + Array("0,0.1\n1,0.9\n".utf8), name: "in.csv")], options
    ).report
    #expect(marked.results == plain.results)
    #expect(marked.records == 2)
  }

  @Test("a record longer than the chunk size works")
  func longRecord() throws {
    let fixture = Fixture(count: 20, seed: 10)
    let long =
      "7,1,\"" + String(repeating: "free text, \"\"quoted\"\"\n", count: 500) + "\",0.6,1,0.4,c\n"
    let text =
      Fixture.header + "\n" + fixture.records[..<10].joined() + long
      + fixture.records[10...].joined() + "8,1,n,0.7,1,0.3," + String(repeating: "z", count: 5000)
    let reference = try run(text).report
    #expect(reference.records == 22)
    for (chunkSize, threads) in [(1, 1), (64, 2), (100, 5), (4096, 2)] {
      let report = try run(text, chunkSize: chunkSize, threads: threads).report
      #expect(report == reference, "chunk size \(chunkSize)")
    }
    // Lines after the long record are still counted right.
    let bad = text + "\n9,1,n,-1,1,0.3,c\n"
    let error = failure { () throws(BCEError) in try run(bad, chunkSize: 64, threads: 2) }
    #expect(error?.place == "in.csv:\(line(after: text + "\n"))")
  }

  @Test("a header longer than the chunk size works")
  func longHeader() throws {
    let header = "label," + (0..<300).map { "column\($0)" }.joined(separator: ",") + ",pred"
    let row = "1," + String(repeating: "0,", count: 300) + "0.8\n"
    let text = header + "\n" + row + row + "0," + String(repeating: "x,", count: 300) + "0.3"
    var options = EvaluationOptions()
    let reference = try run(text, options).report
    #expect(reference.records == 3)
    for chunkSize in [1, 7, 100, 1000] {
      options.chunkSize = chunkSize
      #expect(try run(text, options, chunkSize: chunkSize).report == reference)
    }
  }

  @Test("a record with too few fields is invalid")
  func tooFewFields() {
    let error = failure { () throws(BCEError) in
      try run(Fixture.header + "\n1,1,n,0.5\n2,1,n,0.5,1,0.5,c\n")
    }
    #expect(error?.place == "in.csv:2")
    #expect(error?.message.contains("the record has 4 fields") == true)
  }

  @Test("an unreadable input is a data error naming it")
  func unreadableInput() {
    let error = failure { () throws(BCEError) in
      try run([.path("/nonexistent/bce-test/missing.csv")])
    }
    #expect(error?.kind == .data)
    #expect(error?.place == "/nonexistent/bce-test/missing.csv")
  }
}

@Test(
  "the format comes from the extension after .gz (SPEC §2), and only .gz",
  arguments: [
    ("a.csv", InputFormat.csv), ("a.TSV", .tsv), ("a.tab.gz", .tsv), ("a.tsv.bgz", .csv),
    ("a.jsonl.bgz", .csv), ("a.ndjson.gz", .jsonl), ("a.bgz", .csv), ("a.gz.tsv", .tsv),
    ("a.txt", .csv),
  ])
func formatFromName(name: String, format: InputFormat) {
  #expect(InputFormat.inferred(fromName: name) == format)
}
