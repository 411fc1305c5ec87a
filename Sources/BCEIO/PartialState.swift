import BCECore
import Foundation

/// Everything a run has counted, as a lossless, versioned JSON document (SPEC §7): written by
/// `--state-out`, combined by `bce merge`.
///
/// Format `bce-state`, version 1, one JSON object on one line:
///
///     {"format": "bce-state", "version": 1,
///      "math": {"clip": "sklearn", "eps": null, "labels": null,
///               "label": {"name": "label"}, "predictions": [{"name": "score"}],
///               "weight": null, "group": {"index": 2}, "bins": 10},
///      "inputs": ["a.csv.gz"], "records": 4, "skipped": 0,
///      "bytes_read": 56, "bytes_decompressed": 36,
///      "overall": [TALLY, ...], "groups": [{"key": "ctr_v1", "tallies": [TALLY, ...]}, ...],
///      "bins": [[BIN, ...], ...]}
///
/// - `math` holds every option that shapes the numbers: `clip` is `sklearn`, `spark`,
///   `keras`, `torch`, `none`, `eps` (with `eps` the ε as a decimal string) or `logits`;
///   `labels` is `null` or the two tokens `[NEG, POS]`; columns as the user selected them
///   (`{"name": ...}` or a 1-based `{"index": ...}`); `bins` is 0 without bins.
/// - `overall` has one TALLY per prediction column for the records not in a group (all of
///   them without a group-by column); `groups` one entry per group, its key as a string
///   (`key`), or base64 (`key_base64`) when it is not UTF-8; `bins` is `null` or one list
///   of BINs per prediction column.
/// - TALLY is `{"count": N, "clipped": N, "weight_sum": S, "loss_sum": S, "label_sum": S,
///   "pred_sum": S}` and BIN `{"count": N, "weight_sum": S, "label_sum": S, "pred_sum": S}`,
///   where each S is an exact sum as ``ExactSum/exactText`` writes it (a string such as
///   `"0x1a3p-12"`).
///
/// Every double is a string, never a JSON number, so that no JSON reader can round it.
public struct PartialState: Sendable {
  public static let formatName = "bce-state"
  public static let version = 1
  /// Bounds a state must respect: no run counts more records (9·10¹⁵), and `--bins` allows
  /// no more bins. They keep every count far from overflow, however many states are merged.
  static let maximumRecords = 1 << 53
  static let maximumBins = 10_000

  /// The options that shape the math; states merge only when theirs are equal.
  public var math: MathOptions
  public var inputs: [String]
  public var bytesRead: Int
  public var bytesDecompressed: Int
  public var tally: Tally

  public init(
    math: MathOptions, inputs: [String], bytesRead: Int, bytesDecompressed: Int, tally: Tally
  ) {
    self.math = math
    self.inputs = inputs
    self.bytesRead = bytesRead
    self.bytesDecompressed = bytesDecompressed
    self.tally = tally
  }

  /// The state of a finished evaluation.
  public init(outcome: EvaluationOutcome, options: EvaluationOptions) {
    self.init(
      math: MathOptions(options), inputs: outcome.report.inputs,
      bytesRead: outcome.report.bytesRead, bytesDecompressed: outcome.report.bytesDecompressed,
      tally: outcome.tally)
  }

  /// The report a single run over every input would have printed.
  public var report: Report {
    Report(
      tally: tally, predictionNames: math.predictions.map(Evaluation.reportName), inputs: inputs,
      bytesRead: bytesRead, bytesDecompressed: bytesDecompressed)
  }

  /// Adds another state's inputs and sums.
  ///
  /// - Parameters:
  ///   - names: the two states' names, for the error.
  /// - Throws: a usage error naming the first option in which the two states differ.
  public mutating func merge(_ other: PartialState, names: (String, String)) throws(BCEError) {
    if let difference = math.difference(from: other.math) {
      throw BCEError(
        .usage, place: names.1,
        "cannot merge with \(names.0): the states differ in \(difference)")
    }
    guard tally.records + other.tally.records <= PartialState.maximumRecords else {
      throw BCEError(
        .data, place: names.1, "cannot merge with \(names.0): more than 2⁵³ records in all")
    }
    inputs += other.inputs
    // Byte counts are at most 2⁵³ each; saturate rather than trap on absurd totals.
    bytesRead =
      bytesRead.addingReportingOverflow(other.bytesRead).overflow
      ? .max : bytesRead + other.bytesRead
    bytesDecompressed =
      bytesDecompressed.addingReportingOverflow(other.bytesDecompressed).overflow
      ? .max : bytesDecompressed + other.bytesDecompressed
    tally.merge(other.tally)
  }

