import BCETestSupport
import Testing

@testable import BCECore

/// A double with biased exponent `biased`, significand bits `fraction` and the given sign.
private func double(biased: Int, fraction: UInt64, negative: Bool) -> Double {
  Double(
    bitPattern: (negative ? 1 << 63 : 0) | UInt64(biased) << 52 | (fraction & 0x000F_FFFF_FFFF_FFFF)
  )
}

/// The sum of `terms` through a ``FixedPointSum`` (flushed every `flushEvery` terms) and its
/// spill ``ExactSum``.
private func fixedPointTotal(_ terms: [Double], flushEvery: Int = .max) -> ExactSum {
  var sum = ExactSum()
  var fixed = FixedPointSum()
  for (i, term) in terms.enumerated() {
    fixed.add(term, spillingInto: &sum)
    if (i + 1) % flushEvery == 0 { fixed.flush(into: &sum) }
  }
  fixed.flush(into: &sum)
  return sum
}

private func directTotal(_ terms: [Double]) -> ExactSum {
  var sum = ExactSum()
  for term in terms { sum.add(term) }
  return sum
}

@Suite("FixedPointSum")
struct FixedPointSumTests {
  @Test("sums exactly what ExactSum sums, at and across the edges of its range, any sign")
  func agreesWithExactSum() {
    var rng = SplitMix64(seed: 41)
    // Biased exponents 966 (2⁻⁵⁷) to 1029 (below 2⁷) have buckets; the ones around them,
    // zeros, subnormals and the rest spill.
    let edges = [
      0, 1, 900, 964, 965, 966, 967, 1005, 1022, 1023, 1028, 1029, 1030, 1031, 1080, 2046,
    ]
    for round in 0..<300 {
      var terms: [Double] = []
      let count = [1, 2, 7, 64, 1000, 5000, 2048, 2049][round % 8]
      let negativeShare = [0, 0, 1, 2, 4][round % 5]  // in quarters
      for _ in 0..<count {
        let biased: Int
        switch rng.next() % 4 {
        case 0: biased = edges[Int(rng.next() % UInt64(edges.count))]
        case 1: biased = Int(966 + rng.next() % 64)
        case 2: biased = Int(1000 + rng.next() % 30)  // losses and probabilities
        default: biased = Int(rng.next() % 2047)
        }
        let fraction: UInt64
        switch rng.next() % 3 {
        case 0: fraction = rng.next()
        case 1: fraction = 0x000F_FFFF_FFFF_FFFF  // all ones: every carry ripples
        default: fraction = (rng.next() & 3) << 50
        }
        let negative = Int(rng.next() % 4) < negativeShare
        terms.append(double(biased: biased, fraction: fraction, negative: negative))
      }
      if round % 10 == 9 { terms.append(0); terms.append(-0.0) }
      let direct = directTotal(terms)
      #expect(fixedPointTotal(terms) == direct, "round \(round)")
      #expect(fixedPointTotal(terms, flushEvery: 3) == direct, "round \(round), flushes")
      #expect(fixedPointTotal(terms.reversed()) == direct, "round \(round), reversed")
    }
  }

  @Test("full buckets: every add of a run to one bucket, the largest significand, past 2¹¹")
  func fullBuckets() {
    // Just below 2⁷ and 2⁻⁵⁶: the top and bottom buckets, 2¹¹ adds and more between moves.
    let top = double(biased: 1029, fraction: 0x000F_FFFF_FFFF_FFFF, negative: false)
    let bottom = double(biased: 966, fraction: 0x000F_FFFF_FFFF_FFFF, negative: false)
    for count in [2047, 2048, 2049, 4096, 6145] {
      for term in [top, bottom] {
        let terms = Array(repeating: term, count: count)
        #expect(fixedPointTotal(terms) == directTotal(terms), "\(count) × \(term)")
        #expect(fixedPointTotal(terms).value == Double(count) * term, "\(count) × \(term)")
      }
    }
    // A total that crosses zero: negative terms spill, positive ones are in buckets.
    let unit = double(biased: 966, fraction: 0, negative: false)  // 2⁻⁵⁷
    var terms = Array(repeating: top, count: 3000) + [unit, unit]
    terms += Array(repeating: -top, count: 3001) + [-unit, -unit, -unit]
    terms += [-unit, unit, unit]  // back through zero
    #expect(fixedPointTotal(terms) == directTotal(terms))
    #expect(fixedPointTotal(terms).value == -top)
    // Infinities and NaN keep their counts.
    let special = [1.0, .infinity, -.infinity, .nan, 0.5]
    let total = fixedPointTotal(special)
    #expect(total == directTotal(special))
    #expect(total.nans == 1 && total.positiveInfinities == 1 && total.negativeInfinities == 1)
  }
}
