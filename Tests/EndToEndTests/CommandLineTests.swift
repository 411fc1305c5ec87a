import BCETestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Test vector 1: y = [0, 1, 1, 0], p = [0.1, 0.9, 0.8, 0.35].
private let tv1 = "label,pred\n0,0.1\n1,0.9\n1,0.8\n0,0.35\n"
private let tv1LossMean = 0.21616187468057912

/// A log of `rows` records with mixed values: hard, soft and textual labels, decimals in
/// every notation, quoted fields with commas and line breaks, CRLF lines, blank lines.
private func generatedLog(rows: Int, seed: UInt64) -> String {
  var rng = SplitMix64(seed: seed)
  var text = "id,label,pred,note,w,pred2\n"
  let labels = ["0", "1", "0", "1", "0.3", "true", "false", "\"1\""]
  let notes = ["", "ok", "\"a, b\"", "\"line\nbreak\"", "\"say \"\"x\"\"\""]
  func probability() -> String {
    let u = Double(rng.next() >> 11) / Double(1 << 53)
    switch rng.next() % 6 {
    case 0: return String(u)
    case 1: return String(format: "%.3f", u)
    case 2: return String(format: "%.6e", u)
    case 3: return ["0", "1", "0.5", ".25", "1e-20"][Int(rng.next() % 5)]
    case 4: return "\"\(String(format: "%.17g", u))\""
    default: return String(format: "%.2f", u)
    }
  }
  for i in 0..<rows {
    let label = labels[Int(rng.next() % UInt64(labels.count))]
    let note = notes[Int(rng.next() % UInt64(notes.count))]
    let weight = ["1", "0.5", "2", "0", "1.25e1"][Int(rng.next() % 5)]
    let end = rng.next() % 4 == 0 ? "\r\n" : "\n"
    text += "\(i),\(label),\(probability()),\(note),\(weight),\(probability())\(end)"
    if rng.next() % 50 == 0 { text += "\n" }
  }
  return text
}

/// The JSON text of the results array of a report (between `[` and `]`).
private func resultsText(_ run: BCERun) -> Substring {
  guard let start = run.stdout.range(of: "\"results\": ["),
    let end = run.stdout.range(of: "], \"bytes_read\"")
  else { return "" }
  return run.stdout[start.upperBound..<end.lowerBound]
}