  // MARK: Encoding

  /// The document, on one line, with a line feed at the end.
  public func encoded() -> String {
    var out = "{\"format\": \"\(PartialState.formatName)\", \"version\": \(PartialState.version)"
    out += ", \"math\": " + math.json
    out += ", \"inputs\": [" + inputs.map(JSONText.quoted).joined(separator: ", ") + "]"
    out += ", \"records\": \(tally.records), \"skipped\": \(tally.skipped)"
    out += ", \"bytes_read\": \(bytesRead), \"bytes_decompressed\": \(bytesDecompressed)"
    out += ", \"overall\": [" + tally.predictions.map(encode).joined(separator: ", ") + "]"
    out += ", \"groups\": "
    if let groups = tally.groups {
      out += "["
      for g in 0..<groups.count {
        if g > 0 { out += ", " }
        let key = groups.key(g)
        if let text = String(validating: key, as: UTF8.self) {
          out += "{\"key\": " + JSONText.quoted(text)
        } else {
          out += "{\"key_base64\": \"" + Data(key).base64EncodedString() + "\""
        }
        let tallies = (0..<groups.predictionColumns).map { groups.tally(group: g, column: $0) }
        out += ", \"tallies\": [" + tallies.map(encode).joined(separator: ", ") + "]}"
      }
      out += "]"
    } else {
      out += "null"
    }
    out += ", \"bins\": "
    if let bins = tally.bins {
      let columns = (0..<bins.predictionColumns).map { k in
        "[" + (0..<bins.binCount).map { encode(bins.bin(column: k, $0)) }.joined(separator: ", ")
          + "]"
      }
      out += "[" + columns.joined(separator: ", ") + "]"
    } else {
      out += "null"
    }
    return out + "}\n"
  }

  private func encode(_ tally: PredictionTally) -> String {
    "{\"count\": \(tally.count), \"clipped\": \(tally.clipped)"
      + ", \"weight_sum\": \"\(tally.weightSum.exactText)\""
      + ", \"loss_sum\": \"\(tally.lossSum.exactText)\""
      + ", \"label_sum\": \"\(tally.labelSum.exactText)\""
      + ", \"pred_sum\": \"\(tally.predictionSum.exactText)\"}"
  }

  private func encode(_ bin: CalibrationBins.Bin) -> String {
    "{\"count\": \(bin.count), \"weight_sum\": \"\(bin.weightSum.exactText)\""
      + ", \"label_sum\": \"\(bin.labelSum.exactText)\""
      + ", \"pred_sum\": \"\(bin.predictionSum.exactText)\"}"
  }

  // MARK: Decoding

  /// Reads a state document.
  ///
  /// - Parameter name: the state's name in messages (a path, or `-:N` for line N of stdin).
  /// - Throws: a data error naming the state when it is not a complete state of this version.
  public static func decode(_ text: some StringProtocol, name: String) throws(BCEError)
    -> PartialState
  {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    } catch {
      throw BCEError(
        .data, place: name, "not a bce state: the JSON is malformed or truncated")
    }
    var reader = StateReader(name: name)
    return try reader.state(object)
  }
}

/// The options that shape the numbers of a run, as a state records them.
public struct MathOptions: Sendable, Equatable {
  /// `sklearn`, `spark`, `keras`, `torch`, `none`, `eps` or `logits`.
  public var clip: String
  public var eps: Double?
  public var labels: (negative: [UInt8], positive: [UInt8])?
  public var label: ColumnSelector
  public var predictions: [ColumnSelector]
  public var weight: ColumnSelector?
  public var group: ColumnSelector?
  public var bins: Int

