@testable import BCECore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// libFuzzer target for the record parser: ``RecordEvaluator`` on CSV, TSV and JSON Lines,
/// with ``CSVScanner``, ``DecimalParser`` and ``ExactSum`` checked along the way.
///
/// Input layout (see ``RecordCase``): six option bytes — format and delimiter; clipping,
/// label rule, number of prediction columns, weight, group-by; column positions; chunk size
/// for the split law; a prefix length — then the chunk's bytes.
///
/// Invariants (a violation is a crash; see each `require`):
/// - no crash, no hang, no AddressSanitizer report (every buffer the code under test gets is
///   an allocation of exactly its size);
/// - the result is well formed: `records ≥ skipped`, no failure with `skipInvalid`, one issue
///   when failed, `min(skipped, 10)` issues otherwise, line counts that match the `\n`s, issue
///   lines increasing, every valid record counted once per prediction column;
/// - sums: never NaN, never −∞, only the loss sum may be +∞; loss ≥ 0 and at most the clip
///   preset's worst loss per unit of weight; 0 ≤ Σw·y ≤ Σw and 0 ≤ Σw·ŷ ≤ Σw; the metrics
///   are never NaN (SPEC §8);
/// - the split law: cutting the chunk into record-aligned chunks as the reader does (any chunk
///   size) and merging the results as the reducer does gives the same tally, lines, issues
///   and failure as evaluating it whole;
/// - `skipInvalid` only changes what happens at invalid records: without invalid records
///   both give the same tally, and the first skipped record is the one that stops the
///   other run;
/// - group-by only splits the tally: the groups merged are the ungrouped tally;
/// - the CSV fast path is invisible: the evaluator without it gives the same tally, lines,
///   issues and failure;
/// - CSV boundaries: `lastRecordEnd` is one past a `\n`, idempotent and monotone in the
///   prefix; `firstRecord` on a prefix, when found, is the record found in the whole, and the
///   evaluator sees exactly one record in it; messages about too few fields name a column;
/// - every number `DecimalParser` accepts is the double `strtod` gives;
/// - `ExactSum` agrees with `WideSum` (added term by term and merged in any order, doubled
///   by merging with itself) and with Shewchuk's `fsum` on finite terms.
@_cdecl("LLVMFuzzerTestOneInput")
public func recordParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  var input = FuzzInput(data, size)
  let fuzzCase = RecordCase(&input)
  let chunk = UnsafeRawBufferPointer(input.rest)

  let whole = evaluate(fuzzCase.evaluator, chunk)
  checkWellFormed(whole, fuzzCase, chunk)
  checkSplitLaw(whole, fuzzCase, chunk)
  checkSkipInvalidLaw(whole, fuzzCase, chunk)
  checkGroupLaw(whole, fuzzCase, chunk)
  checkFastPathLaw(whole, fuzzCase, chunk)
  if case .csv(let delimiter) = fuzzCase.evaluator.format {
    checkCSVBoundaries(fuzzCase, chunk, delimiter: delimiter)
  }
  let numbers = checkNumbers(chunk, fuzzCase)
  checkExactSum(chunk, numbers, doublings: fuzzCase.doublings)
  return 0
}

// MARK: The case: options decoded from the first bytes

/// One evaluator configuration, read from the option bytes.
struct RecordCase {
  let evaluator: RecordEvaluator
  /// The README's worst loss per record for the clipping rule (∞ for none and logits).
  let worstLoss: Double
  /// Whether the rule never clips (`none`, logits).
  let clipsNever: Bool
  /// The same evaluator with `skipInvalid` flipped.
  let flipped: RecordEvaluator
  /// The same evaluator without its group-by column, when that keeps every record's
  /// validity and messages (the group is one of the other columns, or before the last one).
  let ungrouped: RecordEvaluator?
  /// How a short record's message lists the group-by column, for CSV: `#3 is field 3`.
  let groupColumnItem: String?
  let chunkSize: Int
  /// Whether the split law accumulates chunks into two worker tallies, as the pipeline does,
  /// rather than one tally per chunk.
  let workerTallies: Bool
  let prefixFraction: Int
  let doublings: Int

  /// Delimiters the CLI accepts (one ASCII byte but `"`, CR, LF), the odd ones included.
  static let delimiters: [UInt8] = Array(";| :.e1-+x\\{\u{1}\u{7f}".utf8)
  /// `--labels NEG,POS` pairs.
  static let tokens: [(String, String)] = [("0", "1"), ("-1", "1"), ("no", "yes"), ("\"", "a\"b")]
  /// JSON Lines keys.
  static let keys = ["label", "pred", "w", "g"]

