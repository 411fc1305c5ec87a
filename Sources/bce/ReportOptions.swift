import ArgumentParser
import BCECore
import BCEIO
import Foundation

/// What to do with a finished report, for `bce eval` and `bce merge` alike: its format,
/// the plot, the partial state and the `--max-loss` gate.
struct ReportOptions: ParsableArguments {
  @Option(help: "Report format: text, json or prometheus (node_exporter textfile collector).")
  var output: OutputFormat = .text

  @Option(
    help: ArgumentHelp(
      "Exit with status 3 when any reported loss_mean (overall or of a group) exceeds X.",
      valueName: "X"))
  var maxLoss: Double?

  @Option(
    help: ArgumentHelp(
      "Write the reliability diagram of the calibration bins as SVG to FILE (eval: 10 bins unless --bins is given).",
      valueName: "FILE"))
  var plot: String?

  @Option(
    help: ArgumentHelp(
      "Write the exact partial state to FILE for 'bce merge'; with '-', to stdout instead of the report.",
      valueName: "FILE"))
  var stateOut: String?

  func validate() throws {
    if let maxLoss, maxLoss.isNaN {
      throw ValidationError("--max-loss must be a number")
    }
  }

  /// Writes the plot, the state and the report (unless the state went to stdout), then
  /// applies `--max-loss`.
  ///
  /// Files come first: if one cannot be written, the run fails before anything is on
  /// stdout.
  func deliver(_ report: Report, state: @autoclosure () -> PartialState, seconds: Double?) throws {
    if let plot {
      guard report.results.contains(where: { $0.bins != nil }) else {
        throw BCEError(
          .usage, place: plot, "no calibration bins to plot: the states were made without --bins")
      }
      try write(ReliabilityDiagram.svg(report), to: plot, what: "the plot")
    }
    if let stateOut {
      let text = state().encoded()
      if stateOut == "-" {
        StandardStream.output.write(text)
      } else {
        try write(text, to: stateOut, what: "the state")
      }
    }
    if stateOut != "-" {
      switch output {
      case .json: StandardStream.output.write(ReportRenderer.json(report))
      case .text: StandardStream.output.write(ReportRenderer.text(report, seconds: seconds))
      case .prometheus: StandardStream.output.write(ReportRenderer.prometheus(report))
      }
    }
    if let maxLoss {
      try checkMaxLoss(report, maxLoss)
    }
  }

  private func write(_ text: String, to path: String, what: String) throws {
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw BCEError(.data, place: path, "cannot write \(what): \(error.localizedDescription)")
    }
  }

  /// Fails with status 3, after the report was written, when a loss_mean exceeds `limit`.
  private func checkMaxLoss(_ report: Report, _ limit: Double) throws {
    let exceeding = report.results.filter { ($0.metrics.lossMean ?? -.infinity) > limit }
    guard !exceeding.isEmpty else { return }
    for row in exceeding {
      var name = "'\(row.prediction)'"
      if let group = row.group { name += " group '\(group)'" }
      BCECommand.printError(
        "loss_mean \(row.metrics.lossMean!) of \(name) exceeds --max-loss \(limit)")
    }
    throw ExitCode(3)
  }
}

/// Seconds since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
  let elapsed = start.duration(to: .now)
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}
