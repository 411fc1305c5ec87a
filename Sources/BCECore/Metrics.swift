#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The reported values of one prediction column (SPEC §4), computed from its exact sums.
///
/// Each sum is rounded once; the means and ratios are one IEEE division of rounded sums.
/// A value is `nil` (JSON `null`) where it is undefined: every mean when Σw is 0,
/// `normalizedEntropy` when the base rate is 0 or 1, `calibration` when Σ w·y is 0.
public struct Metrics: Sendable, Equatable {
  public let count: Int
  public let weightSum: Double
  public let lossSum: Double
  public let lossMean: Double?
  public let labelMean: Double?
  public let predictionMean: Double?
  public let normalizedEntropy: Double?
  public let calibration: Double?
  public let clipped: Int

  public init(_ tally: PredictionTally) {
    count = tally.count
    clipped = tally.clipped
    weightSum = tally.weightSum.value
    lossSum = tally.lossSum.value
    let labelSum = tally.labelSum.value
    let predictionSum = tally.predictionSum.value
    if weightSum > 0 {
      lossMean = lossSum / weightSum
      labelMean = labelSum / weightSum
      predictionMean = predictionSum / weightSum
    } else {
      lossMean = nil
      labelMean = nil
      predictionMean = nil
    }
    if let lossMean, let labelMean, labelMean > 0, labelMean < 1 {
      normalizedEntropy = lossMean / Metrics.entropy(labelMean)
    } else {
      normalizedEntropy = nil
    }
    calibration = labelSum != 0 ? predictionSum / labelSum : nil
  }

  /// H(q) = −q·ln q − (1−q)·ln(1−q), the loss of always predicting the base rate q.
  public static func entropy(_ q: Double) -> Double {
    -q * log(q) - (1 - q) * log1p(-q)
  }
}

/// The reported values of one calibration bin: its edges, count, and weighted means.
public struct BinMetrics: Sendable, Equatable {
  public let lower: Double
  public let upper: Double
  public let count: Int
  public let weightSum: Double
  /// Σ w·ŷ / Σ w over the bin; `nil` for a bin with no weight.
  public let predictionMean: Double?
  /// Σ w·y / Σ w over the bin: the observed positive rate; `nil` for a bin with no weight.
  public let labelMean: Double?

  public init(_ bins: CalibrationBins, column: Int, bin: Int) {
    let sums = bins.bin(column: column, bin)
    (lower, upper) = bins.edges(bin)
    count = sums.count
    weightSum = sums.weightSum.value
    predictionMean = weightSum > 0 ? sums.predictionSum.value / weightSum : nil
    labelMean = weightSum > 0 ? sums.labelSum.value / weightSum : nil
  }
}

/// One row of a report: the metrics of one prediction column (over one group, or overall).
public struct ResultRow: Sendable, Equatable {
  /// The prediction column as the user named it.
  public let prediction: String
  /// The group value, or `nil` for the overall result.
  public let group: String?
  public let metrics: Metrics
  /// The calibration bins of an overall row, when they were asked for.
  public let bins: [BinMetrics]?

  public init(prediction: String, group: String?, metrics: Metrics, bins: [BinMetrics]? = nil) {
    self.prediction = prediction
    self.group = group
    self.metrics = metrics
    self.bins = bins
  }
}

/// What a run reports (SPEC §4): the result rows and the run's counts.
public struct Report: Sendable, Equatable {
  /// The inputs, as named on the command line (`-` for standard input).
  public var inputs: [String]
  /// Data records read, skipped ones included.
  public var records: Int
  /// Invalid records skipped.
  public var skipped: Int
  /// Bytes read from the inputs (compressed bytes for gzip).
  public var bytesRead: Int
  /// Bytes of records after decompression.
  public var bytesDecompressed: Int
  /// For each prediction column in the order given, the overall row, then one row per group
  /// in ascending byte order of the group value.
  public var results: [ResultRow]

  /// The report of a finished tally.
  public init(
    tally: Tally, predictionNames: [String], inputs: [String], bytesRead: Int,
    bytesDecompressed: Int
  ) {
    precondition(predictionNames.count == tally.predictions.count, "one name per column")
    self.inputs = inputs
    records = tally.records
    skipped = tally.skipped
    self.bytesRead = bytesRead
    self.bytesDecompressed = bytesDecompressed
    let groupOrder = tally.groups?.sortedGroups() ?? []
    var rows: [ResultRow] = []
    for (k, name) in predictionNames.enumerated() {
      let bins = tally.bins.map { bins in
        (0..<bins.binCount).map { BinMetrics(bins, column: k, bin: $0) }
      }
      rows.append(
        ResultRow(
          prediction: name, group: nil, metrics: Metrics(tally.overall(column: k)), bins: bins))
      for g in groupOrder {
        let groups = tally.groups!
        rows.append(
          ResultRow(
            prediction: name, group: String(decoding: groups.key(g), as: UTF8.self),
            metrics: Metrics(groups.tally(group: g, column: k))))
      }
    }
    results = rows
  }
}