  init(_ input: inout FuzzInput) {
    let formatByte = input.byte()
    let rulesByte = input.byte()
    let positions = input.byte()
    let predictionPositions = input.byte()
    let chunkByte = input.byte()
    prefixFraction = Int(input.byte())
    let extras = input.byte()
    let binCount = [0, 1, 3, 10][Int(extras & 3)]
    workerTallies = extras & 4 != 0

    let formula: LossFormula
    switch rulesByte & 7 {
    case 0: formula = LossFormula(clipping: .preset(.sklearn))
    case 1: formula = LossFormula(clipping: .preset(.spark))
    case 2: formula = LossFormula(clipping: .preset(.keras))
    case 3: formula = LossFormula(clipping: .preset(.torch))
    case 4: formula = LossFormula(clipping: .preset(.none))
    case 5: formula = .logits
    case 6: formula = LossFormula(clipping: .epsilon(0.001))
    default: formula = LossFormula(clipping: .epsilon(0.25))
    }
    // The README's worst loss per record, with room for the rounding of soft labels.
    let worst: [Double] = [
      36.04365338911715, 34.53877639491068, 16.11809565095832, 100, .infinity, .infinity,
      6.907755278982137, 1.3862943611198906,
    ]
    worstLoss = worst[Int(rulesByte & 7)] * (1 + 1e-9)
    clipsNever = rulesByte & 7 == 4 || rulesByte & 7 == 5

    let labels: LabelRule
    if rulesByte & 8 != 0 {
      let (negative, positive) = RecordCase.tokens[Int(positions >> 6)]
      labels = .tokens(negative: Array(negative.utf8), positive: Array(positive.utf8))
    } else {
      labels = .numeric
    }
    let skipInvalid = rulesByte & 0x10 != 0
    let predictionCount = 1 + min(Int(rulesByte >> 5 & 3), 2)
    let hasWeight = rulesByte & 0x80 != 0
    let hasGroup = chunkByte & 0x80 != 0

    let label = Int(positions & 3)
    let weight = hasWeight ? Int(positions >> 2 & 3) : nil
    let group = hasGroup ? Int(positions >> 4 & 3) : nil
    let predictions = (0..<predictionCount).map { Int(predictionPositions >> (2 * $0) & 3) }
    doublings = [0, 1, 33, 62][Int(predictionPositions >> 6)]
    let size = Int(chunkByte & 0x7F)
    chunkSize = size < 64 ? 1 + size : 64 + (size - 64) * 64

    groupColumnItem = group.map { "#\($0 + 1) is field \($0 + 1)" }
    let format: RecordFormat
    let layout: ColumnLayout
    let ungroupedLayout: (RecordFormat, ColumnLayout)?
    switch formatByte & 3 {
    case 2:
      // JSON Lines: columns are keys, resolved as the pipeline does.
      func selection(group: Int?) -> ColumnSelection {
        ColumnSelection(
          label: .name(RecordCase.keys[label]),
          predictions: predictions.map { .name(RecordCase.keys[$0]) },
          weight: weight.map { .name(RecordCase.keys[$0]) },
          group: group.map { .name(RecordCase.keys[$0]) })
      }
      let (resolved, keys) = try! selection(group: group).resolveKeys(input: "fuzz")
      format = .jsonLines(keys: keys)
      layout = resolved
      // A JSON group value is valid whenever the same key's value was valid as another column.
      if let group, group == label || group == weight || predictions.contains(group) {
        let (plain, plainKeys) = try! selection(group: nil).resolveKeys(input: "fuzz")
        ungroupedLayout = (.jsonLines(keys: plainKeys), plain)
      } else {
        ungroupedLayout = nil
      }
    default:
      let delimiter: UInt8
      switch formatByte & 3 {
      case 0: delimiter = UInt8(ascii: ",")
      case 1: delimiter = UInt8(ascii: "\t")
      default: delimiter = RecordCase.delimiters[Int(formatByte >> 2) % RecordCase.delimiters.count]
      }
      format = .csv(delimiter: delimiter)
      func columnLayout(group: Int?) -> ColumnLayout {
        ColumnLayout(
          label: label, predictions: predictions, weight: weight, group: group,
          names: ColumnNames(
            label: "#\(label + 1)", predictions: predictions.map { "#\($0 + 1)" },
            weight: weight.map { "#\($0 + 1)" }, group: group.map { "#\($0 + 1)" }))
      }
      layout = columnLayout(group: group)
      // A CSV field is always a valid group; the group must not add a needed field.
      let plain = columnLayout(group: nil)
      if let group, group < plain.fieldsNeeded {
        ungroupedLayout = (format, plain)
      } else {
        ungroupedLayout = nil
      }
    }
    let rules = RecordRules(
      formula: formula, labels: labels, skipInvalid: skipInvalid, binCount: binCount)
    var flippedRules = rules
    flippedRules.skipInvalid.toggle()
    evaluator = RecordEvaluator(format: format, layout: layout, rules: rules)
    flipped = RecordEvaluator(format: format, layout: layout, rules: flippedRules)
    ungrouped = ungroupedLayout.map { RecordEvaluator(format: $0.0, layout: $0.1, rules: rules) }
  }
}

