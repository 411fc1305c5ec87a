import BCETestSupport
import Foundation
import Testing

/// A log with two prediction columns, a weight, a group column (one value quoted with the
/// delimiter in it) and soft labels; every shard of a test gets its own seed.
private func mergeLog(rows: Int, seed: UInt64) -> String {
  var rng = SplitMix64(seed: seed)
  func probability() -> String {
    switch rng.next() % 10 {
    case 0: return ["0", "1", "1e-20", "0.5"][Int(rng.next() % 4)]
    default: return String(Double(rng.next() >> 11) / Double(1 << 53))
    }
  }
  var text = "id,label,score,score2,w,model\n"
  for i in 0..<rows {
    let label = rng.next() % 8 == 0 ? "0.25" : String(rng.next() % 2)
    let weight = ["1", "1", "0.5", "2", "0"][Int(rng.next() % 5)]
    let model = ["ctr_v1", "ctr_v2", "\"a,b\"", "zeta"][Int(rng.next() % 4)]
    text += "\(i),\(label),\(probability()),\(probability()),\(weight),\(model)\n"
  }
  return text
}

/// A workspace with three inputs — `a.csv`, `b.csv.gz` (gzip), `c.csv` — and their states,
/// `a.state` ... `c.state`, made with `options`.
private func threeShards(_ options: [String]) throws -> Workspace {
  let dir = try Workspace()
  try dir.write("a.csv", mergeLog(rows: 300, seed: 1))
  try dir.write("b.csv.gz", gzipMember(Array(mergeLog(rows: 200, seed: 2).utf8)))
  try dir.write("c.csv", mergeLog(rows: 50, seed: 3))
  for (input, state) in [("a.csv", "a.state"), ("b.csv.gz", "b.state"), ("c.csv", "c.state")] {
    let run = try dir.bce(options + ["--state-out", state, input])
    #expect(run.status == 0, "\(run)")
  }
  return dir
}

private let inputs = ["a.csv", "b.csv.gz", "c.csv"]
private let states = ["a.state", "b.state", "c.state"]

/// The text report without the wall time: every line but the last, and the last up to
/// ` in ` (`N records from 3 inputs, X MB`).
private func withoutTime(_ text: String) -> String {
  guard let cut = text.range(of: " in ", options: .backwards) else { return text }
  return String(text[..<cut.lowerBound])
}

/// The JSON report with its inputs list left out.
private func withoutInputs(_ json: String) -> String {
  guard let start = json.range(of: "\"inputs\": ["), let end = json.range(of: "], \"records\"")
  else { return json }
  return String(json[..<start.lowerBound]) + String(json[end.lowerBound...])
}

/// Options sets the merge must reproduce the single run of.
private let optionSets: [[String]] = [
  ["-p", "score"],
  ["-p", "score", "-g", "model"],
  ["-p", "score", "--bins", "5"],
  ["-p", "score", "--weight", "w"],
  ["-p", "score", "-p", "4", "-w", "w", "-g", "model", "--bins", "3", "--clip", "keras"],
]

@Suite("bce merge")
struct MergeCommandLineTests {
  @Test(
    "merging the states prints what one run over the inputs prints, in every format",
    arguments: optionSets)
  func sameReportAsOneRun(options: [String]) throws {
    let dir = try threeShards(options)
    for format in ["text", "json", "prometheus"] {
      let single = try dir.bce(options + ["--output", format] + inputs)
      let merged = try dir.bce(["merge", "--output", format] + states)
      #expect(single.status == 0, "\(single)")
      #expect(merged.status == 0, "\(merged)")
      #expect(merged.stderr == "", "\(merged)")
      if format == "text" {
        // The merge's report has no time: its own would say nothing about the inputs.
        #expect(merged.stdout == withoutTime(single.stdout) + "\n", "\(format) \(options)")
      } else {
        #expect(merged.stdout == single.stdout, "\(format) \(options)")
      }
    }
    // In another order: the same report but for the inputs list, which follows the states.
    let single = try dir.bce(options + ["--output", "json"] + inputs)
    let reversed = try dir.bce(["merge", "--output", "json"] + states.reversed())
    #expect(reversed.status == 0, "\(reversed)")
    #expect(withoutInputs(reversed.stdout) == withoutInputs(single.stdout))
    #expect(reversed.stdout != single.stdout)
    #expect(reversed.json["inputs"] as? [String] == inputs.reversed())
    #expect(single.json["inputs"] as? [String] == inputs)
    // A shuffled single run gives the same numbers too (exactness): compare numbers only.
    let shuffled = try dir.bce(options + ["--output", "json", "c.csv", "a.csv", "b.csv.gz"])
    #expect(shuffled.recordsSection == single.recordsSection)
  }

