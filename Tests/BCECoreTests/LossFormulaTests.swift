import BCETestSupport
import Testing

@testable import BCECore

#if canImport(Glibc)
  import Glibc
#endif

// MARK: Helpers

/// How many doubles lie between `a` and `b` (0 for equal values, ±0 included); `UInt64.max`
/// when either is NaN.
func ulpDistance(_ a: Double, _ b: Double) -> UInt64 {
  if a.isNaN || b.isNaN { return .max }
  // Map the doubles onto the integers in order: negative values below the positive ones.
  func ordinal(_ x: Double) -> Int64 {
    let magnitude = Int64(bitPattern: x.bitPattern & 0x7FFF_FFFF_FFFF_FFFF)
    return x.sign == .minus ? -magnitude : magnitude
  }
  let (p, q) = (ordinal(a), ordinal(b))
  return p > q ? UInt64(bitPattern: p &- q) : UInt64(bitPattern: q &- p)
}

private func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern }

private let sklearn = LossFormula(clipping: .preset(.sklearn))
private let spark = LossFormula(clipping: .preset(.spark))
private let keras = LossFormula(clipping: .preset(.keras))
private let torch = LossFormula(clipping: .preset(.torch))
private let noClipping = LossFormula(clipping: .preset(.none))
private let logits = LossFormula.logits

/// The tally of records given as columns, filled the way ``RecordEvaluator`` fills it.
private func tally(
  _ formula: LossFormula, labels: [Double], predictions: [Double], weights: [Double]? = nil
) -> PredictionTally {
  precondition(labels.count == predictions.count)
  var tally = PredictionTally()
  for i in labels.indices {
    let prediction = predictions[i]
    #expect(formula.accepts(prediction: prediction))
    tally.add(
      weight: weights?[i] ?? 1, label: labels[i],
      probability: formula.probability(prediction: prediction),
      loss: formula.loss(label: labels[i], prediction: prediction))
    if formula.clips(prediction: prediction) { tally.clipped += 1 }
  }
  return tally
}

private func metrics(
  _ formula: LossFormula, labels: [Double], predictions: [Double], weights: [Double]? = nil
) -> Metrics {
  Metrics(tally(formula, labels: labels, predictions: predictions, weights: weights))
}

private func losses(_ formula: LossFormula, labels: [Double], predictions: [Double]) -> [Double] {
  zip(labels, predictions).map { formula.loss(label: $0, prediction: $1) }
}

/// Expects `actual` within `ulps` of `expected` (the VECTORS.md tolerance is 1 ulp).
private func expectClose(
  _ actual: Double?, _ expected: Double, ulps: UInt64 = 1, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let actual else {
    Issue.record("\(what): nil, expected \(expected)", sourceLocation: sourceLocation)
    return
  }
  #expect(
    ulpDistance(actual, expected) <= ulps, "\(what): \(actual) vs \(expected)",
    sourceLocation: sourceLocation)
}

// MARK: Tests

@Suite struct UlpDistanceTests {
  @Test func countsDoublesBetween() {
    #expect(ulpDistance(1, 1) == 0)
    #expect(ulpDistance(0.0, -0.0) == 0)
    #expect(ulpDistance(1, 1.0.nextUp) == 1)
    #expect(ulpDistance(1.0.nextDown, 1.0.nextUp) == 2)
    #expect(ulpDistance(-.leastNonzeroMagnitude, .leastNonzeroMagnitude) == 2)
    #expect(ulpDistance(.greatestFiniteMagnitude, .infinity) == 1)
    #expect(ulpDistance(-.infinity, .infinity) == UInt64(0x7FF0_0000_0000_0000) * 2)
    #expect(ulpDistance(.nan, 1) == .max)
  }
}

/// The reference vectors of VECTORS.md.
@Suite struct ReferenceVectorTests {
  @Test func tv1() {
    let m = metrics(sklearn, labels: [0, 1, 1, 0], predictions: [0.1, 0.9, 0.8, 0.35])
    expectClose(m.lossMean, 0.21616187468057912, "loss_mean")
    expectClose(m.lossSum, 0.8646474987223165, "loss_sum")
    #expect(m.count == 4)
    #expect(m.weightSum == 4)
    #expect(m.clipped == 0)
  }

