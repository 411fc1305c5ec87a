import BCETestSupport
import Foundation
import Testing

/// A log of `rows` records (header `label,score,note`); the records at `bad` have an
/// invalid score. Some notes are quoted and hold a line break.
private func log(rows: Int, seed: UInt64, bad: Set<Int> = []) -> String {
  var rng = SplitMix64(seed: seed)
  var text = "label,score,note\n"
  for i in 0..<rows {
    let label = rng.next() % 2
    let score = bad.contains(i) ? "-0.5" : String(Double(rng.next() % 1000 + 1) / 1002)
    let note = i % 7 == 3 ? "\"a\nb\"" : "n"
    text += "\(label),\(score),\(note)\n"
  }
  return text
}

/// The 1-based line on which record `row` of ``log(rows:seed:bad:)`` starts.
private func line(of row: Int) -> Int {
  2 + row + (0..<row).filter { $0 % 7 == 3 }.count
}

@Suite("bce command line: several inputs")
struct MultiInputCommandLineTests {
  @Test("gzip parts, read at once on every thread count, give the report of the whole file")
  func gzipParts() throws {
    let dir = try Workspace()
    var whole = "label,score,note\n"
    var names: [String] = []
    for k in 0..<8 {
      let part = log(rows: 400 + 50 * k, seed: UInt64(k))
      whole += part.drop { $0 != "\n" }.dropFirst()
      let name = "part-\(k).csv.gz"
      let bytes = Array(part.utf8)
      try dir.write(name, k == 5 ? bgzf(bytes, blockSize: 1000) : gzipMember(bytes))
      names.append(name)
    }
    try dir.write("plain.csv", log(rows: 100, seed: 9))
    whole += log(rows: 100, seed: 9).drop { $0 != "\n" }.dropFirst()
    names.append("plain.csv")
    try dir.write("whole.csv", whole)
    let options = ["--output", "json", "-p", "score"]
    let reference = try dir.bce(options + ["whole.csv"])
    #expect(reference.status == 0, "\(reference)")
    for threads in ["1", "2", "3", "4"] {
      for chunkSize in ["64", "1M"] {
        let run = try dir.bce(options + ["--threads", threads, "--chunk-size", chunkSize] + names)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr == "")
        #expect(run.recordsSection == reference.recordsSection, "threads \(threads)")
        #expect(run.json["inputs"] as? [String] == names)
      }
    }
  }

  @Test("the first error in input order, whichever input fails first: status 1, no stdout")
  func firstErrorInInputOrder() throws {
    let dir = try Workspace()
    try dir.write("slow.csv.gz", gzipMember(Array(log(rows: 30_000, seed: 1, bad: [29_000]).utf8)))
    try dir.write("fast.csv", log(rows: 20, seed: 2, bad: [0]))
    try dir.write("clean.csv.gz", gzipMember(Array(log(rows: 3000, seed: 3).utf8)))
    let message =
      "invalid prediction \"-0.5\" in column 'score' (expected a probability in [0, 1], out of range)\n"
    let cases: [([String], String)] = [
      (["slow.csv.gz", "fast.csv"], "slow.csv.gz:\(line(of: 29_000)): " + message),
      (["fast.csv", "slow.csv.gz"], "fast.csv:2: " + message),
      (
        ["clean.csv.gz", "missing.csv", "fast.csv"],
        "missing.csv: cannot open: No such file or directory\n"
      ),
      (["slow.csv.gz", "missing.csv"], "slow.csv.gz:\(line(of: 29_000)): " + message),
    ]
    for (files, expected) in cases {
      for threads in ["1", "2", "4"] {
        let run = try dir.bce(["-p", "score", "--threads", threads] + files)
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout == "")
        #expect(run.stderr == "bce: error: " + expected, "\(files), threads \(threads)")
      }
    }
  }

  @Test("--skip-invalid names the skipped records in input order")
  func skippedInInputOrder() throws {
    let dir = try Workspace()
    try dir.write("slow.csv.gz", gzipMember(Array(log(rows: 30_000, seed: 4, bad: [28_000]).utf8)))
    try dir.write("fast.csv", log(rows: 20, seed: 5, bad: [0, 3]))
    for threads in ["1", "2", "4"] {
      let run = try dir.bce(
        ["-p", "score", "--skip-invalid", "--threads", threads, "slow.csv.gz", "fast.csv"])
      #expect(run.status == 0, "\(run)")
      let places = run.stderr.split(separator: "\n").map {
        $0.replacing("bce: warning: skipped invalid record: ", with: "").prefix { $0 != " " }
      }
      #expect(
        places == ["slow.csv.gz:\(line(of: 28_000)):", "fast.csv:2:", "fast.csv:\(line(of: 3)):"],
        "threads \(threads)")
    }
  }

  @Test("standard input named twice is read once, by the first, as when read one by one")
  func standardInputTwice() throws {
    let dir = try Workspace()
    let text = log(rows: 5000, seed: 6)
    try dir.write("other.csv", log(rows: 10, seed: 7))
    let once = try dir.bce(
      ["--output", "json", "-p", "score", "-", "other.csv"], stdin: Array(text.utf8))
    #expect(once.status == 0, "\(once)")
    for threads in ["1", "3"] {
      for chunkSize in ["64", "1M"] {
        let twice = try dir.bce(
          ["--output", "json", "-p", "score", "--threads", threads, "--chunk-size", chunkSize]
            + ["-", "other.csv", "-"], stdin: Array(text.utf8))
        #expect(twice.status == 0, "\(twice)")
        #expect(twice.recordsSection == once.recordsSection, "threads \(threads)")
        #expect(twice.json["inputs"] as? [String] == ["-", "other.csv", "-"])
      }
    }
  }
}