  @Test("--state-out - prints the state, one line, and no report")
  func stateToStdout() throws {
    let dir = try threeShards(["-g", "model", "-p", "score"])
    for extra in [[], ["--output", "json"], ["--output", "prometheus"]] {
      let run = try dir.bce(["-g", "model", "-p", "score", "--state-out", "-"] + extra + ["a.csv"])
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.hasPrefix("{\"format\": \"bce-state\", \"version\": 1, "), "\(run)")
      #expect(run.stdout.hasSuffix("}\n"))
      #expect(run.stdout.filter { $0 == "\n" }.count == 1)
      #expect(!run.stdout.contains("loss_mean"))
      // The same bytes as the state written to a file.
      let file = try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
      #expect(run.stdout == file)
    }
    // A file state comes with the report on stdout.
    let report = try dir.bce(["-g", "model", "-p", "score", "--state-out", "x.state", "a.csv"])
    #expect(report.status == 0)
    #expect(report.stdout.contains("loss_mean"))
    #expect(!report.stdout.contains("bce-state"))
  }

  @Test("states on stdin, alone or mixed with files, merge like files")
  func statesOnStdin() throws {
    let options = ["-p", "score", "-w", "w", "-g", "model", "--bins", "4"]
    let dir = try threeShards(options)
    let text = try states.map {
      try String(contentsOf: dir.url.appendingPathComponent($0), encoding: .utf8)
    }
    let flat = try dir.bce(["merge", "--output", "json"] + states)
    #expect(flat.status == 0, "\(flat)")
    let single = try dir.bce(options + ["--output", "json"] + inputs)
    #expect(flat.stdout == single.stdout)

    // cat a b c | bce merge -
    let piped = try dir.bce(["merge", "--output", "json", "-"], stdin: Array(text.joined().utf8))
    #expect(piped.status == 0, "\(piped)")
    #expect(piped.stdout == flat.stdout)
    // Blank lines and CRLF line ends between states, no final line end.
    var messy = "\n" + text[0].replacingOccurrences(of: "\n", with: "\r\n") + "\n  \n"
    messy += text[1] + "\n" + String(text[2].dropLast())
    let tolerant = try dir.bce(["merge", "--output", "json", "-"], stdin: Array(messy.utf8))
    #expect(tolerant.status == 0, "\(tolerant)")
    #expect(tolerant.stdout == flat.stdout)
    // A file, stdin, a file: the inputs in that order.
    let mixed = try dir.bce(
      ["merge", "--output", "json", "a.state", "-", "c.state"], stdin: Array(text[1].utf8))
    #expect(mixed.status == 0, "\(mixed)")
    #expect(mixed.stdout == flat.stdout)
    // Text and Prometheus from stdin as well.
    for format in ["text", "prometheus"] {
      let fromFiles = try dir.bce(["merge", "--output", format] + states)
      let fromStdin = try dir.bce(
        ["merge", "--output", format, "-"], stdin: Array(text.joined().utf8))
      #expect(withoutTime(fromStdin.stdout) == withoutTime(fromFiles.stdout), "\(format)")
    }
  }

  @Test("a merge tree (merge --state-out, then merge again) gives the flat merge's report")
  func mergeTree() throws {
    let options = ["-p", "score", "-p", "score2", "-w", "w", "-g", "model", "--bins", "6"]
    let dir = try threeShards(options)
    let flat = try dir.bce(["merge", "--output", "json"] + states)
    #expect(flat.status == 0, "\(flat)")
    // ((a b) c), with the inner merge's report on stdout and its state in a file.
    let inner = try dir.bce([
      "merge", "--output", "json", "--state-out", "ab.state", "a.state", "b.state",
    ])
    #expect(inner.status == 0, "\(inner)")
    #expect(inner.stdout.contains("\"results\""))
    let outer = try dir.bce(["merge", "--output", "json", "ab.state", "c.state"])
    #expect(outer.stdout == flat.stdout)
    // (a (b c)), the inner state through stdout and stdin.
    let bc = try dir.bce(["merge", "--state-out", "-", "b.state", "c.state"])
    #expect(bc.status == 0, "\(bc)")
    #expect(bc.stdout.filter { $0 == "\n" }.count == 1)
    #expect(bc.stdout.hasPrefix("{\"format\": \"bce-state\""))
    let right = try dir.bce(
      ["merge", "--output", "json", "a.state", "-"], stdin: Array(bc.stdout.utf8))
    #expect(right.stdout == flat.stdout)
    // A state merged from one state is that state.
    let one = try dir.bce(["merge", "--state-out", "-", "a.state"])
    let a = try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
    #expect(one.stdout == a)
  }

  @Test("a truncated or malformed state: status 1 naming it, nothing on stdout")
  func truncatedState() throws {
    let dir = try threeShards(["-p", "score", "-g", "model"])
    let text = try String(contentsOf: dir.url.appendingPathComponent("b.state"), encoding: .utf8)
    let half = String(text.prefix(text.count / 2))
    try dir.write("half.state", half)
    try dir.write("empty.state", "")
    try dir.write("garbage.state", "not a state\n")
    for bad in ["half.state", "empty.state", "garbage.state"] {
      for arguments in [["a.state", bad, "c.state"], [bad], ["--output", "json", "a.state", bad]] {
        let run = try dir.bce(["merge"] + arguments)
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout == "", "\(run)")
        #expect(run.stderr.hasPrefix("bce: error: \(bad): "), "\(run)")
      }
    }
    // On stdin, the line is named.
    let piped = try dir.bce(
      ["merge", "-"],
      stdin: Array(
        (try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
          + half + "\n").utf8))
    #expect(piped.status == 1, "\(piped)")
    #expect(piped.stdout == "")
    #expect(piped.stderr.hasPrefix("bce: error: -:2: "), "\(piped)")
    // Nothing at all on stdin.
    let nothing = try dir.bce(["merge", "-"])
    #expect(nothing.status == 1, "\(nothing)")
    #expect(nothing.stdout == "")
  }

  @Test("states made with different math options: status 2 naming the option")
  func incompatibleStates() throws {
    let dir = try threeShards(["-p", "score", "-g", "model"])
    let cases: [([String], String)] = [
      (["-p", "score", "-g", "model", "--clip", "spark"], "--clip"),
      (["-p", "score", "-g", "model", "--eps", "1e-3"], "--clip"),
      (["-p", "score", "-g", "model", "--logits"], "logits"),
      (["-p", "score", "-g", "model", "-w", "w"], "--weight"),
      (["-p", "score"], "--group-by"),
      (["-p", "score2", "-g", "model"], "--pred"),
      (["-p", "score", "-p", "score2", "-g", "model"], "--pred"),
      (["-p", "score", "-g", "model", "--bins", "3"], "--bins"),
      (["-p", "score", "-g", "model", "-l", "2"], "--label"),
    ]
    for (options, option) in cases {
      let made = try dir.bce(options + ["--state-out", "x.state", "c.csv"])
      #expect(made.status == 0, "\(made)")
      for order in [["a.state", "x.state"], ["x.state", "a.state", "b.state"]] {
        let run = try dir.bce(["merge", "--output", "json"] + order)
        #expect(run.status == 2, "\(options): \(run)")
        #expect(run.stdout == "", "\(run)")
        #expect(run.stderr.hasPrefix("bce: error: "), "\(run)")
        #expect(run.stderr.contains(option), "\(options): \(run)")
        #expect(run.stderr.contains("x.state"), "\(run)")
      }
    }
  }

  @Test("an old or unknown state version: status 1 naming the version")
  func oldVersion() throws {
    let dir = try threeShards(["-p", "score"])
    let text = try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
    for version in [0, 2] {
      let old = text.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": \(version),")
      #expect(old != text)
      try dir.write("old.state", old)
      let run = try dir.bce(["merge", "old.state", "b.state"])
      #expect(run.status == 1, "\(run)")
      #expect(run.stdout == "")
      #expect(run.stderr.hasPrefix("bce: error: old.state: "), "\(run)")
      #expect(run.stderr.contains("version \(version)"), "\(run)")
    }
  }

  @Test("merge --max-loss: status 3 with the report when a loss_mean exceeds it")
  func maxLoss() throws {
    let dir = try threeShards(["-p", "score", "-g", "model"])
    let over = try dir.bce(["merge", "--output", "json", "--max-loss", "0.01"] + states)
    #expect(over.status == 3, "\(over)")
    #expect(over.json["results"] != nil, "\(over)")
    #expect(over.stderr.contains("--max-loss"), "\(over)")
    let single = try dir.bce(["-p", "score", "-g", "model", "--output", "json"] + inputs)
    #expect(over.stdout == single.stdout)
    let under = try dir.bce(["merge", "--output", "json", "--max-loss", "1000"] + states)
    #expect(under.status == 0, "\(under)")
    #expect(under.stdout == single.stdout)
  }

  @Test("merge --plot: the eval's diagram with bins, status 2 without")
  func plot() throws {
    let plain = try threeShards(["-p", "score"])
    let run = try plain.bce(["merge", "--plot", "p.svg"] + states)
    #expect(run.status == 2, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.contains("--bins"), "\(run)")
    #expect(!FileManager.default.fileExists(atPath: plain.url.appendingPathComponent("p.svg").path))

    let binned = try threeShards(["-p", "score", "--bins", "5"])
    let merged = try binned.bce(["merge", "--plot", "m.svg", "--output", "json"] + states)
    #expect(merged.status == 0, "\(merged)")
    let single = try binned.bce(
      ["-p", "score", "--bins", "5", "--plot", "s.svg", "--output", "json"] + inputs)
    #expect(single.status == 0, "\(single)")
    let m = try Data(contentsOf: binned.url.appendingPathComponent("m.svg"))
    let s = try Data(contentsOf: binned.url.appendingPathComponent("s.svg"))
    #expect(m == s)
  }

  @Test("a missing state file: status 1 naming it; no states at all: status 2")
  func missingStates() throws {
    let dir = try threeShards(["-p", "score"])
    let missing = try dir.bce(["merge", "a.state", "nope.state"])
    #expect(missing.status == 1, "\(missing)")
    #expect(missing.stdout == "")
    #expect(missing.stderr.hasPrefix("bce: error: nope.state: "), "\(missing)")
    let directory = try dir.bce(["merge", "a.state", "."])
    #expect(directory.status == 1, "\(directory)")
    #expect(directory.stdout == "")
    let none = try dir.bce(["merge"])
    #expect(none.status == 2, "\(none)")
    #expect(none.stdout == "")
    let unknown = try dir.bce(["merge", "--clip", "spark", "a.state"])
    #expect(unknown.status == 2, "math options are not merge's: \(unknown)")
  }

  @Test("a shard that fails writes no state: a truncated gzip with --state-out -")
  func failingShardWritesNoState() throws {
    let dir = try Workspace()
    let gzip = gzipMember(Array(mergeLog(rows: 400, seed: 9).utf8))
    try dir.write("t.csv.gz", Array(gzip.prefix(gzip.count / 2)))
    let run = try dir.bce(["-p", "score", "--state-out", "-", "t.csv.gz"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.contains("t.csv.gz"), "\(run)")
    #expect(run.stderr.contains("truncated"), "\(run)")
    let file = try dir.bce(["-p", "score", "--state-out", "t.state", "t.csv.gz"])
    #expect(file.status == 1)
    #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("t.state").path))
  }

  /// (Found while writing these tests: the help once ended lines with `\\`.)
  @Test("bce merge --help has no stray backslashes")
  func helpText() throws {
    let dir = try Workspace()
    let run = try dir.bce(["merge", "--help"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("Combine partial states"))
    #expect(!run.stdout.contains("\\"), "\(run.stdout)")
  }

  /// Bug: `StateReader` makes `Tally(binCount: math.bins)` before it checks the document's
  /// bins against `math.bins`, and nothing bounds `math.bins` (eval allows 1...10000), so a
  /// state with `"bins": 100000000000` aborts bce (allocation failure, signal 6) instead of
  /// a data error.
  @Test("bug: a state with a huge math.bins crashes bce merge instead of status 1")
  func bugHugeBinCountCrashes() throws {
    let dir = try threeShards(["-p", "score"])
    let text = try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
    let huge = text.replacingOccurrences(of: "\"bins\": 0}", with: "\"bins\": 100000000000}")
    #expect(huge != text)
    try dir.write("huge.state", huge)
    let run = try dir.bce(["merge", "huge.state", "b.state"])
    #expect(run.status == 1, "\(run.status)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: huge.state: "), "\(run.stderr.prefix(300))")
  }

  /// Bug: `PartialState.merge` adds counts with `+=` (`Tally.merge`, `PredictionTally.merge`),
  /// so two states whose counts add up past `Int.max` trap (signal 4) instead of being
  /// rejected as malformed.
  @Test("bug: counts that overflow when states are merged crash bce merge instead of status 1")
  func bugCountOverflowCrashes() throws {
    let dir = try threeShards(["-p", "score"])
    let text = try String(contentsOf: dir.url.appendingPathComponent("a.state"), encoding: .utf8)
    let big = text.replacingOccurrences(
      of: "\"records\": 300,", with: "\"records\": 9223372036854775807,")
    #expect(big != text)
    try dir.write("big.state", big)
    let run = try dir.bce(["merge", "big.state", "b.state"])
    #expect(run.status == 1, "\(run.status)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: "), "\(run.stderr.prefix(300))")
  }
}