  @Test func tv2() {
    // The clip's cost; glibc's value for y=1, p=1 is given exactly.
    let l = losses(sklearn, labels: [0, 1], predictions: [0, 1])
    expectClose(l[0], 2.220446049250313e-16, "y=0, p=0")
    #expect(sameBits(l[1], 2.2204460492503136e-16), "y=1, p=1: \(l[1])")
    #expect(metrics(sklearn, labels: [0, 1], predictions: [0, 1]).clipped == 2)
  }

  @Test func tv2t() {
    let l = losses(torch, labels: [0, 1], predictions: [0, 1])
    // Value equality: y=1, p=1 gives −0.0 (−log 1), which no sum can tell from +0.
    #expect(l == [0, 0])
    #expect(l.allSatisfy { $0.isZero })
  }

  @Test func tv3() {
    for (y, p) in [(1.0, 0.0), (0.0, 1.0)] {
      let loss = sklearn.loss(label: y, prediction: p)
      expectClose(loss, 36.043653389117154, "y=\(y), p=\(p)")
      expectClose(loss, 52 * M_LN2, "−ln 2⁻⁵²")
    }
  }

  @Test func tv3t() {
    #expect(losses(torch, labels: [1, 0], predictions: [0, 1]) == [100, 100])
  }

  @Test func tv3s() {
    for loss in losses(spark, labels: [1, 0], predictions: [0, 1]) {
      expectClose(loss, 34.538776394910684, "spark")
    }
  }

  @Test func tv4() {
    expectClose(torch.loss(label: 1, prediction: 1e-20), 46.051701859880914, "torch, p=1e-20")
    #expect(!torch.clips(prediction: 1e-20))
  }

  @Test func tv4b() {
    let p = 0.99999999989999999
    #expect(1 - p == 1.000000082740371e-10)
    expectClose(sklearn.loss(label: 0, prediction: p), 23.02585084720009, "y=0, p≈1−1e-10")
    #expect(!sklearn.clips(prediction: p))
  }

  @Test func tv5() {
    let x: [Double] = [1000, -1000, 1000, -1000]
    let y: [Double] = [0, 1, 1, 0]
    #expect(losses(logits, labels: y, predictions: x) == [1000, 1000, 0, 0])
    let m = metrics(logits, labels: y, predictions: x)
    #expect(m.lossMean.map { sameBits($0, 500) } == true)
    #expect(m.clipped == 0)
  }

  @Test func tv5b() {
    let x: [Double] = [-3.5, 0, 2.25, 40, -40]
    let y: [Double] = [1, 0, 1, 0, 1]
    let expected = [3.5297504182726205, 0.69314718055994529, 0.10020655891674721, 40, 40]
    for (loss, want) in zip(losses(logits, labels: y, predictions: x), expected) {
      expectClose(loss, want, "logit loss")
    }
    let l = losses(logits, labels: y, predictions: x)
    #expect(sameBits(l[3], 40) && sameBits(l[4], 40))
    expectClose(metrics(logits, labels: y, predictions: x).lossMean, 16.864620831549864, "mean")
  }

  @Test func tv5c() {
    expectClose(logits.loss(label: 0, prediction: 30), 30.000000000000092, "x=30, y=0")
    // Through σ(30) the loss would be 30.001020555434774: logits stay in logit space.
    let throughProbability = noClipping.loss(
      label: 0, prediction: logits.probability(prediction: 30))
    #expect(ulpDistance(throughProbability, 30.000000000000092) > 1000)
  }

  @Test func tv5d() {
    expectClose(logits.loss(label: 1, prediction: 30), 9.3576229688397368e-14, "x=30, y=1")
  }

  @Test func tv6() {
    let y = [0.3, 0.7, 0.5, 1, 0]
    let p = [0.6, 0.6, 0.5, 0.9, 0.2]
    let expected = [
      0.7946511994417057, 0.63246515619844001, 0.69314718055994529, 0.10536051565782628,
      0.22314355131420976,
    ]
    for (loss, want) in zip(losses(sklearn, labels: y, predictions: p), expected) {
      expectClose(loss, want, "soft label loss")
    }
    expectClose(metrics(sklearn, labels: y, predictions: p).lossMean, 0.4897535206344254, "mean")
  }

