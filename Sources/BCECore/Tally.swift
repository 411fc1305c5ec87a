/// Everything a run has counted and summed: one ``PredictionTally`` per prediction column,
/// per group when there is a group-by column, and the record counts.
///
/// A chunk of input fills its own `Tally`; the reducer merges them in input order. Merging
/// is exact, so the merged tally does not depend on how the input was split.
public struct Tally: Sendable, Equatable {
  /// Data records read, skipped ones included (not the header, not blank lines).
  public var records = 0
  /// Invalid records skipped under `--skip-invalid`.
  public var skipped = 0
  /// One tally per prediction column, in the order the columns were given, of the records
  /// not counted in a group (with a group-by column: none; see ``overall(column:)``).
  public var predictions: [PredictionTally]
  /// The tallies per group, when there is a group-by column.
  public var groups: GroupTallies?
  /// Calibration bins of every record, per prediction column, when asked for.
  public var bins: CalibrationBins?

  /// An empty tally for `predictionColumns` prediction columns, with groups if `grouped`,
  /// and `binCount` calibration bins per column (none for 0).
  public init(predictionColumns: Int, grouped: Bool = false, binCount: Int = 0) {
    predictions = Array(repeating: PredictionTally(), count: predictionColumns)
    groups = grouped ? GroupTallies(predictionColumns: predictionColumns) : nil
    bins =
      binCount > 0
      ? CalibrationBins(binCount: binCount, predictionColumns: predictionColumns) : nil
  }

  /// The tally of every record for prediction column `column`: the ungrouped records and
  /// every group, merged exactly.
  ///
  /// - Complexity: O(groups).
  public func overall(column: Int) -> PredictionTally {
    var total = predictions[column]
    if let groups {
      for g in 0..<groups.count { total.merge(groups.tally(group: g, column: column)) }
    }
    return total
  }

  /// Adds every record of another tally over the same prediction columns.
  public mutating func merge(_ other: Tally) {
    precondition(predictions.count == other.predictions.count, "tallies of different shapes")
    precondition((groups == nil) == (other.groups == nil), "grouped and ungrouped tallies")
    precondition(bins?.binCount == other.bins?.binCount, "tallies with different bins")
    records += other.records
    skipped += other.skipped
    for i in predictions.indices { predictions[i].merge(other.predictions[i]) }
    if let otherGroups = other.groups { groups!.merge(otherGroups) }
    if let otherBins = other.bins { bins!.merge(otherBins) }
  }
}
