import Foundation
import Testing

/// One sample line of the Prometheus text format, parsed back.
private struct PrometheusSample: Equatable {
  var name: String
  var labels: [String: String]
  var value: String
}

/// Parses the text exposition format strictly: every line is a HELP or TYPE comment or a
/// sample `name{label="value",...} number`; label values unescaped.
private func parsePrometheus(_ text: String) throws -> (
  types: [String: String], samples: [PrometheusSample]
) {
  var types: [String: String] = [:]
  var samples: [PrometheusSample] = []
  for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
    if line.hasPrefix("# HELP ") { continue }
    if line.hasPrefix("# TYPE ") {
      let parts = line.split(separator: " ")
      try #require(parts.count == 4, "bad TYPE line: \(line)")
      types[String(parts[2])] = String(parts[3])
      continue
    }
    var rest = Substring(line)
    let name = rest.prefix { $0.isLetter || $0 == "_" }
    try #require(!name.isEmpty, "bad sample line: \(line)")
    rest = rest.dropFirst(name.count)
    var labels: [String: String] = [:]
    if rest.first == "{" {
      rest = rest.dropFirst()
      while rest.first != "}" {
        let key = rest.prefix { $0 != "=" }
        rest = rest.dropFirst(key.count)
        try #require(rest.hasPrefix("=\""), "bad label in: \(line)")
        rest = rest.dropFirst(2)
        var value = ""
        while let c = rest.first, c != "\"" {
          rest = rest.dropFirst()
          if c == "\\" {
            let e = rest.removeFirst()
            value.append(e == "n" ? "\n" : e)
          } else {
            value.append(c)
          }
        }
        rest = rest.dropFirst()
        labels[String(key)] = value
        if rest.first == "," { rest = rest.dropFirst() }
      }
      rest = rest.dropFirst()
    }
    try #require(rest.first == " ", "bad sample line: \(line)")
    let value = String(rest.dropFirst())
    try #require(Double(value) != nil || value == "+Inf", "bad value in: \(line)")
    samples.append(PrometheusSample(name: String(name), labels: labels, value: value))
  }
  return (types, samples)
}

@Suite("bce report formats and --max-loss")
struct ReportFormatCommandLineTests {
  static let grouped = """
    label,pred,segment
    0,0.1,"quote "" and \\\\ back"
    1,0.9,a
    1,0.8,"quote "" and \\\\ back"
    0,0.35,a

    """

  @Test func prometheusLinesParseBackToTheJSONValues() throws {
    let dir = try Workspace()
    try dir.write("g.csv", Self.grouped)
    let prom = try dir.bce(["-g", "segment", "--output", "prometheus", "g.csv"])
    #expect(prom.status == 0, "\(prom)")
    let json = try dir.bce(["-g", "segment", "--output", "json", "g.csv"])
    let (types, samples) = try parsePrometheus(prom.stdout)
    for field in [
      "count", "weight_sum", "loss_sum", "loss_mean", "label_mean", "pred_mean",
      "normalized_entropy", "calibration", "clipped",
    ] {
      #expect(types["bce_\(field)"] == "gauge", "\(field)")
      let rows = samples.filter { $0.name == "bce_\(field)" }
      #expect(rows.map { $0.labels["group"] } == [nil, "a", "quote \" and \\\\ back"], "\(field)")
      #expect(rows.allSatisfy { $0.labels["pred"] == "pred" })
      let expected = json.numbers(field)
      #expect(rows.map { Double($0.value) } == expected, "\(field)")
    }
    #expect(samples.first { $0.name == "bce_records" }?.value == "4")
    #expect(samples.first { $0.name == "bce_skipped_records" }?.value == "0")
  }

  @Test func prometheusLeavesUndefinedValuesOutAndWritesInfinity() throws {
    let dir = try Workspace()
    // All labels 0: normalized entropy and calibration are undefined; --clip none: +Inf.
    try dir.write("z.csv", "label,pred\n0,1\n0,0.5\n")
    let run = try dir.bce(["--clip", "none", "--output", "prometheus", "z.csv"])
    #expect(run.status == 0, "\(run)")
    let (_, samples) = try parsePrometheus(run.stdout)
    #expect(!samples.contains { $0.name == "bce_normalized_entropy" })
    #expect(!samples.contains { $0.name == "bce_calibration" })
    #expect(samples.first { $0.name == "bce_loss_sum" }?.value == "+Inf")
  }

  @Test func maxLossExceededExitsThreeAfterTheReport() throws {
    let dir = try Workspace()
    try dir.write("g.csv", Self.grouped)
    // Overall loss_mean 0.2162, group 'a' 0.2680, the other 0.1643.
    let exceeded = try dir.bce(["-g", "segment", "--max-loss", "0.25", "--output", "json", "g.csv"])
    #expect(exceeded.status == 3, "\(exceeded)")
    #expect(exceeded.numbers("loss_mean").count == 3)  // the whole report is on stdout
    #expect(
      exceeded.stderr
        == "bce: error: loss_mean 0.2680717158751402 of 'pred' group 'a' exceeds --max-loss 0.25\n")
    let overall = try dir.bce(["--max-loss", "0.2", "g.csv"])
    #expect(overall.status == 3)
    #expect(overall.stdout.contains("loss_mean"))
    #expect(overall.stderr.contains("of 'pred' exceeds --max-loss 0.2"))
    let fine = try dir.bce(["-g", "segment", "--max-loss", "0.3", "g.csv"])
    #expect(fine.status == 0)
    #expect(fine.stderr == "")
    // A data error still wins: status 1 and nothing on stdout.
    try dir.write("bad.csv", "label,pred\n0,2\n")
    let bad = try dir.bce(["--max-loss", "0.3", "bad.csv"])
    #expect(bad.status == 1)
    #expect(bad.stdout == "")
  }
}