// MARK: Evaluation with exact-size buffers

/// `evaluator.evaluate` on a copy of `bytes` in an allocation of exactly their size.
func evaluate(_ evaluator: RecordEvaluator, _ bytes: UnsafeRawBufferPointer) -> ChunkResult {
  if bytes.isEmpty { return evaluator.evaluate(UnsafeRawBufferPointer(start: nil, count: 0)) }
  let copy = exactCopy(bytes)
  defer { copy.deallocate() }
  return evaluator.evaluate(UnsafeRawBufferPointer(copy))
}

func newlines(_ bytes: UnsafeRawBufferPointer) -> Int {
  var n = 0
  for byte in bytes where byte == 0x0A { n += 1 }
  return n
}

// MARK: Invariants of one result

func checkWellFormed(_ result: ChunkResult, _ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer)
{
  let tally = result.tally
  let rules = fuzzCase.evaluator.rules
  let limit = RecordRules.describedIssueLimit
  require(
    tally.skipped >= 0 && tally.records >= tally.skipped,
    "records \(tally.records) < skipped \(tally.skipped)")
  let totalLines = newlines(chunk)
  if rules.skipInvalid {
    require(!result.failed, "failed with skipInvalid")
  } else {
    require(tally.skipped == 0, "skipped \(tally.skipped) without skipInvalid")
  }
  if result.failed {
    require(result.issues.count == 1, "failed with \(result.issues.count) issues")
    require(
      result.issues[0].lineOffset == result.lines,
      "failed: lines \(result.lines) ≠ the issue's line \(result.issues[0].lineOffset)")
    require(result.lines <= totalLines, "failed at line \(result.lines) of \(totalLines)")
  } else {
    require(
      result.issues.count == min(tally.skipped, limit),
      "\(result.issues.count) issues for \(tally.skipped) skipped")
    require(
      result.lines == totalLines, "lines \(result.lines), but the chunk has \(totalLines) line ends"
    )
  }
  var previous = -1
  for issue in result.issues {
    require(
      issue.lineOffset > previous && issue.lineOffset <= totalLines,
      "issue lines out of order: \(result.issues.map(\.lineOffset))")
    previous = issue.lineOffset
    require(!issue.message.isEmpty, "an empty message")
    // Bug too-few-fields-no-column (fixed in 1b67624): the group-by column was left out.
    require(
      !issue.message.hasSuffix("column "), "a message that names no column: \(issue.message)")
    // Bug too-few-fields-repeats-column (fixed): a column selected in two roles (`-p 3 -w 3`,
    // or the group-by column as a prediction) was listed twice.
    require(
      missingColumnsOnce(issue.message) == issue.message,
      "a message that names a column twice: \(issue.message)")
  }

  let valid = tally.records - tally.skipped
  for k in 0..<tally.predictions.count {
    let overall = tally.overall(column: k)
    if let bins = tally.bins { checkBins(bins, column: k, overall: overall) }
    require(
      overall.count == valid, "column \(k) counted \(overall.count) of \(valid) valid records")
    checkPredictionTally(overall, fuzzCase, weighted: fuzzCase.evaluator.layout.weight != nil)
    if let groups = tally.groups {
      require(tally.predictions[k].count == 0, "a grouped tally with ungrouped records")
      for g in 0..<groups.count {
        let groupTally = groups.tally(group: g, column: k)
        require(groupTally.count >= 1, "an empty group")
        checkPredictionTally(
          groupTally, fuzzCase, weighted: fuzzCase.evaluator.layout.weight != nil)
      }
    }
  }
}

