/// The exact running sums for one prediction column (overall, or of one group).
///
/// Every floating sum is exact, so tallies merge exactly: merging the tallies of any split
/// of the records gives the tally of all of them, bit for bit.
///
/// Records of weight 1 (every record when there is no weight column) add their weight and
/// hard labels as integer counts, which is both exact and cheaper than two more exact-sum
/// adds; ``weightSum`` and ``labelSum`` fold the counts back in.
public struct PredictionTally: Sendable {
  /// Records used, weight-0 records included.
  public var count = 0
  /// Records whose prediction the clipping rule changed.
  public var clipped = 0
  /// Σ w·L.
  public var lossSum = ExactSum()
  /// Σ w·ŷ, with ŷ the prediction before clipping (σ(s) for logits).
  public var predictionSum = ExactSum()
  /// Σ w over records of weight ≠ 1.
  private var otherWeights = ExactSum()
  /// Σ w·y over records of weight ≠ 1, and over soft labels of weight 1.
  private var otherLabels = ExactSum()
  /// Records of weight 1, and those of them with label 1.
  private var unitWeights = 0
  private var unitPositives = 0

  /// An empty tally.
  public init() {}

  /// Σ w.
  public var weightSum: ExactSum {
    get {
      var sum = otherWeights
      sum.add(Double(unitWeights))  // exact: a count is far below 2⁵³
      return sum
    }
    set {
      otherWeights = newValue
      unitWeights = 0
    }
  }

  /// Σ w·y.
  public var labelSum: ExactSum {
    get {
      var sum = otherLabels
      sum.add(Double(unitPositives))
      return sum
    }
    set {
      otherLabels = newValue
      unitPositives = 0
    }
  }

  /// Adds one record's terms. A record of weight 0 is only counted (never 0·∞).
  mutating func add(weight: Double, label: Double, probability: Double, loss: Double) {
    if weight == 1 {
      addUnitWeight(label: label, probability: probability, loss: loss)
      return
    }
    count &+= 1
    if weight == 0 { return }
    otherWeights.add(weight)
    lossSum.add(weight * loss)
    otherLabels.add(weight * label)
    predictionSum.add(weight * probability)
  }

  /// ``add(weight:label:probability:loss:)`` for a record of weight 1.
  @inline(__always)
  mutating func addUnitWeight(label: Double, probability: Double, loss: Double) {
    addUnitWeightRecord(label: label)
    lossSum.add(loss)
    predictionSum.add(probability)
  }

  /// Counts a record of weight 1 and adds its label, but not its loss and probability
  /// (which the caller adds to ``lossSum`` and ``predictionSum``).
  @inline(__always)
  mutating func addUnitWeightRecord(label: Double) {
    count &+= 1
    unitWeights &+= 1
    // 0 exactly for the labels 0 and 1 (1 − label is exact near 1): one compare, nearly
    // always true, then the count without a branch, where `label == 1` would branch on a
    // coin flip.
    if label * (1 - label) == 0 {
      unitPositives &+= label == 1 ? 1 : 0
    } else {
      otherLabels.add(label)
    }
  }

  /// Adds the records that the CSV fast path summed, all of weight 1.
  mutating func addUnitWeighted(_ sums: UnitWeightedSums) {
    count &+= sums.records
    clipped &+= sums.clipped
    unitWeights &+= sums.records
    unitPositives &+= sums.positives
    otherLabels.merge(sums.softLabels)
    lossSum.merge(sums.loss)
    predictionSum.merge(sums.probability)
  }

  /// Adds every record of another tally.
  ///
  /// - Complexity: O(1) in the number of records (a few exact-sum merges).
  public mutating func merge(_ other: PredictionTally) {
    count += other.count
    clipped += other.clipped
    unitWeights += other.unitWeights
    unitPositives += other.unitPositives
    otherWeights.merge(other.otherWeights)
    lossSum.merge(other.lossSum)
    otherLabels.merge(other.otherLabels)
    predictionSum.merge(other.predictionSum)
  }
}

extension PredictionTally: Equatable {
  /// Equal counts and equal exact sums, however the sums are split between counts and
  /// exact accumulators.
  public static func == (a: PredictionTally, b: PredictionTally) -> Bool {
    a.count == b.count && a.clipped == b.clipped && a.lossSum == b.lossSum
      && a.predictionSum == b.predictionSum && a.weightSum == b.weightSum
      && a.labelSum == b.labelSum
  }
}