@Suite("bce command line")
struct CommandLineTests {
  @Test("plain CSV: status 0 and the JSON report")
  func plainCSV() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let run = try dir.bce(["--output", "json", "tv1.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    #expect(run.json["inputs"] as? [String] == ["tv1.csv"])
    #expect(run.json["records"] as? Int == 4)
    #expect(run.json["skipped"] as? Int == 0)
    let result = run.firstResult
    #expect(result["pred"] as? String == "pred")
    #expect(result["group"] is NSNull)
    #expect(result["count"] as? Int == 4)
    #expect(run.number("weight_sum") == 4)
    #expect(run.number("loss_mean") == tv1LossMean)
    #expect(run.number("label_mean") == 0.5)
    #expect(run.number("pred_mean") == 0.5375)
    #expect(result["clipped"] as? Int == 0)
    // Exactly as printed, shortest round-trip digits.
    #expect(run.stdout.contains("\"loss_mean\": 0.21616187468057912,"))
    #expect(run.stdout.hasSuffix("}\n"))
  }

  @Test("the default text report")
  func textReport() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let run = try dir.bce(["tv1.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    let lines = run.stdout.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.first?.hasPrefix("pred") == true)
    #expect(lines.dropFirst().first?.contains("0.216162") == true)
    #expect(lines.last?.hasPrefix("4 records from 1 input") == true)
  }

  @Test("gzip input gives the same results as plain")
  func gzipInput() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    try dir.write("tv1.csv.gz", gzipMember(Array(tv1.utf8)))
    let plain = try dir.bce(["--output", "json", "tv1.csv"])
    let gzip = try dir.bce(["--output", "json", "tv1.csv.gz"])
    #expect(gzip.status == 0, "\(gzip)")
    #expect(gzip.stderr == "")
    #expect(gzip.recordsSection == plain.recordsSection)
    #expect(gzip.recordsSection != "")
    #expect(gzip.json["bytes_read"] as? Int == gzipMember(Array(tv1.utf8)).count)
    #expect(gzip.json["bytes_decompressed"] as? Int == tv1.utf8.count)
  }

  @Test("concatenated gzip members are read to the end")
  func concatenatedMembers() throws {
    let dir = try Workspace()
    let log = generatedLog(rows: 300, seed: 1)
    let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
    // The first member: the header and some records; the second: the rest, no header.
    // Cut after a line that is not inside a quoted field (the notes never start a line).
    var cut = 120
    while lines[cut].hasPrefix("break") { cut += 1 }
    let first = lines[..<cut].joined(separator: "\n") + "\n"
    let second = lines[cut...].joined(separator: "\n")
    #expect(first + second == log)
    try dir.write("log.csv", log)
    try dir.write("log2.csv.gz", gzipMember(Array(first.utf8)) + gzipMember(Array(second.utf8)))
    let plain = try dir.bce(["--output", "json", "-p", "pred", "-p", "pred2", "-w", "w", "log.csv"])
    let members = try dir.bce([
      "--output", "json", "-p", "pred", "-p", "pred2", "-w", "w", "log2.csv.gz",
    ])
    #expect(plain.status == 0, "\(plain)")
    #expect(members.status == 0, "\(members)")
    #expect(members.stderr == "")
    #expect(members.recordsSection == plain.recordsSection)
    #expect(plain.json["records"] as? Int == 300)
  }

  @Test("a BGZF file gives the plain file's report on every thread count; a corrupt block fails")
  func bgzfInput() throws {
    let dir = try Workspace()
    let log = generatedLog(rows: 3000, seed: 3)
    let file = bgzf(Array(log.utf8), blockSize: 5000)
    try dir.write("log.csv", log)
    try dir.write("log.csv.bgz", file)
    let options = ["--output", "json", "-p", "pred", "-p", "pred2", "-w", "w"]
    let plain = try dir.bce(options + ["log.csv"])
    #expect(plain.status == 0, "\(plain)")
    for threads in ["1", "2", "3"] {
      let run = try dir.bce(options + ["--threads", threads, "--chunk-size", "8K", "log.csv.bgz"])
      #expect(run.status == 0, "\(run)")
      #expect(run.recordsSection == plain.recordsSection)
      #expect(run.json["bytes_read"] as? Int == file.count)
      #expect(run.json["bytes_decompressed"] as? Int == log.utf8.count)
    }
    var bad = file
    bad[bgzfBlockOffsets(file)[10] - 8] ^= 1  // the CRC-32 of block 9
    try dir.write("bad.csv.bgz", bad)
    let run = try dir.bce(options + ["--chunk-size", "8K", "bad.csv.bgz"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: bad.csv.bgz: corrupt gzip data: CRC-32"), "\(run)")
  }

  @Test("a truncated gzip file: status 1, nothing on stdout", arguments: [1, 4, 8, 30])
  func truncatedGzip(cutFromEnd: Int) throws {
    let dir = try Workspace()
    let gzip = gzipMember(Array(generatedLog(rows: 200, seed: 2).utf8))
    try dir.write("t.csv.gz", Array(gzip.dropLast(cutFromEnd)))
    let run = try dir.bce(["--output", "json", "t.csv.gz"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: t.csv.gz: "), "\(run)")
    #expect(run.stderr.contains("truncat"), "\(run)")
    #expect(run.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test("a corrupt gzip file: status 1")
  func corruptGzip() throws {
    let dir = try Workspace()
    var gzip = gzipMember(Array(tv1.utf8))
    gzip[gzip.count - 8] ^= 0xFF
    try dir.write("c.csv.gz", gzip)
    let run = try dir.bce(["c.csv.gz"])
    #expect(run.status == 1)
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: c.csv.gz: "), "\(run)")
    #expect(run.stderr.contains("CRC"), "\(run)")
  }

  @Test("a missing column: status 2, the columns listed")
  func missingColumn() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let run = try dir.bce(["-p", "score", "tv1.csv"])
    #expect(run.status == 2, "\(run)")
    #expect(run.stdout == "")
    #expect(
      run.stderr
        == "bce: error: tv1.csv: no prediction column 'score': columns are 'label', 'pred'\n")
  }

  @Test("an invalid value: status 1 and FILE:LINE of the record")
  func invalidValue() throws {
    let dir = try Workspace()
    // Line 9: after multi-line quoted fields (one with CRLF inside) and a blank line.
    let text =
      "label,note,pred\n0,\"multi\nline\",0.1\n\n1,x,0.9\n0,\"a\r\nb\nc\",0.2\n1,bad,1.5\n0,y,0.3\n"
    try dir.write("bad.csv", text)
    let message =
      "invalid prediction \"1.5\" in column 'pred' (expected a probability in [0, 1], out of range)\n"
    for chunkSize in ["16", "1M"] {
      let run = try dir.bce(["--output", "json", "--chunk-size", chunkSize, "bad.csv"])
      #expect(run.status == 1, "\(run)")
      #expect(run.stdout == "")
      #expect(run.stderr == "bce: error: bad.csv:9: " + message)
    }
    let stdin = try dir.bce(["-"], stdin: Array(text.utf8))
    #expect(stdin.status == 1)
    #expect(stdin.stdout == "")
    #expect(stdin.stderr == "bce: error: -:9: " + message)
  }

  @Test("threads and chunk sizes give byte-identical JSON")
  func threadsAndChunkSizes() throws {
    let dir = try Workspace()
    try dir.write("big.csv", generatedLog(rows: 5000, seed: 3))
    var outputs: [String] = []
    for threads in ["1", "2", "5"] {
      for chunkSize in ["64", "1M"] {
        let run = try dir.bce([
          "--output", "json", "-p", "pred", "-p", "pred2", "-w", "w", "--threads", threads,
          "--chunk-size", chunkSize, "big.csv",
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr == "")
        outputs.append(run.stdout)
      }
    }
    #expect(Set(outputs).count == 1)
    #expect(outputs.first.map { $0.contains("\"records\": 5000,") } == true)
  }

  @Test("standard input: '-' and no FILE")
  func standardInput() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let file = try dir.bce(["--output", "json", "tv1.csv"])
    for arguments in [["--output", "json", "-"], ["--output", "json"]] {
      let run = try dir.bce(arguments, stdin: Array(tv1.utf8))
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr == "")
      #expect(run.json["inputs"] as? [String] == ["-"])
      #expect(run.recordsSection == file.recordsSection)
    }
    let gzip = try dir.bce(["--output", "json", "-"], stdin: gzipMember(Array(tv1.utf8)))
    #expect(gzip.status == 0, "\(gzip)")
    #expect(gzip.recordsSection == file.recordsSection)
    // Standard input pooled with a file.
    let pooled = try dir.bce(
      ["--output", "json", "tv1.csv", "-"], stdin: Array("label,pred\n1,0.5\n".utf8))
    #expect(pooled.status == 0, "\(pooled)")
    #expect(pooled.json["inputs"] as? [String] == ["tv1.csv", "-"])
    #expect(pooled.json["records"] as? Int == 5)
  }

  @Test("an empty input: status 1, no records")
  func emptyInput() throws {
    let dir = try Workspace()
    try dir.write("empty.csv", "")
    try dir.write("header.csv", "label,pred\n")
    for name in ["empty.csv", "header.csv"] {
      let run = try dir.bce(["--output", "json", name])
      #expect(run.status == 1, "\(run)")
      #expect(run.stdout == "")
      #expect(run.stderr.hasPrefix("bce: error: \(name): "), "\(run)")
      #expect(run.stderr.contains("no records"))
    }
    let stdin = try dir.bce([])
    #expect(stdin.status == 1, "\(stdin)")
    #expect(stdin.stdout == "")
    #expect(stdin.stderr.hasPrefix("bce: error: -: "), "\(stdin)")
  }

  @Test("gzip is recognised by its magic bytes, not by the file name")
  func gzipByMagic() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    try dir.write("packed.csv", gzipMember(Array(tv1.utf8)))
    try dir.write("plain.csv.gz", tv1)
    let reference = try dir.bce(["--output", "json", "tv1.csv"])
    for name in ["packed.csv", "plain.csv.gz"] {
      let run = try dir.bce(["--output", "json", name])
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr == "")
      #expect(run.recordsSection == reference.recordsSection)
    }
  }

  @Test(
    "usage errors: status 2, 'bce: error:' on stderr, nothing on stdout",
    arguments: [
      ["--bogus", "tv1.csv"], ["--clip", "sklearn", "--eps", "0.1", "tv1.csv"],
      ["--clip", "keras", "--logits", "tv1.csv"], ["--clip", "nope", "tv1.csv"],
      ["--eps", "0.5", "tv1.csv"], ["--threads", "0", "tv1.csv"],
      ["--chunk-size", "0", "tv1.csv"], ["--no-header", "tv1.csv"],
      ["--output", "xml", "tv1.csv"], ["-p", "0", "tv1.csv"], ["-l", "9", "tv1.csv"],
    ])
  func usageErrors(arguments: [String]) throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let run = try dir.bce(arguments)
    #expect(run.status == 2, "\(arguments): \(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: "), "\(run)")
  }