/// The bins of a column hold every record once, in the bin of its probability.
func checkBins(_ bins: CalibrationBins, column k: Int, overall: PredictionTally) {
  var all = CalibrationBins.Bin()
  for i in 0..<bins.binCount {
    let bin = bins.bin(column: k, i)
    all.count += bin.count
    all.weightSum.merge(bin.weightSum)
    all.labelSum.merge(bin.labelSum)
    all.predictionSum.merge(bin.predictionSum)
    let weight = bin.weightSum.value
    if weight > 0 && weight.isFinite {
      let mean = bin.predictionSum.value / weight
      let (lower, upper) = bins.edges(i)
      // Each term w·ŷ is a rounded product, and where it is subnormal its error is absolute,
      // up to half the least subnormal: tiny weights may move the mean out of its bin by that
      // much over the weight (found by the fuzzer: `found-subnormal-weight-bin-mean`).
      let slack = Double(bin.count) * Double.leastNonzeroMagnitude / weight
      require(
        mean >= lower * (1 - 1e-9) - slack && mean <= upper * (1 + 1e-9) + slack,
        "bin \(i) of \(bins.binCount) [\(lower), \(upper)] has mean prediction \(mean) "
          + "(weight \(weight), \(bin.count) records)")
    }
  }
  require(
    all.count == overall.count, "the bins of column \(k) hold \(all.count) of \(overall.count)")
  require(
    all.weightSum == overall.weightSum && all.labelSum == overall.labelSum
      && all.predictionSum == overall.predictionSum,
    "the bins of column \(k) do not add up to its sums")
}

/// A "the record has N fields, but column A is field 4, B is field 5" message with each
/// listed column once, and without `omitting` (any other message as it is).
func missingColumnsOnce(_ message: String, omitting: String? = nil) -> String {
  let marker = ", but column "
  guard message.hasPrefix("the record has "), let range = message.firstRange(of: marker) else {
    return message
  }
  var seen: Set<Substring> = omitting.map { [Substring($0)] } ?? []
  let columns = message[range.upperBound...].split(
    separator: ", ", omittingEmptySubsequences: false
  ).filter { seen.insert($0).inserted }
  return message[..<range.upperBound] + columns.joined(separator: ", ")
}

func checkPredictionTally(_ tally: PredictionTally, _ fuzzCase: RecordCase, weighted: Bool) {
  require(
    tally.clipped >= 0 && tally.clipped <= tally.count, "clipped \(tally.clipped) of \(tally.count)"
  )
  if fuzzCase.clipsNever {
    require(tally.clipped == 0, "clipped \(tally.clipped) without clipping")
  }
  for (name, sum) in [
    ("weight", tally.weightSum), ("loss", tally.lossSum), ("label", tally.labelSum),
    ("prediction", tally.predictionSum),
  ] {
    require(sum.nans == 0 && sum.negativeInfinities == 0, "the \(name) sum has NaN or −∞ terms")
    if name != "loss" { require(sum.positiveInfinities == 0, "the \(name) sum has +∞ terms") }
  }
  let weightSum = tally.weightSum.value
  let lossSum = tally.lossSum.value
  let labelSum = tally.labelSum.value
  let predictionSum = tally.predictionSum.value
  require(weightSum >= 0, "Σw = \(weightSum)")
  if !weighted {
    require(
      weightSum == Double(tally.count), "Σw = \(weightSum) for \(tally.count) records of weight 1")
  }
  require(lossSum >= 0, "Σw·L = \(lossSum)")
  require(labelSum >= 0 && labelSum <= weightSum, "Σw·y = \(labelSum), Σw = \(weightSum)")
  require(
    predictionSum >= 0 && predictionSum <= weightSum, "Σw·ŷ = \(predictionSum), Σw = \(weightSum)")
  // Each term w·L rounds to at most w·worst·(1 + 2⁻⁵³); subnormal terms add at most half
  // of the smallest subnormal each.
  if fuzzCase.worstLoss.isFinite {
    let bound = fuzzCase.worstLoss * weightSum + Double(tally.count) * 1e-300
    require(lossSum <= bound, "Σw·L = \(lossSum) > worst loss × Σw = \(bound)")
  }

  // Weights near the top of the double range can sum to +∞, and a mean is then ∞/∞ or Σ/∞:
  // the pipeline rejects such a run (Evaluation.checkWeights, after bug
  // metrics-nan-on-weight-overflow), so only finite sums of weights must give numbers.
  if weightSum.isInfinite { return }
  let metrics = Metrics(tally)
  for (name, value) in [
    ("loss_mean", metrics.lossMean), ("label_mean", metrics.labelMean),
    ("pred_mean", metrics.predictionMean), ("normalized_entropy", metrics.normalizedEntropy),
    ("calibration", metrics.calibration),
  ] {
    if let value { require(!value.isNaN, "\(name) is NaN (Σw = \(weightSum), Σw·L = \(lossSum))") }
  }
  for (name, value) in [("label_mean", metrics.labelMean), ("pred_mean", metrics.predictionMean)] {
    if let value { require(value >= 0 && value <= 1, "\(name) = \(value)") }
  }
}

