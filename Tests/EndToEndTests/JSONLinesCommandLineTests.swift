import BCETestSupport
import Foundation
import Testing

/// Test vector 1 (y = [0, 1, 1, 0], p = [0.1, 0.9, 0.8, 0.35]) as CSV and as JSON Lines.
private let tv1CSV = "label,pred\n0,0.1\n1,0.9\n1,0.8\n0,0.35\n"
private let tv1JSON =
  "{\"label\":0,\"pred\":0.1}\n{\"pred\":0.9,\"label\":1}\n"
  + "{\"id\":\"c\",\"label\":true,\"pred\":\"0.8\",\"x\":[1,{\"y\":null}]}\n"
  + "{\"label\":false,\"pred\":3.5e-1}\n"

/// A JSON Lines log of `rows` records and the same records as CSV, with two prediction
/// columns and a weight; the JSON side has shuffled keys, extra keys, strings holding
/// numbers, CRLF line ends and blank lines.
private func generatedLogs(rows: Int, seed: UInt64) -> (json: String, csv: String) {
  var rng = SplitMix64(seed: seed)
  var json = ""
  var csv = "label,a,b,w\n"
  for i in 0..<rows {
    let label =
      rng.next() % 3 == 0
      ? String(Double(rng.next() >> 11) / Double(1 << 53)) : String(rng.next() % 2)
    let a = String(Double(rng.next() >> 11) / Double(1 << 53))
    let b = String(Double(rng.next() >> 11) / Double(1 << 53))
    let w = ["1", "0.5", "2", "0", "1.25e1"][Int(rng.next() % 5)]
    csv += "\(label),\(a),\(b),\(w)\n"
    var members = [
      "\"label\":\(label)", "\"a\":\(rng.next() % 4 == 0 ? "\"\(a)\"" : a)", "\"b\":\(b)",
      "\"w\":\(w)", "\"id\":\(i)", "\"meta\":{\"a\":[\"x\\n\",-1e9]}",
    ]
    members.shuffle(using: &rng)
    json += "{" + members.joined(separator: ",") + "}" + (rng.next() % 4 == 0 ? "\r\n" : "\n")
    if rng.next() % 50 == 0 { json += "\n" }
  }
  return (json, csv)
}

/// The lines of `text` that are not blank, without their line ends. (Split in bytes: "\r\n"
/// is one Character, which a split on "\n" would not cut.)
private func nonBlankLines(_ text: String) -> [String] {
  text.utf8.split(separator: UInt8(ascii: "\n")).map {
    String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }.filter { !$0.isEmpty }
}