  @Test("--help: status 0, usage on stdout")
  func help() throws {
    let dir = try Workspace()
    let run = try dir.bce(["--help"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    #expect(run.stdout.contains("USAGE:"))
    #expect(run.stdout.contains("--skip-invalid"))
    // `eval` is optional: `bce eval --help` is the same help.
    let eval = try dir.bce(["eval", "--help"])
    #expect(eval.status == 0, "\(eval)")
    #expect(eval.stdout == run.stdout)
    let version = try dir.bce(["--version"])
    #expect(version.status == 0)
    #expect(version.stdout == "0.1.0\n")
  }

  @Test("--skip-invalid: status 0, a warning naming FILE:LINE, the skipped count")
  func skipInvalid() throws {
    let dir = try Workspace()
    try dir.write("s.csv", "label,pred\n0,0.1\n2,0.5\n1,\"0.9\"\n\n1,nan\n")
    let run = try dir.bce(["--output", "json", "--skip-invalid", "s.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(
      run.stderr
        == "bce: warning: skipped invalid record: s.csv:3: invalid label \"2\" in column 'label'"
        + " (expected a number in [0, 1], true or false, out of range)\n"
        + "bce: warning: skipped invalid record: s.csv:6: invalid prediction \"nan\" in column"
        + " 'pred' (expected a probability in [0, 1], got NaN)\n")
    #expect(run.json["records"] as? Int == 4)
    #expect(run.json["skipped"] as? Int == 2)
    #expect(run.firstResult["count"] as? Int == 2)
    // Without the flag the same file fails at the first one.
    let strict = try dir.bce(["--output", "json", "s.csv"])
    #expect(strict.status == 1)
    #expect(strict.stdout == "")
    #expect(strict.stderr.hasPrefix("bce: error: s.csv:3: "))
  }

  @Test("--skip-invalid shows the first ten and counts the rest")
  func skipInvalidMany() throws {
    let dir = try Workspace()
    var text = "label,pred\n"
    for i in 0..<25 { text += i % 2 == 0 ? "1,0.7\n" : "x,0.5\n" }
    try dir.write("m.csv", text)
    let run = try dir.bce(["--output", "json", "--skip-invalid", "m.csv"])
    #expect(run.status == 0, "\(run)")
    let warnings = run.stderr.split(separator: "\n")
    #expect(warnings.count == 11)
    #expect(warnings.first?.hasPrefix("bce: warning: skipped invalid record: m.csv:3: ") == true)
    #expect(
      warnings.dropLast().last?.hasPrefix("bce: warning: skipped invalid record: m.csv:21: ")
        == true)
    #expect(warnings.last?.hasPrefix("bce: warning: skipped 12 invalid records in all") == true)
    #expect(run.json["skipped"] as? Int == 12)
    #expect(run.json["records"] as? Int == 25)
  }

  @Test("--no-header with column indexes")
  func noHeader() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    try dir.write("raw.csv", String(tv1.drop { $0 != "\n" }.dropFirst()))
    try dir.write("swapped.txt", "0.1|0\n0.9|1\n0.8|1\n0.35|0")
    let run = try dir.bce(["--output", "json", "--no-header", "-l", "1", "-p", "2", "raw.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    #expect(run.json["records"] as? Int == 4)
    #expect(run.firstResult["pred"] as? String == "2")
    #expect(run.number("loss_mean") == tv1LossMean)
    let swapped = try dir.bce([
      "--output", "json", "--no-header", "--delimiter", "|", "-l", "2", "-p", "1", "swapped.txt",
    ])
    #expect(swapped.status == 0, "\(swapped)")
    #expect(swapped.number("loss_mean") == tv1LossMean)
    // By default the header names are used, and indexes work with a header too.
    let indexed = try dir.bce(["--output", "json", "-l", "1", "-p", "2", "tv1.csv"])
    #expect(indexed.number("loss_mean") == tv1LossMean)
  }

  @Test("--weight")
  func weight() throws {
    let dir = try Workspace()
    // The weight-0 record would cost +inf without clipping: it must contribute nothing.
    try dir.write("w.csv", "label,pred,w\n0,0.1,1\n1,0.9,2\n1,0,0\n0,0.35,1.5\n")
    let run = try dir.bce(["--output", "json", "--clip", "none", "-w", "w", "w.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    let result = run.firstResult
    let terms = [-log1p(-0.1), 2 * -log(0.9), 1.5 * -log1p(-0.35)]
    let lossSum = try #require(run.number("loss_sum"))
    #expect(abs(lossSum - terms.reduce(0, +)) <= 2 * lossSum.ulp)
    #expect(result["count"] as? Int == 4)
    #expect(run.number("weight_sum") == 4.5)
    #expect(run.number("label_mean") == 2 / 4.5)
    #expect(run.number("loss_mean") == lossSum / 4.5)
    // A negative weight is an invalid record.
    try dir.write("neg.csv", "label,pred,w\n0,0.1,1\n1,0.9,-2\n")
    let negative = try dir.bce(["-w", "w", "neg.csv"])
    #expect(negative.status == 1)
    #expect(negative.stdout == "")
    #expect(negative.stderr.hasPrefix("bce: error: neg.csv:3: invalid weight"), "\(negative)")
  }

  @Test("several -p: one result per prediction column, in the order given")
  func severalPredictions() throws {
    let dir = try Workspace()
    try dir.write("two.csv", "label,a,b\n0,0.1,0.4\n1,0.9,0.6\n1,0.8,0.2\n0,0.35,0.5\n")
    let both = try dir.bce(["--output", "json", "-p", "b", "-p", "a", "two.csv"])
    let a = try dir.bce(["--output", "json", "-p", "a", "two.csv"])
    let b = try dir.bce(["--output", "json", "-p", "b", "two.csv"])
    #expect(both.status == 0, "\(both)")
    #expect(both.stderr == "")
    #expect(resultsText(both) == resultsText(b) + ", " + resultsText(a))
    #expect(resultsText(a).contains("\"loss_mean\": 0.21616187468057912,"))
    let preds = (both.json["results"] as? [[String: Any]])?.map { $0["pred"] as? String }
    #expect(preds == ["b", "a"])
  }

  @Test("--logits")
  func logits() throws {
    let dir = try Workspace()
    try dir.write("l.csv", "label,s\n0,-2\n1,3\n1,inf\n0,-Infinity\n")
    let run = try dir.bce(["--output", "json", "--logits", "-p", "s", "l.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.stderr == "")
    let result = run.firstResult
    // The infinite logits cost exactly 0; two finite terms round once either way.
    #expect(run.number("loss_sum") == log1p(exp(-2.0)) + log1p(exp(-3.0)))
    #expect(result["count"] as? Int == 4)
    #expect(result["clipped"] as? Int == 0)
    let predMean = try #require(run.number("pred_mean"))
    let expected = (1 / (1 + exp(2.0)) + 1 / (1 + exp(-3.0)) + 1) / 4
    #expect(abs(predMean - expected) <= 2 * expected.ulp)
    // A confident wrong infinite logit costs +inf, written as the string "inf".
    try dir.write("inf.csv", "label,s\n0,inf\n1,0\n")
    let infinite = try dir.bce(["--output", "json", "--logits", "-p", "s", "inf.csv"])
    #expect(infinite.status == 0, "\(infinite)")
    #expect(infinite.number("loss_sum") == .infinity)
    #expect(infinite.stdout.contains("\"loss_sum\": \"inf\","))
    // NaN is not a logit.
    try dir.write("nan.csv", "label,s\n0,1\n1,NaN\n")
    let nan = try dir.bce(["--logits", "-p", "s", "nan.csv"])
    #expect(nan.status == 1)
    #expect(nan.stderr.hasPrefix("bce: error: nan.csv:3: "), "\(nan)")
  }

  @Test("--labels: exactly two tokens")
  func labelTokens() throws {
    let dir = try Workspace()
    try dir.write("yn.csv", "label,pred\nno,0.1\nyes,0.9\nyes,0.8\nno,0.35\n")
    let run = try dir.bce(["--output", "json", "--labels", "no,yes", "yn.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.number("loss_mean") == tv1LossMean)
    try dir.write("tv1.csv", tv1)
    let strict = try dir.bce(["--labels", "0,1", "tv1.csv"])
    #expect(strict.status == 0, "\(strict)")
    try dir.write("soft.csv", "label,pred\n0,0.1\n0.5,0.9\n")
    let soft = try dir.bce(["--labels", "0,1", "soft.csv"])
    #expect(soft.status == 1)
    #expect(soft.stdout == "")
    #expect(soft.stderr.hasPrefix("bce: error: soft.csv:3: invalid label \"0.5\""), "\(soft)")
  }

  @Test("a directory as input: status 1")
  func directoryInput() throws {
    let dir = try Workspace()
    try FileManager.default.createDirectory(
      at: dir.url.appendingPathComponent("sub"), withIntermediateDirectories: false)
    let run = try dir.bce(["sub"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr == "bce: error: sub: is a directory, not a file\n")
  }

  @Test("a nonexistent path: status 1, named")
  func nonexistentPath() throws {
    let dir = try Workspace()
    try dir.write("tv1.csv", tv1)
    let run = try dir.bce(["--output", "json", "tv1.csv", "nope.csv"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr == "bce: error: nope.csv: cannot open: No such file or directory\n")
  }

  @Test("a byte-order mark at the start of the file is skipped")
  func byteOrderMark() throws {
    let dir = try Workspace()
    try dir.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array(tv1.utf8))
    let run = try dir.bce(["--output", "json", "bom.csv"])
    #expect(run.status == 0, "\(run)")
    #expect(run.number("loss_mean") == tv1LossMean)
  }
}

@Suite("bce --inflate")
struct InflateOptionTests {
  /// With ISA-L in the build, `--inflate isal` gives the same bytes as zlib; without it, a
  /// usage error that says how to build it.
  @Test func isalGivesTheSameReportOrAUsageError() throws {
    let dir = try Workspace()
    var text = "label,pred\n"
    for i in 0..<5000 { text += "\(i % 2),0.\(1000 + i)\n" }
    try dir.write("p.csv.gz", gzipMember(Array(text.utf8)))
    let zlib = try dir.bce(["--output", "json", "p.csv.gz"])
    #expect(zlib.status == 0, "\(zlib)")
    let isal = try dir.bce(["--inflate", "isal", "--output", "json", "p.csv.gz"])
    if isal.status == 0 {
      #expect(isal.stdout == zlib.stdout)
    } else {
      #expect(isal.status == 2)
      #expect(isal.stdout == "")
      #expect(isal.stderr.hasPrefix("bce: error: --inflate isal: this bce was built without it"))
    }
  }
}