// MARK: The split law

/// What the reducer makes of a sequence of chunk results.
struct Reduced {
  var tally: Tally
  var lines = 0
  var issues: [RecordIssue] = []
  var failure: RecordIssue? = nil
}

func checkSplitLaw(_ whole: ChunkResult, _ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer) {
  let evaluator = fuzzCase.evaluator
  var reduced = Reduced(tally: evaluator.emptyTally())
  var workers = [evaluator.emptyTally(), evaluator.emptyTally()]
  // Cut as ChunkProducer does: fill a chunk; if the input goes on, keep what ends at the last
  // record end and carry the rest over; with no record end, grow the chunk.
  var position = 0
  let n = chunk.count
  var pieces = 0
  while position < n && reduced.failure == nil {
    var capacity = fuzzCase.chunkSize
    var end = n
    while n - position >= capacity {
      let window = exactCopy(
        UnsafeRawBufferPointer(rebasing: chunk[position..<(position + capacity)]))
      defer { window.deallocate() }
      if let recordEnd = evaluator.format.lastRecordEnd(in: UnsafeRawBufferPointer(window)) {
        require(
          recordEnd > 0 && recordEnd <= capacity && window[recordEnd - 1] == 0x0A,
          "lastRecordEnd \(recordEnd) of \(capacity)")
        end = position + recordEnd
        break
      }
      capacity *= 2
    }
    let bytes = UnsafeRawBufferPointer(rebasing: chunk[position..<end])
    let piece: ChunkSummary
    if fuzzCase.workerTallies {
      // Two workers, each adding its chunks into one tally of its own.
      let copy = exactCopy(bytes)
      defer { copy.deallocate() }
      piece = evaluator.evaluate(UnsafeRawBufferPointer(copy), into: &workers[pieces % 2])
    } else {
      let result = evaluate(evaluator, bytes)
      piece = result.summary
      if !piece.failed { reduced.tally.merge(result.tally) }
    }
    pieces += 1
    for issue in piece.issues {
      let shifted = RecordIssue(
        lineOffset: reduced.lines + issue.lineOffset, message: issue.message)
      if piece.failed {
        reduced.failure = shifted
        break
      }
      if reduced.issues.count < RecordRules.describedIssueLimit { reduced.issues.append(shifted) }
    }
    if reduced.failure == nil { reduced.lines += piece.lines }
    position = end
  }
  if fuzzCase.workerTallies {
    reduced.tally.merge(workers[0])
    reduced.tally.merge(workers[1])
  }
  require(
    whole.failed == (reduced.failure != nil),
    "whole failed: \(whole.failed), in \(pieces) chunks: \(reduced.failure.map(\.message) ?? "no failure")"
  )
  if let failure = reduced.failure {
    require(
      whole.issues[0] == failure, "whole failed at \(whole.issues[0]), in chunks at \(failure)")
  } else {
    require(
      whole.tally == reduced.tally,
      "the tally of \(pieces) chunks of ≤ \(fuzzCase.chunkSize) bytes differs from the whole's")
    require(whole.lines == reduced.lines, "lines: whole \(whole.lines), chunks \(reduced.lines)")
    require(
      whole.issues == reduced.issues, "issues: whole \(whole.issues), chunks \(reduced.issues)")
  }
}

// MARK: skipInvalid, group-by and the fast path

func checkFastPathLaw(
  _ whole: ChunkResult, _ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer
) {
  let evaluator = fuzzCase.evaluator
  guard case .csv = evaluator.format, evaluator.fastPlan != nil else { return }
  let general = RecordEvaluator(
    format: evaluator.format, layout: evaluator.layout, rules: evaluator.rules, fastPath: false)
  let other = evaluate(general, chunk)
  require(whole.tally == other.tally, "the fast path's tally differs from the general path's")
  require(whole.lines == other.lines, "lines: fast path \(whole.lines), general \(other.lines)")
  require(
    whole.issues == other.issues, "issues: fast path \(whole.issues), general \(other.issues)")
  require(whole.failed == other.failed, "the fast path and the general path disagree on failing")
}

