/// Equal-width bins of the predicted probability, per prediction column: the data of a
/// reliability diagram, with exact sums.
///
/// Bin `i` of `n` holds the records with ⌊ŷ·n⌋ = i (computed in double precision; ŷ = 1
/// goes to the last bin), ŷ being the probability before clipping (σ(s) for logits).
public struct CalibrationBins: Sendable, Equatable {
  /// The sums of one bin.
  public struct Bin: Sendable, Equatable {
    public var count = 0
    public var weightSum = ExactSum()
    public var labelSum = ExactSum()
    public var predictionSum = ExactSum()

    public init() {}

    mutating func merge(_ other: Bin) {
      count += other.count
      weightSum.merge(other.weightSum)
      labelSum.merge(other.labelSum)
      predictionSum.merge(other.predictionSum)
    }
  }

  public let binCount: Int
  public let predictionColumns: Int
  /// Column `k`, bin `i` is `bins[k · binCount + i]`.
  private var bins: [Bin]

  public init(binCount: Int, predictionColumns: Int) {
    precondition(binCount >= 1, "at least one bin")
    self.binCount = binCount
    self.predictionColumns = predictionColumns
    bins = Array(repeating: Bin(), count: binCount * predictionColumns)
  }

  /// The bin of probability `probability` (in [0, 1]).
  public func index(of probability: Double) -> Int {
    min(Int((probability * Double(binCount)).rounded(.down)), binCount - 1)
  }

  /// Adds one record to its bin of column `column`. A weight-0 record is only counted.
  mutating func add(column: Int, weight: Double, label: Double, probability: Double) {
    let i = column * binCount + index(of: probability)
    bins[i].count += 1
    if weight == 0 { return }
    bins[i].weightSum.add(weight)
    bins[i].labelSum.add(weight * label)
    bins[i].predictionSum.add(weight * probability)
  }

  /// Bin `bin` of column `column`.
  public func bin(column: Int, _ bin: Int) -> Bin { bins[column * binCount + bin] }

  /// The lower and upper edges of bin `bin`: i/n and (i+1)/n.
  public func edges(_ bin: Int) -> (lower: Double, upper: Double) {
    (Double(bin) / Double(binCount), Double(bin + 1) / Double(binCount))
  }

  /// Adds the sums `bin` to bin `index` of column `column`.
  public mutating func merge(column: Int, bin index: Int, _ bin: Bin) {
    bins[column * binCount + index].merge(bin)
  }

  /// Adds every record of another set of bins of the same shape.
  public mutating func merge(_ other: CalibrationBins) {
    precondition(binCount == other.binCount && predictionColumns == other.predictionColumns)
    for i in bins.indices { bins[i].merge(other.bins[i]) }
  }
}
