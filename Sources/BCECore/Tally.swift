/// Everything a run has counted and summed: one ``PredictionTally`` per prediction column,
/// plus the record counts.
///
/// A chunk of input fills its own `Tally`; the reducer merges them in input order. Merging
/// is exact, so the merged tally does not depend on how the input was split.
public struct Tally: Sendable, Equatable {
  /// Data records read, skipped ones included (not the header, not blank lines).
  public var records = 0
  /// Invalid records skipped under `--skip-invalid`.
  public var skipped = 0
  /// One tally per prediction column, in the order the columns were given.
  public var predictions: [PredictionTally]

  /// An empty tally for `predictionColumns` prediction columns.
  public init(predictionColumns: Int) {
    predictions = Array(repeating: PredictionTally(), count: predictionColumns)
  }

  /// Adds every record of another tally over the same prediction columns.
  public mutating func merge(_ other: Tally) {
    precondition(predictions.count == other.predictions.count, "tallies of different shapes")
    records += other.records
    skipped += other.skipped
    for i in predictions.indices { predictions[i].merge(other.predictions[i]) }
  }
}
