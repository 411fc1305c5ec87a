import BCECore

/// A record format (SPEC §2).
public enum InputFormat: String, CaseIterable, Sendable {
  case csv, tsv, jsonl

  /// The format a file name implies (SPEC §2): its extension after stripping `.gz` —
  /// `.csv`; `.tsv` or `.tab`; `.jsonl` or `.ndjson` — and CSV for anything else. Only
  /// `.gz` is stripped: `x.tsv.bgz` is CSV unless `--format` says otherwise.
  public static func inferred(fromName name: String) -> InputFormat {
    var lowered = name.lowercased()
    if lowered.hasSuffix(".gz") { lowered.removeLast(3) }
    if lowered.hasSuffix(".tsv") || lowered.hasSuffix(".tab") { return .tsv }
    if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") { return .jsonl }
    return .csv
  }
}

/// Everything that shapes an evaluation.
public struct EvaluationOptions: Sendable {
  /// The record format of every input, or `nil` to infer it from each input's name.
  public var format: InputFormat? = nil
  /// A field separator that replaces the format's own (`,` or tab).
  public var delimiter: UInt8? = nil
  /// Whether the first record of each CSV/TSV input is a header.
  public var hasHeader = true
  public var columns = ColumnSelection()
  public var rules = RecordRules(formula: LossFormula(clipping: .preset(.sklearn)))
  /// Records are evaluated on this many threads, and up to this many inputs are read at once,
  /// each on a reader thread of its own.
  public var threads = 1
  /// The gzip decoder (results are bit-identical with either).
  public var inflate = InflateBackend.zlib
  /// Bytes per chunk (a record longer than this grows its chunk).
  public var chunkSize = EvaluationOptions.defaultChunkSize
  /// Whether plain (not gzip) regular files are mapped into memory and evaluated in place
  /// rather than read into buffers; results are the same either way.
  public var mapFiles = true

  public static let defaultChunkSize = 1 << 20

  /// The field separator for CSV or TSV input of `format`.
  func delimiter(_ format: InputFormat) -> UInt8 {
    delimiter ?? (format == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ","))
  }

  public init() {}
}
