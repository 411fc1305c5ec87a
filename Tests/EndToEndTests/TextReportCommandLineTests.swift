import Foundation
import Testing

/// The text report's rule for a number, as `String(format:)` spells it: about six
/// significant digits without an exponent for 1e-4 ≤ |x| < 1e15, trailing zeros dropped;
/// otherwise `%.5e`. bce prints through `vsnprintf`; this is the independent reference.
private func reference(_ value: Double?) -> String {
  guard let value, !value.isNaN else { return "-" }
  if value.isInfinite { return value > 0 ? "inf" : "-inf" }
  if value == 0 { return "0" }
  let magnitude = abs(value)
  guard magnitude >= 1e-4 && magnitude < 1e15 else { return String(format: "%.5e", value) }
  let decimals = max(0, 5 - Int(log10(magnitude).rounded(.down)))
  var text = String(format: "%.\(decimals)f", value)
  if text.contains(".") {
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
  }
  return text
}

@Suite("bce text report")
struct TextReportCommandLineTests {
  /// Groups whose sums and means span many magnitudes, tiny to huge weights included: every
  /// number in the text table is the JSON report's value, spelled by the rule.
  @Test func everyNumberIsTheJSONValueSpelledByTheRule() throws {
    let dir = try Workspace()
    var text = "label,score,w,g\n"
    var random = SystemRandomNumberGenerator()
    let weights = [1e-9, 3e-5, 0.5, 1, 7, 123.456, 1e6, 4e13, 2e15, 9e20]
    for i in 0..<400 {
      let group = "g\(i % 23)"
      let weight = weights[(i / 23 + i) % weights.count]
      let score = [1e-7, 0.000123, 0.5, 0.999_999, Double.random(in: 0...1, using: &random)][i % 5]
      text += "\(Int.random(in: 0...1, using: &random)),\(score),\(weight),\(group)\n"
    }
    try dir.write("p.csv", text)
    let arguments = ["-p", "score", "-w", "w", "-g", "g", "p.csv"]
    let json = try dir.bce(arguments + ["--output", "json"])
    let table = try dir.bce(arguments)
    #expect(json.status == 0 && table.status == 0, "\(json)\n\(table)")
    let keys = [
      "loss_mean", "loss_sum", "label_mean", "pred_mean", "normalized_entropy", "calibration",
    ]
    let columns = keys.map { json.numbers($0) }
    let rows = table.stdout.split(separator: "\n").dropFirst().filter { $0.hasPrefix("score ") }
    try #require(rows.count == columns[0].count && rows.count == 24, "\(table)")
    var spelled: Set<String> = []
    for (r, row) in rows.enumerated() {
      let cells = row.split(separator: " ").map(String.init)
      // pred, group, count, then the six numbers, then clipped.
      try #require(cells.count == 10, "row: \(row)")
      for (k, column) in columns.enumerated() {
        #expect(cells[3 + k] == reference(column[r]), "\(keys[k]) in row \(row)")
        spelled.insert(cells[3 + k].contains("e") ? "exponent" : "plain")
      }
    }
    #expect(spelled == ["exponent", "plain"])
  }
}