func checkSkipInvalidLaw(
  _ whole: ChunkResult, _ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer
) {
  let other = evaluate(fuzzCase.flipped, chunk)
  let (skipping, stopping) = fuzzCase.evaluator.rules.skipInvalid ? (whole, other) : (other, whole)
  if stopping.failed {
    require(skipping.tally.skipped >= 1, "skipInvalid skipped nothing where the other run failed")
    require(
      skipping.issues.first == stopping.issues[0],
      "first skipped \(String(describing: skipping.issues.first)), failure \(stopping.issues[0])")
  } else {
    require(
      skipping.tally.skipped == 0 && skipping.issues.isEmpty,
      "skipInvalid skipped records the other run accepted")
    require(
      skipping.tally == stopping.tally && skipping.lines == stopping.lines,
      "skipInvalid changed the tally of valid records")
  }
}

func checkGroupLaw(_ whole: ChunkResult, _ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer) {
  guard let ungroupedEvaluator = fuzzCase.ungrouped else { return }
  let plain = evaluate(ungroupedEvaluator, chunk)
  // A short record's message lists the missing columns, the group-by column among them:
  // compare the other columns, each once (a column in two roles is checked in
  // checkWellFormed).
  func columnsOnce(_ issues: [RecordIssue]) -> [RecordIssue] {
    issues.map {
      RecordIssue(
        lineOffset: $0.lineOffset,
        message: missingColumnsOnce($0.message, omitting: fuzzCase.groupColumnItem))
    }
  }
  require(
    plain.failed == whole.failed && columnsOnce(plain.issues) == columnsOnce(whole.issues)
      && plain.lines == whole.lines,
    "group-by changed which records are valid: \(plain.issues) vs \(whole.issues)")
  require(
    plain.tally.records == whole.tally.records && plain.tally.skipped == whole.tally.skipped,
    "group-by changed the record counts")
  for k in 0..<plain.tally.predictions.count {
    require(
      whole.tally.overall(column: k) == plain.tally.predictions[k],
      "the groups of column \(k) do not add up to the ungrouped tally")
  }
}

// MARK: CSV record boundaries