  public init(_ options: EvaluationOptions) {
    switch options.rules.formula.clipping {
    case nil: clip = "logits"
    case .preset(let preset): clip = preset.rawValue
    case .epsilon(let e):
      clip = "eps"
      eps = e
    }
    if case .tokens(let negative, let positive) = options.rules.labels {
      labels = (negative, positive)
    }
    label = options.columns.label
    predictions = options.columns.predictions
    weight = options.columns.weight
    group = options.columns.group
    bins = options.rules.binCount
  }

  init(
    clip: String, eps: Double?, labels: (negative: [UInt8], positive: [UInt8])?,
    label: ColumnSelector, predictions: [ColumnSelector], weight: ColumnSelector?,
    group: ColumnSelector?, bins: Int
  ) {
    self.clip = clip
    self.eps = eps
    self.labels = labels
    self.label = label
    self.predictions = predictions
    self.weight = weight
    self.group = group
    self.bins = bins
  }

  public static func == (a: MathOptions, b: MathOptions) -> Bool { a.difference(from: b) == nil }

  /// The first option in which `other` differs, described with both values; `nil` if none.
  func difference(from other: MathOptions) -> String? {
    func show(_ labels: (negative: [UInt8], positive: [UInt8])?) -> String {
      guard let labels else { return "(numeric)" }
      return String(decoding: labels.negative, as: UTF8.self) + ","
        + String(decoding: labels.positive, as: UTF8.self)
    }
    func show(_ selector: ColumnSelector?) -> String { selector?.description ?? "(none)" }
    let pairs: [(String, String, String)] = [
      ("--clip", clip, other.clip),
      ("--eps", eps.map { "\($0)" } ?? "(none)", other.eps.map { "\($0)" } ?? "(none)"),
      ("--labels", show(labels), show(other.labels)),
      ("--label", show(label), show(other.label)),
      (
        "--pred", predictions.map(\.description).joined(separator: " "),
        other.predictions.map(\.description).joined(separator: " ")
      ),
      ("--weight", show(weight), show(other.weight)),
      ("--group-by", show(group), show(other.group)),
      ("--bins", String(bins), String(other.bins)),
    ]
    for (option, mine, theirs) in pairs where mine != theirs {
      return "\(option): \(mine) and \(theirs)"
    }
    return nil
  }

  var json: String {
    func selector(_ selector: ColumnSelector?) -> String {
      switch selector {
      case nil: return "null"
      case .name(let name)?: return "{\"name\": " + JSONText.quoted(name) + "}"
      case .index(let index)?: return "{\"index\": \(index)}"
      }
    }
    var out = "{\"clip\": \"\(clip)\", \"eps\": "
    out += eps.map { "\"\($0)\"" } ?? "null"
    out += ", \"labels\": "
    if let labels {
      out += "[" + JSONText.quoted(String(decoding: labels.negative, as: UTF8.self))
      out += ", " + JSONText.quoted(String(decoding: labels.positive, as: UTF8.self)) + "]"
    } else {
      out += "null"
    }
    out += ", \"label\": " + selector(label)
    out += ", \"predictions\": [" + predictions.map(selector).joined(separator: ", ") + "]"
    out += ", \"weight\": " + selector(weight) + ", \"group\": " + selector(group)
    return out + ", \"bins\": \(bins)}"
  }
}

/// Reads the parts of a decoded state object, with errors that say which part is wrong.
private struct StateReader {
  let name: String

  func fail(_ what: String) -> BCEError {
    BCEError(.data, place: name, "not a valid bce state: \(what)")
  }

  func object(_ value: Any?, _ what: String) throws(BCEError) -> [String: Any] {
    guard let object = value as? [String: Any] else { throw fail("\(what) is not an object") }
    return object
  }

  func array(_ value: Any?, _ what: String) throws(BCEError) -> [Any] {
    guard let array = value as? [Any] else { throw fail("\(what) is not a list") }
    return array
  }

  func integer(_ value: Any?, _ what: String) throws(BCEError) -> Int {
    // JSONSerialization gives numbers and booleans as NSNumber; a boolean's type is "c".
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
      let int = Int(exactly: number), int >= 0, int <= PartialState.maximumRecords
    else { throw fail("\(what) is not a whole number in [0, 2⁵³]") }
    return int
  }

