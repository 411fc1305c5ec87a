import ArgumentParser
import BCECore
import BCEIO
import Foundation

/// `bce [eval]`: evaluate prediction logs (SPEC §2).
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bce",
    abstract: "Binary cross-entropy (log loss) of prediction logs, exact and on every core.",
    usage: "bce [eval] [<options>] [<files> ...]",
    discussion: """
      Reads plain or gzip-compressed CSV or TSV (gzip is recognised by its magic bytes), \
      pools the records of every FILE, and reports the total and mean loss over them. \
      Every sum is exact, so results are bitwise identical for any --threads and \
      --chunk-size.

      Exit status: 0 success; 1 data error (unreadable or corrupt input, an invalid \
      record, no records); 2 usage error (bad option, missing column); 3 a loss_mean \
      exceeds --max-loss (the report is still written).
      """,
    version: "0.1.0")

  @Argument(help: "Input files, plain or gzip; '-' or none reads standard input.")
  var files: [String] = []

  @Option(help: "Record format (default: from the extension after .gz, else csv).")
  var format: InputFormat?

  @Flag(help: "The first line is a record, not a header; select columns by 1-based index.")
  var noHeader = false

  @Option(help: "Field separator: one ASCII character, or 'tab'.")
  var delimiter: Delimiter?

  @Option(name: [.short, .long], help: "Label column: a header name or a 1-based index.")
  var label: ColumnSelector = .name("label")

  @Option(
    name: [.short, .customLong("pred")],
    help: "Prediction column; repeat it to evaluate several models in one pass (default: pred).")
  var predictions: [ColumnSelector] = []

  @Option(name: [.short, .long], help: "Sample weight column.")
  var weight: ColumnSelector?

  @Option(
    name: [.short, .customLong("group-by")],
    help: "Also report one result per distinct value of this column.")
  var groupBy: ColumnSelector?

  @Option(help: "Exactly these label tokens, as NEG,POS (e.g. -1,1 or no,yes).")
  var labels: LabelTokens?

  @Option(help: "Clipping convention: sklearn, spark, keras, torch or none (default: sklearn).")
  var clip: ClipPreset?

  @Option(help: "Clip predictions to [E, 1-E] with a custom E.")
  var eps: Double?

  @Flag(help: "Predictions are logits; the stable formula is used, without clipping.")
  var logits = false

  @Option(help: "Threads that evaluate records (default: all cores).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Bytes per chunk, e.g. 4M or 65536 (default: 1M).")
  var chunkSize: ByteCount?

  @Option(help: "Gzip decoder: zlib, or isal where the build includes ISA-L (default: zlib).")
  var inflate: InflateBackend = .zlib

  @Flag(help: "Skip invalid records (counted, the first few reported) instead of failing.")
  var skipInvalid = false

  @Flag(
    inversion: .prefixedNo,
    help: "Show a progress line on stderr (default: only when stderr is a terminal).")
  var progress: Bool?

  @Option(
    help: ArgumentHelp(
      "Add N equal-width calibration bins of the predicted probability to the report.",
      valueName: "N"))
  var bins: Int?

  @OptionGroup var report: ReportOptions

  func validate() throws {
    if clip != nil && eps != nil {
      throw ValidationError("give --clip or --eps, not both")
    }
    if logits && (clip != nil || eps != nil) {
      throw ValidationError("--logits uses no clipping: drop --clip and --eps")
    }
    if let eps, !(eps >= 0 && eps < 0.5) {
      throw ValidationError("--eps must be in [0, 0.5), got \(eps)")
    }
    if let bins, bins < 1 || bins > 10_000 {
      throw ValidationError("--bins must be between 1 and 10000, got \(bins)")
    }
    if !InflateBackend.available.contains(inflate) {
      throw ValidationError(
        "--inflate \(inflate.rawValue): this bce was built without it (build with --traits ISAL)")
    }
    if threads < 1 || threads > 4096 {
      throw ValidationError("--threads must be between 1 and 4096, got \(threads)")
    }
    if noHeader {
      for selector in [label] + predictions + [weight, groupBy].compactMap({ $0 }) {
        if case .name(let name) = selector {
          throw ValidationError(
            "--no-header: select columns by 1-based index, not by name ('\(name)')")
        }
      }
    }
  }

  /// The evaluation options these arguments describe.
  var options: EvaluationOptions {
    var options = EvaluationOptions()
    options.format = format
    options.delimiter = delimiter?.byte
    options.hasHeader = !noHeader
    options.columns = ColumnSelection(
      label: label, predictions: predictions.isEmpty ? [.name("pred")] : predictions,
      weight: weight, group: groupBy)
    let formula: LossFormula
    if logits {
      formula = .logits
    } else if let eps {
      formula = LossFormula(clipping: .epsilon(eps))
    } else {
      formula = LossFormula(clipping: .preset(clip ?? .sklearn))
    }
    let labelRule: LabelRule =
      labels.map { .tokens(negative: $0.negative, positive: $0.positive) } ?? .numeric
    options.rules = RecordRules(
      formula: formula, labels: labelRule, skipInvalid: skipInvalid,
      binCount: bins ?? (report.plot != nil ? 10 : 0))
    options.threads = threads
    options.inflate = inflate
    options.chunkSize = chunkSize?.bytes ?? EvaluationOptions.defaultChunkSize
    return options
  }

  func run() throws {
    let started = ContinuousClock.now
    let paths = files.isEmpty ? ["-"] : files
    let counters = EvaluationProgress()
    var line: ProgressLine? = nil
    if progress ?? StandardStream.error.isTerminal {
      line = ProgressLine(progress: counters, totalBytes: ProgressLine.totalSize(of: paths))
      line!.start()
    }
    let outcome: EvaluationOutcome
    do {
      outcome = try Evaluation.run(
        inputs: paths.map(EvaluationInput.path), options: options, progress: counters)
      line?.finish()
    } catch {
      line?.finish()
      throw error
    }
    for skipped in outcome.skippedRecords {
      StandardStream.error.write("bce: warning: skipped invalid record: \(skipped)\n")
    }
    if outcome.report.skipped > outcome.skippedRecords.count {
      StandardStream.error.write(
        "bce: warning: skipped \(outcome.report.skipped) invalid records in all"
          + " (the first \(outcome.skippedRecords.count) are shown)\n")
    }
    let options = self.options
    try report.deliver(
      outcome.report, state: PartialState(outcome: outcome, options: options),
      seconds: secondsSince(started))
  }
}