func checkCSVBoundaries(_ fuzzCase: RecordCase, _ chunk: UnsafeRawBufferPointer, delimiter: UInt8) {
  let n = chunk.count
  let copy = exactCopy(chunk)
  defer { copy.deallocate() }
  let buffer = UnsafeRawBufferPointer(copy)
  let k = n * fuzzCase.prefixFraction / 255
  let prefix = UnsafeRawBufferPointer(rebasing: buffer[..<k])

  // lastRecordEnd: one past a `\n`, idempotent, monotone.
  let last = CSVScanner.lastRecordEnd(in: buffer, delimiter: delimiter)
  if let last {
    require(
      last > 0 && last <= n && buffer[last - 1] == 0x0A,
      "lastRecordEnd \(last) is not after a line end")
    let again = CSVScanner.lastRecordEnd(
      in: UnsafeRawBufferPointer(rebasing: buffer[..<last]), delimiter: delimiter)
    require(
      again == last, "lastRecordEnd of its own prefix: \(String(describing: again)), not \(last)")
  }
  let prefixLast = CSVScanner.lastRecordEnd(in: prefix, delimiter: delimiter)
  if let prefixLast {
    require(
      last != nil && prefixLast <= last!,
      "lastRecordEnd of a prefix \(prefixLast) after the whole's \(String(describing: last))")
  }
  require(
    CSVScanner.lastRecordEnd(in: UnsafeRawBufferPointer(start: nil, count: 0), delimiter: delimiter)
      == nil, "a record end in nothing")

  // firstRecord: the whole at its end, and a prefix of it still being read.
  let bytes = buffer.assumingMemoryBound(to: UInt8.self)
  let first = CSVScanner.firstRecord(in: bytes, from: 0, delimiter: delimiter, atEnd: true)
  let prefixBytes = UnsafeBufferPointer(rebasing: bytes[..<k])
  let early = CSVScanner.firstRecord(in: prefixBytes, from: 0, delimiter: delimiter, atEnd: false)
  switch early {
  case .found: require(early == first, "firstRecord of a prefix \(early), of the whole \(first)")
  case .none: require(false, "firstRecord gave .none before the end")
  case .incomplete: break
  }
  switch first {
  case .incomplete:
    require(false, "firstRecord is incomplete at the end")
  case .none:
    require(
      buffer.allSatisfy { $0 == 0x0A || $0 == 0x0D }, "no first record in a chunk with content")
    let result = evaluate(fuzzCase.evaluator, buffer)
    require(
      result.tally.records == 0 && !result.failed, "records in a chunk without a first record")
  case .found(let start, let contentEnd, let end, let lines):
    require(
      0 <= start && start <= contentEnd && contentEnd <= end && end <= n,
      "firstRecord \(first) in \(n) bytes")
    require(
      lines == newlines(UnsafeRawBufferPointer(rebasing: buffer[..<end])),
      "firstRecord counts \(lines) lines before \(end)")
    // A record ends at its `\n` or, at the end of the input only, without one (perhaps inside
    // an unclosed quote).
    if end < n {
      require(contentEnd == end - 1 && buffer[end - 1] == 0x0A, "firstRecord \(first): no line end")
    } else {
      require(
        contentEnd == end || (contentEnd == end - 1 && buffer[end - 1] == 0x0A),
        "firstRecord \(first): content end")
    }
    // The header the pipeline reads is the evaluator's first record, and nothing more.
    var skipping = fuzzCase.evaluator.rules
    skipping.skipInvalid = true
    let counting = RecordEvaluator(
      format: fuzzCase.evaluator.format, layout: fuzzCase.evaluator.layout, rules: skipping)
    let header = evaluate(counting, UnsafeRawBufferPointer(rebasing: buffer[..<end]))
    require(
      header.tally.records == 1,
      "the first record \(start)..<\(end) is \(header.tally.records) records to the evaluator")
    require(
      header.lines == lines, "the first record: \(header.lines) lines, firstRecord says \(lines)")
    let fields = CSVScanner.fields(
      of: UnsafeRawBufferPointer(rebasing: buffer[start..<contentEnd]), delimiter: delimiter)
    let delimiters = buffer[start..<contentEnd].reduce(0) { $0 + ($1 == delimiter ? 1 : 0) }
    require(
      fields.count >= 1 && fields.count <= delimiters + 1,
      "\(fields.count) header fields with \(delimiters) delimiters")
  }
}

// MARK: Numbers

/// Checks `DecimalParser` against `strtod` on every token of the chunk (bytes between
/// separators) and on the whole chunk when it is short; returns the numbers it accepted.
func checkNumbers(_ chunk: UnsafeRawBufferPointer, _ fuzzCase: RecordCase) -> [Double] {
  var numbers: [Double] = []
  // Not spaces or tabs: the parser accepts them around a number.
  var separators = Set<UInt8>(Array("\n\r,:{}[]\"".utf8))
  if case .csv(let delimiter) = fuzzCase.evaluator.format { separators.insert(delimiter) }
  var start = 0
  for i in 0...chunk.count {
    if i == chunk.count || separators.contains(chunk[i]) {
      if i > start, let x = checkDecimal(UnsafeRawBufferPointer(rebasing: chunk[start..<i])) {
        numbers.append(x)
      }
      start = i + 1
    }
  }
  if chunk.count <= 400 {
    _ = checkDecimal(chunk)
    // Text that reads as an exact sum (partial states) reads back from its own text form.
    if let sum = ExactSum(exactText: String(decoding: chunk, as: UTF8.self)) {
      require(
        ExactSum(exactText: sum.exactText) == sum, "exactText \(sum.exactText) does not read back")
    }
  }
  return numbers
}