  func string(_ value: Any?, _ what: String) throws(BCEError) -> String {
    guard let string = value as? String else { throw fail("\(what) is not a string") }
    return string
  }

  func sum(_ value: Any?, _ what: String) throws(BCEError) -> ExactSum {
    guard let text = value as? String, let sum = ExactSum(exactText: text) else {
      throw fail("\(what) is not an exact sum")
    }
    return sum
  }

  func selector(_ value: Any?, _ what: String) throws(BCEError) -> ColumnSelector? {
    guard let value else { throw fail("\(what) is missing") }
    if value is NSNull { return nil }
    let object = try object(value, what)
    if let name = object["name"] as? String { return .name(name) }
    if object["index"] != nil {
      let index = try integer(object["index"], what)
      if index >= 1 { return .index(index) }
    }
    throw fail("\(what) is not a column")
  }

  /// Checks that the counts add up: every column counts each valid record once, overall or
  /// in one group, and once in its bins; clipped records are counted records.
  func checkCounts(_ tally: Tally) throws(BCEError) {
    let valid = tally.records - tally.skipped
    for k in tally.predictions.indices {
      var counted = tally.predictions[k].count
      if let groups = tally.groups {
        // Each count is at most 2⁵³ (checked when read) and the sum stops as soon as it
        // passes the valid records, so it stays below 2⁵⁴.
        for g in 0..<groups.count where counted <= valid {
          counted += groups.tally(group: g, column: k).count
        }
      }
      guard counted == valid else {
        throw fail("the counts of prediction column \(k + 1) do not add up to the records")
      }
      if let bins = tally.bins {
        let binned = (0..<bins.binCount).reduce(0) { $0 + bins.bin(column: k, $1).count }
        guard binned == valid else {
          throw fail("the bins of prediction column \(k + 1) do not add up to the records")
        }
      }
    }
  }

  func tally(_ value: Any?, _ what: String) throws(BCEError) -> PredictionTally {
    let object = try object(value, what)
    var tally = PredictionTally()
    tally.count = try integer(object["count"], "\(what) count")
    tally.clipped = try integer(object["clipped"], "\(what) clipped")
    tally.weightSum = try sum(object["weight_sum"], "\(what) weight_sum")
    tally.lossSum = try sum(object["loss_sum"], "\(what) loss_sum")
    tally.labelSum = try sum(object["label_sum"], "\(what) label_sum")
    tally.predictionSum = try sum(object["pred_sum"], "\(what) pred_sum")
    guard tally.clipped <= tally.count else { throw fail("\(what) clipped is above count") }
    return tally
  }

