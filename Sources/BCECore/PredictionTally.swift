/// The exact running sums for one prediction column (and, later, one group).
///
/// Every floating sum is an ``ExactSum``, so tallies merge exactly: merging the tallies of
/// any split of the records gives the tally of all of them, bit for bit.
public struct PredictionTally: Sendable, Equatable {
  /// Records used, weight-0 records included.
  public var count = 0
  /// Records whose prediction the clipping rule changed.
  public var clipped = 0
  /// Σ w.
  public var weightSum = ExactSum()
  /// Σ w·L.
  public var lossSum = ExactSum()
  /// Σ w·y.
  public var labelSum = ExactSum()
  /// Σ w·ŷ, with ŷ the prediction before clipping (σ(s) for logits).
  public var predictionSum = ExactSum()

  /// An empty tally.
  public init() {}

  /// Adds one record's terms. A record of weight 0 is only counted (never 0·∞).
  mutating func add(weight: Double, label: Double, probability: Double, loss: Double) {
    count &+= 1
    if weight == 0 { return }
    weightSum.add(weight)
    lossSum.add(weight * loss)
    labelSum.add(weight * label)
    predictionSum.add(weight * probability)
  }

  /// Adds every record of another tally.
  ///
  /// - Complexity: O(1) in the number of records (a few exact-sum merges).
  public mutating func merge(_ other: PredictionTally) {
    count += other.count
    clipped += other.clipped
    weightSum.merge(other.weightSum)
    lossSum.merge(other.lossSum)
    labelSum.merge(other.labelSum)
    predictionSum.merge(other.predictionSum)
  }
}
