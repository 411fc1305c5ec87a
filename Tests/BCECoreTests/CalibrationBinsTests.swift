import Testing

@testable import BCECore

@Suite struct CalibrationBinsTests {
  @Test func binIndexIsTheFloorOfTheScaledProbability() {
    let bins = CalibrationBins(binCount: 10, predictionColumns: 1)
    #expect(bins.index(of: 0) == 0)
    #expect(bins.index(of: 0.0999) == 0)
    #expect(bins.index(of: 0.1) == 1)
    #expect(bins.index(of: 0.55) == 5)
    #expect(bins.index(of: 0.9999999) == 9)
    #expect(bins.index(of: 1) == 9)  // the last bin is closed
    #expect(bins.edges(0) == (0, 0.1))
    #expect(bins.edges(9) == (0.9, 1))
  }

  @Test func weightedSumsMergeExactly() {
    var a = CalibrationBins(binCount: 3, predictionColumns: 2)
    var b = CalibrationBins(binCount: 3, predictionColumns: 2)
    var whole = CalibrationBins(binCount: 3, predictionColumns: 2)
    let records: [(Double, Double, Double)] = [
      (1, 1, 0.9), (2, 0, 0.1), (0, 1, 0.5), (0.5, 1, 0.6),
    ]
    for (i, (w, y, p)) in records.enumerated() {
      for column in 0..<2 {
        whole.add(column: column, weight: w, label: y, probability: p)
        if i < 2 {
          a.add(column: column, weight: w, label: y, probability: p)
        } else {
          b.add(column: column, weight: w, label: y, probability: p)
        }
      }
    }
    a.merge(b)
    #expect(a == whole)
    let middle = BinMetrics(whole, column: 1, bin: 1)
    #expect(middle.count == 2)  // the weight-0 record is counted
    #expect(middle.weightSum == 0.5)
    #expect(middle.predictionMean == 0.6)
    #expect(middle.labelMean == 1)
    let empty = BinMetrics(CalibrationBins(binCount: 2, predictionColumns: 1), column: 0, bin: 0)
    #expect(empty.predictionMean == nil && empty.labelMean == nil)
  }
}