  @Test func tv7() {
    let m = metrics(
      sklearn, labels: [0, 1, 1, 0], predictions: [0.1, 0.9, 0.8, 0.35], weights: [1, 2, 0.5, 3])
    expectClose(m.lossMean, 0.26461570321660716, "loss_mean")
    expectClose(m.lossSum, 1.7200020709079464, "loss_sum")
    #expect(m.weightSum == 6.5)
    #expect(m.count == 4)
    // PyTorch's weighted mean divides by N instead: not what bce reports.
    #expect(m.lossMean != 0.43000051772698666)
  }

  @Test func tv10() {
    let m = metrics(sklearn, labels: [0, 1, 1, 0], predictions: [0.1, 0.9, 0.8, 0.35])
    expectClose(m.normalizedEntropy, 0.31185566463093306, "normalized_entropy")
    #expect(m.labelMean == 0.5)
    #expect(m.calibration == 1.075)
    expectClose(m.predictionMean, 0.5375, "pred_mean")
  }

  @Test func tv10w() {
    let m = metrics(
      sklearn, labels: [0, 1, 1, 0], predictions: [0.1, 0.9, 0.8, 0.35], weights: [1, 2, 0.5, 3])
    expectClose(m.normalizedEntropy, 0.39715483253158679, "normalized_entropy")
    #expect(m.labelMean == 0.38461538461538464)
    // SPEC §4: Σwŷ / Σwy from the rounded sums, fl(3.35) / 2.5 = 1.34; VECTORS.md prints
    // 1.3400000000000001, one ulp above.
    expectClose(m.calibration, 1.3400000000000001, "calibration")
    #expect(m.calibration == 3.35 / 2.5)
  }

  /// SPEC §3's table of the worst per-record loss of each preset (y=1, p=0).
  @Test func worstLossPerPreset() {
    expectClose(sklearn.loss(label: 1, prediction: 0), 36.04365338911715, "sklearn")
    expectClose(spark.loss(label: 1, prediction: 0), 34.53877639491068, "spark")
    expectClose(keras.loss(label: 1, prediction: 0), 16.11809565095832, "keras")
    #expect(torch.loss(label: 1, prediction: 0) == 100)
    #expect(noClipping.loss(label: 1, prediction: 0) == .infinity)
  }
}

@Suite struct LossFormulaTests {
  @Test func hardLabelsUseOneLogarithm() {
    for p in [1e-300, 0.1, 0.5, 0.75, 1 - 0x1p-40] {
      #expect(sameBits(noClipping.loss(label: 1, prediction: p), -log(p)))
      #expect(sameBits(noClipping.loss(label: 0, prediction: p), -log1p(-p)))
    }
  }

