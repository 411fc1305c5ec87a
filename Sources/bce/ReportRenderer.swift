import BCECore
import BCEIO
import Foundation

/// Renders a ``Report`` as text for people or JSON for programs (SPEC §8).
enum ReportRenderer {
  // MARK: JSON

  /// One JSON object on one line, keys in a stable order, doubles in their shortest
  /// round-trip form, `null` for undefined values and `"inf"` for an infinite one.
  ///
  /// The wall time is left out so that the same records always give the same bytes.
  static func json(_ report: Report) -> String {
    var out = "{\"inputs\": ["
    out += report.inputs.map(JSONText.quoted).joined(separator: ", ")
    out += "], \"records\": \(report.records), \"skipped\": \(report.skipped), \"results\": ["
    // Appended one by one: a report of many groups is large, and one copy of it is enough.
    for (i, row) in report.results.enumerated() {
      if i > 0 { out += ", " }
      out += jsonResult(row)
    }
    out += "], \"bytes_read\": \(report.bytesRead)"
    out += ", \"bytes_decompressed\": \(report.bytesDecompressed)}\n"
    return out
  }

  private static func jsonResult(_ row: ResultRow) -> String {
    let m = row.metrics
    let fields: [(String, String)] = [
      ("pred", JSONText.quoted(row.prediction)),
      ("group", row.group.map(JSONText.quoted) ?? "null"),
      ("count", String(m.count)),
      ("weight_sum", jsonNumber(m.weightSum)),
      ("loss_sum", jsonNumber(m.lossSum)),
      ("loss_mean", jsonNumber(m.lossMean)),
      ("label_mean", jsonNumber(m.labelMean)),
      ("pred_mean", jsonNumber(m.predictionMean)),
      ("normalized_entropy", jsonNumber(m.normalizedEntropy)),
      ("calibration", jsonNumber(m.calibration)),
      ("clipped", String(m.clipped)),
    ]
    var object = "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ")
    if let bins = row.bins {
      object += ", \"bins\": [" + bins.map(jsonBin).joined(separator: ", ") + "]"
    }
    return object + "}"
  }

  private static func jsonBin(_ bin: BinMetrics) -> String {
    "{\"lower\": \(jsonNumber(bin.lower)), \"upper\": \(jsonNumber(bin.upper)), "
      + "\"count\": \(bin.count), \"weight_sum\": \(jsonNumber(bin.weightSum)), "
      + "\"pred_mean\": \(jsonNumber(bin.predictionMean)), "
      + "\"label_mean\": \(jsonNumber(bin.labelMean))}"
  }

  /// A double that JSON reads back to the same bits: Swift's shortest round-trip digits.
  static func jsonNumber(_ value: Double?) -> String {
    guard let value else { return "null" }
    if value.isNaN { return "null" }  // never produced by the formulas (SPEC §8)
    if value.isInfinite { return value > 0 ? "\"inf\"" : "\"-inf\"" }
    return value.description
  }

  // MARK: Prometheus

  /// The Prometheus text exposition format, as the node_exporter textfile collector reads
  /// it: one gauge family per field, with `pred` and (for a group's row) `group` labels. An
  /// undefined value is left out; infinity is `+Inf`.
  static func prometheus(_ report: Report) -> String {
    typealias Field = (name: String, help: String, value: (Metrics) -> String?)
    func number(_ value: Double?) -> String? { value.map(prometheusNumber) }
    let fields: [Field] = [
      ("count", "Records evaluated (weight-0 records included).", { String($0.count) }),
      ("weight_sum", "Sum of the sample weights.", { number($0.weightSum) }),
      (
        "loss_sum", "Total binary cross-entropy: the sum of weight times loss.",
        { number($0.lossSum) }
      ),
      (
        "loss_mean", "Mean binary cross-entropy (log loss): loss_sum / weight_sum.",
        { number($0.lossMean) }
      ),
      ("label_mean", "Weighted mean label (base rate).", { number($0.labelMean) }),
      ("pred_mean", "Weighted mean predicted probability.", { number($0.predictionMean) }),
      (
        "normalized_entropy", "loss_mean divided by the entropy of the base rate.",
        { number($0.normalizedEntropy) }
      ),
      (
        "calibration", "Sum of weighted predictions over sum of weighted labels.",
        { number($0.calibration) }
      ),
      ("clipped", "Records whose prediction the clipping rule changed.", { String($0.clipped) }),
    ]
    var out = ""
    for field in fields {
      out += "# HELP bce_\(field.name) \(field.help)\n# TYPE bce_\(field.name) gauge\n"
      for row in report.results {
        guard let value = field.value(row.metrics) else { continue }
        var labels = "pred=\"\(prometheusLabel(row.prediction))\""
        if let group = row.group { labels += ",group=\"\(prometheusLabel(group))\"" }
        out += "bce_\(field.name){\(labels)} \(value)\n"
      }
    }
    let runFields: [(String, String, Int)] = [
      ("records", "Data records read, skipped ones included.", report.records),
      ("skipped_records", "Invalid records skipped.", report.skipped),
      ("bytes_read", "Bytes read from the inputs (compressed bytes for gzip).", report.bytesRead),
    ]
    for (name, help, value) in runFields {
      out += "# HELP bce_\(name) \(help)\n# TYPE bce_\(name) gauge\nbce_\(name) \(value)\n"
    }
    return out
  }

  /// A label value with `\\`, `"` and line feeds escaped.
  static func prometheusLabel(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.append(character)
      }
    }
    return out
  }

  static func prometheusNumber(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    return value.description
  }

  // MARK: Text

  /// An aligned table, one row per result (the overall row of each prediction column
  /// first, then its groups), then one line about the run.
  ///
  /// - Parameter seconds: the run's wall time, or `nil` (for `merge`, whose own time says
  ///   nothing about the inputs).
  static func text(_ report: Report, seconds: Double?) -> String {
    let grouped = report.results.contains { $0.group != nil }
    var headers = ["pred"]
    if grouped { headers.append("group") }
    headers += [
      "count", "loss_mean", "loss_sum", "label_mean", "pred_mean", "norm_entropy",
      "calibration", "clipped",
    ]
    var rows = [headers]
    for row in report.results {
      let m = row.metrics
      var cells = [row.prediction]
      if grouped { cells.append(row.group ?? "(all)") }
      cells += [
        String(m.count), readable(m.lossMean), readable(m.lossSum), readable(m.labelMean),
        readable(m.predictionMean), readable(m.normalizedEntropy), readable(m.calibration),
        String(m.clipped),
      ]
      rows.append(cells)
    }
    var out = table(rows, textColumns: grouped ? 2 : 1)
    for row in report.results {
      guard let bins = row.bins else { continue }
      out += "\ncalibration bins of \(row.prediction):\n"
      var binRows = [["bin", "count", "weight_sum", "pred_mean", "label_mean"]]
      for (i, bin) in bins.enumerated() {
        let close = i == bins.count - 1 ? "]" : ")"
        binRows.append([
          "[\(readable(bin.lower)), \(readable(bin.upper))\(close)", String(bin.count),
          readable(bin.weightSum), readable(bin.predictionMean), readable(bin.labelMean),
        ])
      }
      out += table(binRows, textColumns: 1)
    }
    let megabytes = Double(report.bytesDecompressed) / 1e6
    var summary = "\(report.records) records"
    if report.skipped > 0 { summary += " (\(report.skipped) skipped)" }
    summary += " from \(report.inputs.count) input\(report.inputs.count == 1 ? "" : "s")"
    summary += String(format: ", %.1f MB", megabytes)
    if let seconds {
      summary += String(format: " in %.2f s", seconds)
      if seconds > 0 { summary += String(format: " (%.0f MB/s)", megabytes / seconds) }
    }
    return out + summary + "\n"
  }

  /// Rows of cells as aligned columns: the first `textColumns` left-aligned, the rest (numbers)
  /// right-aligned.
  static func table(_ rows: [[String]], textColumns: Int) -> String {
    let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
    var out = ""
    for row in rows {
      let cells = row.indices.map { column -> String in
        let padding = String(repeating: " ", count: widths[column] - row[column].count)
        return column < textColumns ? row[column] + padding : padding + row[column]
      }
      out += cells.joined(separator: "  ") + "\n"
    }
    return out
  }

  /// About six significant digits, without an exponent for everyday magnitudes and without
  /// trailing zeros (`0.5`, `0.216162`, `9742.68`).
  static func readable(_ value: Double?) -> String {
    guard let value else { return "-" }
    if value.isNaN { return "-" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e-4 && magnitude < 1e15 {
      let decimals = max(0, 5 - Int(log10(magnitude).rounded(.down)))
      return printed("%.*f", [Int32(decimals), value], trimmingZeros: true)
    }
    return printed("%.5e", [value], trimmingZeros: false)
  }

  /// `arguments` through C's `vsnprintf` with `format`; the fraction's trailing zeros (and a
  /// bare `.`) removed when `trimmingZeros`.
  ///
  /// Not `String(format:)`: through Foundation, a report of 100,000 groups spent seconds
  /// here. bce never sets a locale, so the C library's decimal point is `.`.
  private static func printed(
    _ format: StaticString, _ arguments: [any CVarArg], trimmingZeros: Bool
  ) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
      let written = withVaList(arguments) { arguments in
        format.withUTF8Buffer { formatBytes in
          formatBytes.withMemoryRebound(to: CChar.self) {
            vsnprintf(buffer.baseAddress!, 64, $0.baseAddress!, arguments)
          }
        }
      }
      var end = max(0, min(Int(written), 63))  // vsnprintf is negative only on an error
      let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress!, count: end)
      if trimmingZeros && bytes.contains(UInt8(ascii: ".")) {
        while bytes[end - 1] == UInt8(ascii: "0") { end -= 1 }
        if bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
      }
      return String(decoding: bytes[..<end], as: UTF8.self)
    }
  }
}