  mutating func state(_ value: Any) throws(BCEError) -> PartialState {
    let root = try object(value, "the document")
    guard root["format"] as? String == PartialState.formatName else {
      throw fail("its format is not \"\(PartialState.formatName)\"")
    }
    let version = try integer(root["version"], "version")
    guard version == PartialState.version else {
      throw BCEError(
        .data, place: name,
        "bce state version \(version) is not supported; this bce reads version "
          + "\(PartialState.version) (merge states made by the same bce version)")
    }
    let mathObject = try object(root["math"], "math")
    let clip = try string(mathObject["clip"], "math.clip")
    var eps: Double? = nil
    if clip == "eps" {
      let text = try string(mathObject["eps"], "math.eps")
      guard
        let value = text.utf8.withContiguousStorageIfAvailable({ bytes in
          DecimalParser.parse(bytes.baseAddress!, count: bytes.count)
        }) ?? nil, value >= 0, value < 0.5
      else { throw fail("math.eps is not a number in [0, 0.5)") }
      eps = value
    } else if !["sklearn", "spark", "keras", "torch", "none", "logits"].contains(clip) {
      throw fail("math.clip \"\(clip)\" is unknown")
    }
    var labels: (negative: [UInt8], positive: [UInt8])? = nil
    if !(mathObject["labels"] is NSNull) {
      let tokens = try array(mathObject["labels"], "math.labels")
      guard tokens.count == 2 else { throw fail("math.labels is not two tokens") }
      labels = (
        Array(try string(tokens[0], "math.labels").utf8),
        Array(try string(tokens[1], "math.labels").utf8)
      )
    }
    guard let label = try selector(mathObject["label"], "math.label") else {
      throw fail("math.label is missing")
    }
    var predictions: [ColumnSelector] = []
    for item in try array(mathObject["predictions"], "math.predictions") {
      guard let selector = try selector(item, "math.predictions") else {
        throw fail("math.predictions holds a null")
      }
      predictions.append(selector)
    }
    guard !predictions.isEmpty else { throw fail("math.predictions is empty") }
    let math = MathOptions(
      clip: clip, eps: eps, labels: labels, label: label, predictions: predictions,
      weight: try selector(mathObject["weight"], "math.weight"),
      group: try selector(mathObject["group"], "math.group"),
      bins: try integer(mathObject["bins"], "math.bins"))
    guard math.bins <= PartialState.maximumBins else {
      throw fail("math.bins is above \(PartialState.maximumBins)")
    }

    var inputs: [String] = []
    for item in try array(root["inputs"], "inputs") { inputs.append(try string(item, "inputs")) }
    let columns = predictions.count
    var tally = Tally(
      predictionColumns: columns, grouped: math.group != nil, binCount: math.bins)
    tally.records = try integer(root["records"], "records")
    tally.skipped = try integer(root["skipped"], "skipped")
    guard tally.records <= PartialState.maximumRecords, tally.skipped <= tally.records else {
      throw fail("records or skipped out of range")
    }
    let overall = try array(root["overall"], "overall")
    guard overall.count == columns else { throw fail("overall has \(overall.count) tallies") }
    for k in 0..<columns { tally.predictions[k] = try self.tally(overall[k], "overall[\(k)]") }

    if math.group != nil {
      for (g, item) in try array(root["groups"], "groups").enumerated() {
        let group = try object(item, "groups[\(g)]")
        let key: [UInt8]
        if let text = group["key"] as? String {
          key = Array(text.utf8)
        } else if let encoded = group["key_base64"] as? String,
          let data = Data(base64Encoded: encoded)
        {
          key = Array(data)
        } else {
          throw fail("groups[\(g)] has no key")
        }
        let items = try array(group["tallies"], "groups[\(g)].tallies")
        guard items.count == columns else { throw fail("groups[\(g)] has \(items.count) tallies") }
        var tallies: [PredictionTally] = []
        for (k, item) in items.enumerated() {
          tallies.append(try self.tally(item, "groups[\(g)].tallies[\(k)]"))
        }
        tally.groups!.merge(key: key, tallies: tallies)
      }
    } else if !(root["groups"] is NSNull) {
      throw fail("groups without a group-by column")
    }

    if math.bins > 0 {
      let columnsOfBins = try array(root["bins"], "bins")
      guard columnsOfBins.count == columns else {
        throw fail("bins has \(columnsOfBins.count) columns")
      }
      for (k, column) in columnsOfBins.enumerated() {
        let items = try array(column, "bins[\(k)]")
        guard items.count == math.bins else { throw fail("bins[\(k)] has \(items.count) bins") }
        for (i, item) in items.enumerated() {
          let what = "bins[\(k)][\(i)]"
          let object = try object(item, what)
          var bin = CalibrationBins.Bin()
          bin.count = try integer(object["count"], "\(what) count")
          bin.weightSum = try sum(object["weight_sum"], "\(what) weight_sum")
          bin.labelSum = try sum(object["label_sum"], "\(what) label_sum")
          bin.predictionSum = try sum(object["pred_sum"], "\(what) pred_sum")
          tally.bins!.merge(column: k, bin: i, bin)
        }
      }
    } else if !(root["bins"] is NSNull) {
      throw fail("bins without math.bins")
    }
    try checkCounts(tally)
    return PartialState(
      math: math, inputs: inputs, bytesRead: try integer(root["bytes_read"], "bytes_read"),
      bytesDecompressed: try integer(root["bytes_decompressed"], "bytes_decompressed"),
      tally: tally)
  }
}