@Suite("bce command line: JSON Lines")
struct JSONLinesCommandLineTests {
  @Test("the format is inferred from .jsonl, .ndjson, and the same after .gz")
  func inferredFromTheExtension() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1CSV)
    let reference = try dir.bce(["--output", "json", "tv1.csv"])
    #expect(reference.status == 0, "\(reference)")
    #expect(reference.number("loss_mean") == 0.21616187468057912)
    let packed = gzipMember(Array(tv1JSON.utf8))
    try dir.write("tv1.jsonl", tv1JSON)
    try dir.write("tv1.ndjson", tv1JSON)
    try dir.write("TV1.JSONL", tv1JSON)
    try dir.write("tv1.jsonl.gz", packed)
    try dir.write("tv1.ndjson.gz", packed)
    // Gzip by its magic bytes, the format by the name: a plain file named .gz works too.
    try dir.write("plain.jsonl.gz", tv1JSON)
    for name in [
      "tv1.jsonl", "tv1.ndjson", "TV1.JSONL", "tv1.jsonl.gz", "tv1.ndjson.gz", "plain.jsonl.gz",
    ] {
      let run = try dir.bce(["--output", "json", name])
      #expect(run.status == 0, "\(name): \(run)")
      #expect(run.stderr == "", "\(name)")
      #expect(run.json["inputs"] as? [String] == [name])
      #expect(run.recordsSection == reference.recordsSection, "\(name)")
      #expect(run.recordsSection != "")
    }
    let gzip = try dir.bce(["--output", "json", "tv1.jsonl.gz"])
    #expect(gzip.json["bytes_read"] as? Int == packed.count)
    #expect(gzip.json["bytes_decompressed"] as? Int == tv1JSON.utf8.count)
  }

  @Test("--format jsonl: standard input, and names that imply another format")
  func formatOption() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1CSV)
    let reference = try dir.bce(["--output", "json", "tv1.csv"])
    for arguments in [["--format", "jsonl", "-"], ["--format", "jsonl"]] {
      for stdin in [Array(tv1JSON.utf8), gzipMember(Array(tv1JSON.utf8))] {
        let run = try dir.bce(["--output", "json"] + arguments, stdin: stdin)
        #expect(run.status == 0, "\(arguments): \(run)")
        #expect(run.stderr == "")
        #expect(run.json["inputs"] as? [String] == ["-"])
        #expect(run.recordsSection == reference.recordsSection)
      }
    }
    try dir.write("records.txt", tv1JSON)
    try dir.write("records.csv", tv1JSON)
    for name in ["records.txt", "records.csv"] {
      let run = try dir.bce(["--output", "json", "--format", "jsonl", name])
      #expect(run.status == 0, "\(name): \(run)")
      #expect(run.recordsSection == reference.recordsSection)
    }
    // Without --format, standard input is CSV: the JSON line is a header without the columns.
    let csv = try dir.bce(["--output", "json"], stdin: Array(tv1JSON.utf8))
    #expect(csv.status == 2, "\(csv)")
    #expect(csv.stdout == "")
    #expect(csv.stderr.hasPrefix("bce: error: -: no label column 'label': columns are "))
    // And --format csv reads a .jsonl file as CSV.
    try dir.write("tv1.jsonl", tv1JSON)
    let forced = try dir.bce(["--format", "csv", "tv1.jsonl"])
    #expect(forced.status == 2, "\(forced)")
    #expect(forced.stdout == "")
  }

  @Test("a bad JSON line: status 1, nothing on stdout, FILE:LINE and the column")
  func invalidJSON() throws {
    let dir = try Workspace()
    // Line 5, after a blank line and a CRLF line.
    let text =
      "{\"label\":0,\"pred\":0.1}\n\n{\"label\":1,\"pred\":0.9}\r\n{\"label\":1,\"pred\":0.8}\n"
      + "{\"label\":0,\"pred\":0.35,}\n{\"label\":1,\"pred\":0.5}\n"
    let message = "invalid JSON at column 24: expected a key, found \"}\"\n"
    try dir.write("bad.jsonl", text)
    try dir.write("bad.jsonl.gz", gzipMember(Array(text.utf8)))
    for name in ["bad.jsonl", "bad.jsonl.gz"] {
      for chunkSize in ["1", "16", "1M"] {
        let run = try dir.bce(["--output", "json", "--chunk-size", chunkSize, name])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout == "")
        #expect(run.stderr == "bce: error: \(name):5: " + message, "chunk size \(chunkSize)")
      }
    }
    let stdin = try dir.bce(["--format", "jsonl"], stdin: Array(text.utf8))
    #expect(stdin.status == 1)
    #expect(stdin.stdout == "")
    #expect(stdin.stderr == "bce: error: -:5: " + message)

    // Other shapes of bad lines, each as line 2.
    let cases: [(String, String)] = [
      (
        "{\"label\":1 \"pred\":0.5}",
        "invalid JSON at column 12: expected ',' or '}', found \"\\\"pred\\\":0.5}\""
      ),
      ("{\"label\":1,\"pred\":0.5", "the JSON record ends early: expected ',' or '}'"),
      (
        "{\"label\":1,\"pred\":\"0.5}",
        "invalid JSON: a string is not closed before the end of the line"
      ),
      ("[1,0.5]", "a JSON Lines record must be an object"),
      ("{\"label\":1,\"pred\":01}", "invalid JSON at column 20: expected a value, found \"1}\""),
      (
        "{\"label\":1,\"pred\":0.5}{}",
        "invalid JSON at column 23: expected the end of the line after the object, found \"{}\""
      ),
    ]
    for (line, message) in cases {
      try dir.write("case.jsonl", "{\"label\":0,\"pred\":0.1}\n" + line + "\n")
      let run = try dir.bce(["case.jsonl"])
      #expect(run.status == 1, "\(line): \(run)")
      #expect(run.stdout == "")
      #expect(run.stderr == "bce: error: case.jsonl:2: \(message)\n", "\(line)")
    }
  }

  @Test(
    "a column index with JSON Lines: status 2",
    arguments: [
      (["-p", "2"], "select the prediction column by name, not #2"),
      (["-l", "1"], "select the label column by name, not #1"),
      (["-w", "3"], "select the weight column by name, not #3"),
      (["-p", "pred", "-p", "4"], "select the prediction column by name, not #4"),
    ])
  func columnIndex(arguments: [String], message: String) throws {
    let dir = try Workspace()
    try dir.write("tv1.jsonl", tv1JSON)
    let run = try dir.bce(arguments + ["tv1.jsonl"])
    #expect(run.status == 2, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr == "bce: error: tv1.jsonl: JSON Lines columns are keys: \(message)\n")
  }

  @Test("a missing key or null: status 1, naming the key and the line")
  func missingKey() throws {
    let dir = try Workspace()
    let text =
      "{\"label\":0,\"score\":0.1}\n\n{\"label\":1,\"pred\":0.9}\n{\"label\":1,\"score\":0.8}\n"
    try dir.write("m.jsonl", text)
    let run = try dir.bce(["-p", "score", "m.jsonl"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr == "bce: error: m.jsonl:3: no prediction key 'score' in the record\n")
    let label = try dir.bce(["-l", "y", "-p", "score", "m.jsonl"])
    #expect(label.status == 1)
    #expect(label.stderr == "bce: error: m.jsonl:1: no label key 'y' in the record\n")
    try dir.write("n.jsonl", "{\"label\":null,\"pred\":0.5}\n")
    let null = try dir.bce(["n.jsonl"])
    #expect(null.status == 1)
    #expect(
      null.stderr
        == "bce: error: n.jsonl:1: the label 'label' is null (expected a number in [0, 1], true or false)\n"
    )
  }

  @Test("--skip-invalid: warnings with FILE:LINE, the rest evaluated")
  func skipInvalid() throws {
    let dir = try Workspace()
    let text =
      "{\"label\":0,\"pred\":0.1}\n{\"label\":1,\"pred\":0.9\n\n{\"label\":1,\"pred\":0.8}\n"
      + "{\"label\":1}\n{\"label\":0,\"pred\":0.35}\n"
    try dir.write("s.jsonl", text)
    let run = try dir.bce(["--output", "json", "--skip-invalid", "s.jsonl"])
    #expect(run.status == 0, "\(run)")
    #expect(
      run.stderr
        == "bce: warning: skipped invalid record: s.jsonl:2: the JSON record ends early: expected ',' or '}'\n"
        + "bce: warning: skipped invalid record: s.jsonl:5: no prediction key 'pred' in the record\n"
    )
    #expect(run.json["records"] as? Int == 5)
    #expect(run.json["skipped"] as? Int == 2)
    #expect(run.firstResult["count"] as? Int == 3)
  }

  @Test("several files of different formats are one evaluation")
  func mixedFormats() throws {
    let dir = try Workspace()
    let (json, csv) = generatedLogs(rows: 300, seed: 5)
    try dir.write("all.csv", csv)
    // Records 0..<100 as JSON Lines (gzip), 100..<200 as TSV, 200..<300 as CSV.
    let jsonRecords = nonBlankLines(json)
    let rows = Array(nonBlankLines(csv).dropFirst())
    #expect(jsonRecords.count == 300 && rows.count == 300)
    let first = jsonRecords[0..<100].joined(separator: "\n")
    let second =
      "w\tb\tlabel\ta\n"
      + rows[100..<200].map { row -> String in
        let f = row.split(separator: ",", omittingEmptySubsequences: false)
        return "\(f[3])\t\(f[2])\t\(f[0])\t\(f[1])"
      }.joined(separator: "\n")
    let third = "label,a,b,w\n" + rows[200..<300].joined(separator: "\n")
    try dir.write("p1.ndjson.gz", gzipMember(Array(first.utf8)))
    try dir.write("p2.tsv", second)
    try dir.write("p3.csv", third)
    let options = ["--output", "json", "-p", "a", "-p", "b", "-w", "w"]
    let whole = try dir.bce(options + ["all.csv"])
    #expect(whole.status == 0, "\(whole)")
    let pooled = try dir.bce(options + ["p1.ndjson.gz", "p2.tsv", "p3.csv"])
    #expect(pooled.status == 0, "\(pooled)")
    #expect(pooled.stderr == "")
    #expect(pooled.recordsSection == whole.recordsSection)
    #expect(pooled.json["inputs"] as? [String] == ["p1.ndjson.gz", "p2.tsv", "p3.csv"])
    // The whole log as JSON Lines, too.
    try dir.write("all.jsonl", json)
    let allJSON = try dir.bce(options + ["all.jsonl"])
    #expect(allJSON.recordsSection == whole.recordsSection)
  }

  @Test("threads and chunk sizes give byte-identical JSON for JSON Lines")
  func threadsAndChunkSizes() throws {
    let dir = try Workspace()
    try dir.write("big.jsonl", generatedLogs(rows: 3000, seed: 3).json)
    var outputs: [String] = []
    for threads in ["1", "3"] {
      for chunkSize in ["50", "1M"] {
        let run = try dir.bce([
          "--output", "json", "-p", "a", "-p", "b", "-w", "w", "--threads", threads,
          "--chunk-size", chunkSize, "big.jsonl",
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr == "")
        outputs.append(run.stdout)
      }
    }
    #expect(Set(outputs).count == 1)
    #expect(outputs.first.map { $0.contains("\"records\": 3000,") } == true)
  }

  @Test("--labels and --logits on JSON values")
  func labelsAndLogits() throws {
    let dir = try Workspace()
    try dir.write(
      "words.jsonl",
      "{\"label\":\"no\",\"pred\":0.1}\n{\"label\":\"yes\",\"pred\":0.9}\n"
        + "{\"label\":\"y\\u0065s\",\"pred\":0.8}\n{\"label\":\"no\",\"pred\":0.35}\n")
    try dir.write("tv1.csv", tv1CSV)
    let reference = try dir.bce(["--output", "json", "tv1.csv"])
    let words = try dir.bce(["--output", "json", "--labels", "no,yes", "words.jsonl"])
    #expect(words.status == 0, "\(words)")
    #expect(words.recordsSection == reference.recordsSection)
    // `1.0` is not the token `1`.
    try dir.write("float.jsonl", "{\"label\":1.0,\"pred\":0.5}\n")
    let float = try dir.bce(["--labels", "0,1", "float.jsonl"])
    #expect(float.status == 1)
    #expect(
      float.stderr
        == "bce: error: float.jsonl:1: invalid label \"1.0\" in column 'label' (expected 0 or 1)\n")

    try dir.write(
      "logits.jsonl",
      "{\"label\":1,\"pred\":Infinity}\n{\"label\":0,\"pred\":-Infinity}\n"
        + "{\"label\":0,\"pred\":\"-inf\"}\n{\"label\":1,\"pred\":-2.5}\n")
    let logits = try dir.bce(["--output", "json", "--logits", "logits.jsonl"])
    #expect(logits.status == 0, "\(logits)")
    // Only the finite record costs anything: max(s, 0) − s·y + log1p(exp(−|s|)), s = −2.5.
    #expect(logits.number("loss_sum") == 2.5 + log1p(exp(-2.5)))
    try dir.write("wrong.jsonl", "{\"label\":0,\"pred\":Infinity}\n")
    let infinite = try dir.bce(["--output", "json", "--logits", "wrong.jsonl"])
    #expect(infinite.status == 0, "\(infinite)")
    #expect(infinite.number("loss_sum") == .infinity)
    try dir.write("nan.jsonl", "{\"label\":0,\"pred\":NaN}\n")
    let nan = try dir.bce(["--logits", "nan.jsonl"])
    #expect(nan.status == 1)
    #expect(nan.stderr.hasPrefix("bce: error: nan.jsonl:1: invalid prediction \"NaN\""))
  }

  @Test("an empty JSON Lines input, or blank lines only: status 1, no records")
  func emptyInput() throws {
    let dir = try Workspace()
    try dir.write("empty.jsonl", "")
    try dir.write("blank.jsonl", "\n  \n\r\n")
    for name in ["empty.jsonl", "blank.jsonl"] {
      let run = try dir.bce(["--output", "json", name])
      #expect(run.status == 1, "\(run)")
      #expect(run.stdout == "")
      #expect(run.stderr == "bce: error: \(name): no records to evaluate\n", "\(run)")
    }
  }
}