  @Test func sklearnCountsPredictionsOutsideEpsilonRange() {
    let e = Double.ulpOfOne
    let outside = [0, e / 2, e.nextDown, (1 - e).nextUp, 1]
    let inside = [e, 0.5, 1 - e, 1e-10]
    for p in outside { #expect(sklearn.clips(prediction: p), "\(p)") }
    for p in inside { #expect(!sklearn.clips(prediction: p), "\(p)") }
    // Whatever the label.
    let ps = outside + inside
    for y in [0.0, 0.5, 1.0] {
      let m = metrics(sklearn, labels: Array(repeating: y, count: ps.count), predictions: ps)
      #expect(m.clipped == outside.count)
    }
    // Clipped predictions cost what the clipped value costs; pred_mean uses ŷ unclipped.
    #expect(sklearn.loss(label: 1, prediction: e / 2) == sklearn.loss(label: 1, prediction: e))
    let m = metrics(sklearn, labels: [1, 1], predictions: [0, 1])
    #expect(m.predictionMean == 0.5)
  }

  @Test func kerasCountsPredictionsOutsideItsRange() {
    let e = 1e-7
    for p in [0, e.nextDown, (1 - e).nextUp, 1] { #expect(keras.clips(prediction: p), "\(p)") }
    for p in [e, 0.5, 1 - e] { #expect(!keras.clips(prediction: p), "\(p)") }
  }

  @Test func sparkCountsPredictionsOutsideItsRange() {
    let e = 1e-15
    for p in [0, e.nextDown, (1 - e).nextUp, 1] { #expect(spark.clips(prediction: p), "\(p)") }
    for p in [e, 0.5, (1 - e).nextDown, 1e-10] { #expect(!spark.clips(prediction: p), "\(p)") }
    // Each label term's probability is clipped: y=0, ŷ=0 costs −ln(1 − 1e-15).
    #expect(sameBits(spark.loss(label: 0, prediction: 0), -log(1 - e)))
    #expect(sameBits(spark.loss(label: 1, prediction: 1), -log(1 - e)))
    // Inside the range, ln(1−ŷ) is log1p(−ŷ).
    #expect(sameBits(spark.loss(label: 0, prediction: 0.25), -log1p(-0.25)))
    // At ŷ = fl(1 − 1e-15), the edge of the untouched range, 1 − ŷ = 9.99e-16 is below
    // 1e-15, so c(1 − ŷ) clips it (SPEC §3's formula) although ŷ is inside SPEC §3's range.
    // bce counts it as clipped, since clipping changed its loss.
    #expect(sameBits(spark.loss(label: 0, prediction: 1 - e), -log(e)))
    #expect(spark.clips(prediction: 1 - e))
  }

  @Test func torchCountsPredictionsWhoseLogarithmIsFloored() {
    let threshold = exp(-100.0)
    // ŷ = 1: ln(1 − ŷ) = −∞ is floored, so it is clipped whatever the label.
    for p in [0, 1e-44, threshold.nextDown, 1] { #expect(torch.clips(prediction: p), "\(p)") }
    for p in [threshold, 1e-20, 0.5, 1.0.nextDown] {
      #expect(!torch.clips(prediction: p), "\(p)")
    }
    // The floor: −ln ŷ never exceeds 100.
    #expect(torch.loss(label: 1, prediction: 1e-44) == 100)
    #expect(torch.loss(label: 0, prediction: 1) == 100)
    // Soft labels: each logarithm floored on its own.
    #expect(torch.loss(label: 0.5, prediction: 0) == 50)
    #expect(torch.loss(label: 0.25, prediction: 1) == 75)
    let m = metrics(torch, labels: [1, 0, 1], predictions: [1, 1, 0])
    #expect(m.clipped == 3)
  }

  @Test func customEpsilonClipsToItsRange() {
    let f = LossFormula(clipping: .epsilon(0.1))
    for p in [0, 0.05, 0.1.nextDown, 0.95, 1] { #expect(f.clips(prediction: p), "\(p)") }
    for p in [0.1, 0.5, 0.9] { #expect(!f.clips(prediction: p), "\(p)") }
    #expect(sameBits(f.loss(label: 1, prediction: 0), -log(0.1)))
    #expect(sameBits(f.loss(label: 0, prediction: 1), -log1p(-0.9)))
    // ε = 0 clips nothing, like `none`.
    let zero = LossFormula(clipping: .epsilon(0))
    for p in [0.0, 1e-300, 1] { #expect(!zero.clips(prediction: p)) }
  }

  @Test func noneAndLogitsNeverClip() {
    for p in [0, .leastNonzeroMagnitude, 1e-300, 0.5, 1.0.nextDown, 1] {
      #expect(!noClipping.clips(prediction: p), "\(p)")
    }
    for s in [-.infinity, -1e308, -1000, 0, 1000, 1e308, .infinity] {
      #expect(!logits.clips(prediction: s), "\(s)")
    }
    let m = metrics(logits, labels: [1, 0, 1, 0], predictions: [.infinity, -.infinity, 1e300, 0])
    #expect(m.clipped == 0)
  }

  @Test func noneGivesInfinityForConfidentMistakesAndNeverNaN() {
    #expect(noClipping.loss(label: 1, prediction: 0) == .infinity)
    #expect(noClipping.loss(label: 0, prediction: 1) == .infinity)
    #expect(noClipping.loss(label: 1, prediction: 1) == 0)
    #expect(noClipping.loss(label: 0, prediction: 0) == 0)
    for y in [0.5, 0.3, 1e-300, 1.0.nextDown] {
      for p in [0.0, 1.0] {
        let loss = noClipping.loss(label: y, prediction: p)
        #expect(loss == .infinity, "y=\(y), p=\(p): \(loss)")
      }
    }
    for y in [0.0, 0.5, 1.0] {
      for p in [0.0, 0x1p-1063, 0.5, 1.0] {
        for formula in [sklearn, spark, keras, torch, noClipping] {
          #expect(!formula.loss(label: y, prediction: p).isNaN, "\(formula) y=\(y) p=\(p)")
        }
      }
    }
    let m = metrics(noClipping, labels: [1, 0], predictions: [0, 0.5])
    #expect(m.lossSum == .infinity)
    #expect(m.lossMean == .infinity)
  }

  @Test func weightZeroRecordsAreCountedButAddNothing() {
    // Under `none` the record's loss is +∞; weight 0 must not make it 0·∞ = NaN.
    let m = metrics(
      noClipping, labels: [1, 0, 1], predictions: [0, 0.25, 0.5], weights: [0, 1, -0.0])
    #expect(m.count == 3)
    #expect(m.weightSum == 1)
    #expect(sameBits(m.lossSum, -log1p(-0.25)))
    #expect(m.labelMean == 0)
    #expect(m.predictionMean == 0.25)
    // Logits at ±∞ too.
    let l = tally(logits, labels: [0], predictions: [.infinity], weights: [0])
    #expect(l.count == 1)
    #expect(l.weightSum == ExactSum() && l.lossSum == ExactSum())
    #expect(l.labelSum == ExactSum() && l.predictionSum == ExactSum())
  }

  @Test func weightedTermsAreProducts() {
    let t = tally(sklearn, labels: [1, 0.5], predictions: [0.25, 0.75], weights: [3, 0.5])
    var loss = ExactSum()
    loss.add(3 * -log(0.25))
    loss.add(0.5 * -(0.5 * log(0.75) + 0.5 * log1p(-0.75)))
    #expect(t.lossSum == loss)
    #expect(t.labelSum.value == 3.25)
    #expect(t.predictionSum.value == 0.75 + 0.375)
    #expect(t.weightSum.value == 3.5)
  }

  @Test func infiniteLogitsTakeTheirLimits() {
    #expect(logits.loss(label: 1, prediction: .infinity) == 0)
    #expect(logits.loss(label: 0, prediction: .infinity) == .infinity)
    #expect(logits.loss(label: 0.5, prediction: .infinity) == .infinity)
    #expect(logits.loss(label: 0, prediction: -.infinity) == 0)
    #expect(logits.loss(label: 1, prediction: -.infinity) == .infinity)
    #expect(logits.loss(label: 0.5, prediction: -.infinity) == .infinity)
    let max = Double.greatestFiniteMagnitude
    for s in [-.infinity, -max, -1e300, -745, -30, 0, 30, 745, 1e300, max, .infinity] {
      for y in [0, 1e-300, 0.25, 0.5, 1.0.nextDown, 1] {
        let loss = logits.loss(label: y, prediction: s)
        #expect(!loss.isNaN && loss >= 0, "s=\(s), y=\(y): \(loss)")
      }
    }
    // The largest finite logits neither overflow nor lose the exact answer.
    #expect(logits.loss(label: 1, prediction: max) == 0)
    #expect(logits.loss(label: 0, prediction: max) == max)
    #expect(logits.loss(label: 0.5, prediction: max) == max / 2)
    #expect(logits.loss(label: 1, prediction: -max) == max)
    #expect(logits.loss(label: 0, prediction: -max) == 0)
  }

  @Test func logitsMirror() {
    // L(s, y) = L(−s, 1−y), exactly for y in {0, ½, 1}, where s·y and s·(1−y) are exact
    // (other soft labels round s·y and s − s·(1−y) differently).
    var rng = SplitMix64(seed: 11)
    for _ in 0..<500 {
      let s = Double.random(in: -50...50, using: &rng)
      let y = [0.0, 1.0, 0.5][Int(rng.next() % 3)]
      #expect(
        sameBits(logits.loss(label: y, prediction: s), logits.loss(label: 1 - y, prediction: -s)))
    }
  }

  @Test func acceptedPredictions() {
    let probabilities = [0, -0.0, .leastNonzeroMagnitude, 0.5, 1.0.nextDown, 1]
    let rejected = [
      -.leastNonzeroMagnitude, -1, 1.0.nextUp, 1.5, .infinity, -.infinity, .nan, -.nan,
      .signalingNaN,
    ]
    for formula in [sklearn, spark, keras, torch, noClipping, LossFormula(clipping: .epsilon(0.1))]
    {
      #expect(!formula.takesLogits)
      for p in probabilities { #expect(formula.accepts(prediction: p), "\(p)") }
      for p in rejected { #expect(!formula.accepts(prediction: p), "\(p)") }
    }
    #expect(logits.takesLogits)
    for s in probabilities + [-1, 1.5, -1e308, .greatestFiniteMagnitude, .infinity, -.infinity] {
      #expect(logits.accepts(prediction: s), "\(s)")
    }
    for s in [Double.nan, -.nan, .signalingNaN] { #expect(!logits.accepts(prediction: s)) }
  }

  @Test func probabilityIsThePredictionOrItsSigmoid() {
    for p in [0, 0.25, 1] {
      for formula in [sklearn, spark, keras, torch, noClipping] {
        #expect(sameBits(formula.probability(prediction: p), p))
      }
    }
    #expect(logits.probability(prediction: 0) == 0.5)
    #expect(logits.probability(prediction: .infinity) == 1)
    #expect(logits.probability(prediction: -.infinity) == 0)
    #expect(logits.probability(prediction: 1000) == 1)
    #expect(logits.probability(prediction: -1000) == 0)
    // σ(x) from 50-digit arithmetic.
    let reference: [(Double, Double)] = [
      (1, 0.7310585786300049), (-1, 0.2689414213699951), (2, 0.8807970779778824),
      (-2, 0.11920292202211756), (-40, 4.248354255291589e-18), (-700, 9.85967654375977e-305),
      (0.5, 0.6224593312018546),
    ]
    for (x, sigma) in reference {
      expectClose(logits.probability(prediction: x), sigma, "σ(\(x))")
    }
    // Always a probability, and monotone.
    var previous = 0.0
    for i in -800...800 {
      let p = logits.probability(prediction: Double(i) / 10)
      #expect(p >= previous && p <= 1)
      previous = p
    }
  }
}

@Suite struct MetricsTests {
  @Test func emptyTallyHasNoMeans() {
    let m = Metrics(PredictionTally())
    #expect(m.count == 0)
    #expect(m.weightSum == 0 && m.lossSum == 0)
    #expect(m.lossMean == nil && m.labelMean == nil && m.predictionMean == nil)
    #expect(m.normalizedEntropy == nil && m.calibration == nil)
  }

  @Test func weightSumZeroHasNoMeans() {
    let m = metrics(sklearn, labels: [1, 0, 0.5], predictions: [0.2, 0.4, 1], weights: [0, 0, 0])
    #expect(m.count == 3)
    #expect(sameBits(m.weightSum, 0) && sameBits(m.lossSum, 0))
    #expect(m.lossMean == nil && m.labelMean == nil && m.predictionMean == nil)
    #expect(m.normalizedEntropy == nil && m.calibration == nil)
    #expect(m.clipped == 1)
  }

  @Test func allNegativeLabelsHaveNoEntropyAndNoCalibration() {
    let m = metrics(sklearn, labels: [0, 0, 0], predictions: [0.1, 0.2, 0.3])
    #expect(m.labelMean == 0)
    #expect(m.normalizedEntropy == nil)
    #expect(m.calibration == nil)
    #expect(m.lossMean != nil && m.predictionMean != nil)
  }

  @Test func allPositiveLabelsHaveNoEntropyButACalibration() {
    let m = metrics(sklearn, labels: [1, 1], predictions: [0.5, 0.25])
    #expect(m.labelMean == 1)
    #expect(m.normalizedEntropy == nil)
    #expect(m.calibration == 0.375)
  }

  @Test func softLabelsDefineBothRatios() {
    let m = metrics(sklearn, labels: [0.5, 0.5], predictions: [0.5, 0.5])
    #expect(m.labelMean == 0.5)
    // Predicting the base rate everywhere: the normalized entropy is exactly 1.
    #expect(m.normalizedEntropy == 1)
    #expect(m.calibration == 1)
  }

  @Test func entropyOfTheBaseRate() {
    #expect(sameBits(Metrics.entropy(0.5), M_LN2))
    expectClose(Metrics.entropy(0.25), 0.5623351446188084, "H(0.25)")
    expectClose(Metrics.entropy(0.75), 0.5623351446188084, "H(0.75)")
  }

  @Test func infiniteLossGivesInfiniteMeans() {
    let m = metrics(noClipping, labels: [1, 0], predictions: [0, 0.5])
    #expect(m.lossMean == .infinity)
    #expect(m.normalizedEntropy == .infinity)
  }
}
