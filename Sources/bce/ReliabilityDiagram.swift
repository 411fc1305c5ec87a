import BCECore
import Foundation

/// A reliability diagram as a self-contained SVG: for each prediction column, the observed
/// positive rate against the mean prediction of each calibration bin, over the diagonal of
/// perfect calibration, with each bin's record count.
enum ReliabilityDiagram {
  /// Side of the square plot area, and the margins around it (the legend is on the right).
  static let plot = 500.0
  static let margin = (left: 70.0, right: 210.0, top: 60.0, bottom: 60.0)
  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]

  /// The SVG document for the overall rows of `report` (which must carry bins).
  static func svg(_ report: Report) -> String {
    let series = report.results.filter { $0.group == nil && $0.bins != nil }
    func x(_ value: Double) -> Double { margin.left + value * plot }
    func y(_ value: Double) -> Double { margin.top + (1 - value) * plot }
    let width = margin.left + plot + margin.right
    let height = margin.top + plot + margin.bottom
    var svg = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
      viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>

      """
    let losses = series.map { "\($0.prediction) \(short($0.metrics.lossMean))" }
    svg += text(
      "Reliability diagram — log loss: " + losses.joined(separator: ", "), x: width / 2,
      y: 28, anchor: "middle", extra: #"font-size="15" font-weight="bold""#)
    // Axes, grid and ticks.
    svg += "<g stroke=\"#ccc\" stroke-width=\"1\">\n"
    for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
      svg += line(x(tick), y(0), x(tick), y(1))
      svg += line(x(0), y(tick), x(1), y(tick))
    }
    svg += "</g>\n"
    svg += "<rect x=\"\(f(x(0)))\" y=\"\(f(y(1)))\" width=\"\(f(plot))\" height=\"\(f(plot))\" "
    svg += "fill=\"none\" stroke=\"black\"/>\n"
    for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
      svg += text(String(format: "%.1f", tick), x: x(tick), y: y(0) + 18, anchor: "middle")
      svg += text(String(format: "%.1f", tick), x: x(0) - 8, y: y(tick) + 4, anchor: "end")
    }
    svg += text("mean predicted probability", x: x(0.5), y: height - 15, anchor: "middle")
    svg += text(
      "observed positive rate", x: 20, y: y(0.5), anchor: "middle",
      extra: "transform=\"rotate(-90 20 \(f(y(0.5))))\"")
    // The diagonal of perfect calibration.
    svg += "<line x1=\"\(f(x(0)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(1)))\" y2=\"\(f(y(1)))\" "
    svg += "stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n"
    // One series per prediction column: a line through the bins, a point per bin whose area
    // grows with its count, and the count beside it.
    for (s, row) in series.enumerated() {
      let color = palette[s % palette.count]
      let bins = row.bins!.filter { $0.predictionMean != nil && $0.labelMean != nil }
      let total = max(1, bins.map(\.count).reduce(0, +))
      let points = bins.map { (x($0.predictionMean!), y($0.labelMean!)) }
      svg += "<g class=\"series\" data-pred=\"\(escape(row.prediction))\">\n"
      svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
      svg += points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>\n"
      for (bin, point) in zip(bins, points) {
        let radius = 3 + 9 * (Double(bin.count) / Double(total)).squareRoot()
        svg += "<circle class=\"bin\" cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" "
        svg += "r=\"\(f(radius))\" fill=\"\(color)\" fill-opacity=\"0.6\" stroke=\"\(color)\">"
        svg += "<title>\(escape(row.prediction)) [\(short(bin.lower)), \(short(bin.upper))): "
        svg += "n=\(bin.count), mean prediction \(short(bin.predictionMean)), "
        svg += "positive rate \(short(bin.labelMean))</title></circle>\n"
        svg += text(
          "n=\(bin.count)", x: point.0 + radius + 3, y: point.1 - radius, anchor: "start",
          extra: "font-size=\"10\" fill=\"\(color)\"")
      }
      svg += "</g>\n"
      // Legend entry.
      let legendY = margin.top + 20 + Double(s) * 22
      svg += "<rect x=\"\(f(x(1) + 20))\" y=\"\(f(legendY - 10))\" width=\"14\" height=\"14\" "
      svg += "fill=\"\(color)\"/>\n"
      svg += text(
        "\(row.prediction) (loss \(short(row.metrics.lossMean)))", x: x(1) + 40, y: legendY + 2,
        anchor: "start")
    }
    return svg + "</svg>\n"
  }

  private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
    "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\"/>\n"
  }

  private static func text(
    _ content: String, x: Double, y: Double, anchor: String, extra: String = ""
  ) -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" \(extra)>\(escape(content))</text>\n"
  }

  /// A coordinate with two decimals.
  private static func f(_ value: Double) -> String { String(format: "%.2f", value) }

  /// A value with four significant digits for labels.
  private static func short(_ value: Double?) -> String {
    guard let value else { return "-" }
    return String(format: "%.4g", value)
  }

  /// Text escaped for XML.
  private static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }
}