/// `DecimalParser.parse` of `text` (in an exact-size copy), checked against `strtod`.
func checkDecimal(_ text: UnsafeRawBufferPointer) -> Double? {
  guard !text.isEmpty else { return nil }
  let copy = exactCopy(text)
  defer { copy.deallocate() }
  let bytes = copy.assumingMemoryBound(to: UInt8.self)
  guard let value = DecimalParser.parse(bytes.baseAddress!, count: bytes.count) else { return nil }
  // strtod sees the number without the spaces and tabs the parser allows around it.
  var from = 0
  var to = bytes.count
  while from < to && (bytes[from] == 0x20 || bytes[from] == 0x09) { from += 1 }
  while to > from && (bytes[to - 1] == 0x20 || bytes[to - 1] == 0x09) { to -= 1 }
  let text = String(decoding: bytes[from..<to], as: UTF8.self)
  let expected: Double = text.withCString { cString in
    var end: UnsafeMutablePointer<CChar>? = nil
    let result = strtod(cString, &end)
    require(
      end! - UnsafeMutablePointer(mutating: cString) == to - from,
      "strtod does not read all of \(text.debugDescription), which the parser accepted as \(value)")
    return result
  }
  if value.isNaN {
    require(expected.isNaN, "\(text.debugDescription): parser NaN, strtod \(expected)")
  } else {
    require(
      value.bitPattern == expected.bitPattern,
      "\(text.debugDescription): parser \(value) (\(String(value.bitPattern, radix: 16))), strtod \(expected) (\(String(expected.bitPattern, radix: 16)))"
    )
  }
  return value
}

// MARK: Exact sums

/// Checks `ExactSum` on the chunk's bytes read as doubles, plus the parsed numbers.
func checkExactSum(_ chunk: UnsafeRawBufferPointer, _ numbers: [Double], doublings: Int) {
  var terms = numbers
  var i = 0
  while i + 8 <= chunk.count && terms.count < 256 {
    terms.append(Double(bitPattern: chunk.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
    i += 8
  }
  var sum = ExactSum()
  var wide = WideSum()
  for x in terms {
    sum.add(x)
    wide.add(x)
  }
  // Merged from single terms in reverse order, in a tree.
  var parts = terms.reversed().map { x -> ExactSum in
    var s = ExactSum()
    s.add(x)
    return s
  }
  while parts.count > 1 {
    var next: [ExactSum] = []
    for j in stride(from: 0, to: parts.count, by: 2) {
      var s = parts[j]
      if j + 1 < parts.count { s.merge(parts[j + 1]) }
      next.append(s)
    }
    parts = next
  }
  let merged = parts.first ?? ExactSum()
  require(sum == merged, "ExactSum depends on the order of \(terms.count) terms")
  require(sum.wideValue == wide, "ExactSum's digits differ from WideSum's")
  require(
    sum.nans == wide.nans && sum.positiveInfinities == wide.positiveInfinities
      && sum.negativeInfinities == wide.negativeInfinities, "non-finite counts")
  let value = sum.value
  let wideValue = wide.value
  require(
    value.bitPattern == wideValue.bitPattern || (value.isNaN && wideValue.isNaN),
    "ExactSum \(value), WideSum \(wideValue)")
  require(
    merged.value.bitPattern == value.bitPattern || value.isNaN,
    "merged value \(merged.value), added \(value)")
  if terms.allSatisfy(\.isFinite), let reference = FsumReference.sum(terms) {
    require(
      value == reference,
      "ExactSum \(value) (\(String(value.bitPattern, radix: 16))), fsum \(reference) (\(String(reference.bitPattern, radix: 16))) of \(terms)"
    )
  }

  // The lossless text form of partial states reads back to the same sum.
  let text = sum.exactText
  require(ExactSum(exactText: text) == sum, "exactText \(text) does not read back")

  // Doubling by merging with itself grows the top limbs (spills from the window). A sum
  // holds up to 2⁶³ terms (and as many infinities): double at most that far.
  let doublings = min(doublings, 62 - (Int.bitWidth - terms.count.leadingZeroBitCount))
  var doubled = sum
  var doubledWide = wide
  for _ in 0..<max(doublings, 0) {
    doubled.merge(doubled)
    doubledWide.merge(doubledWide)
  }
  require(
    ExactSum(exactText: doubled.exactText) == doubled,
    "exactText \(doubled.exactText) does not read back")
  require(
    doubled.wideValue == doubledWide, "ExactSum doubled \(doublings) times differs from WideSum")
  let doubledValue = doubled.value
  require(
    doubledValue.bitPattern == doubledWide.value.bitPattern || doubledValue.isNaN,
    "doubled: ExactSum \(doubledValue), WideSum \(doubledWide.value)")
  if value.isFinite && abs(value) >= Double.leastNormalMagnitude {
    let scaled = value * Double(sign: .plus, exponent: max(doublings, 0), significand: 1)
    if scaled.isFinite && abs(scaled) < Double.greatestFiniteMagnitude / 2 {
      require(
        doubledValue == scaled,
        "2^\(max(doublings, 0)) × \(value) = \(scaled), ExactSum says \(doubledValue)")
    }
  }
}
