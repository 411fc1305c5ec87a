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
    // Biased exponents 1005 (2⁻¹⁸) to 1080 (below 2⁵⁸) are fixed-point; the ones around
    // them, zeros, subnormals and the rest spill.
    let edges = [
      0, 1, 900, 1003, 1004, 1005, 1006, 1022, 1023, 1068, 1069, 1070, 1079, 1080,
      1081, 1082, 2046,
    ]
    for round in 0..<300 {
      var terms: [Double] = []
      let count = [1, 2, 7, 64, 1000, 5000][round % 6]
      let negativeShare = [0, 0, 1, 2, 4][round % 5]  // in quarters
      for _ in 0..<count {
        let biased: Int
        switch rng.next() % 4 {
        case 0: biased = edges[Int(rng.next() % UInt64(edges.count))]
        case 1: biased = Int(1005 + rng.next() % 76)
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

  @Test("carries into and borrows from the top word: a total that crosses zero and 2⁵⁸")
  func carriesAndBorrows() {
    let big = double(biased: 1080, fraction: 0x000F_FFFF_FFFF_FFFF, negative: false)  // < 2⁵⁸
    let unit = double(biased: 1005, fraction: 0, negative: false)  // 2⁻¹⁸
    var terms = Array(repeating: big, count: 300) + [unit, unit]
    terms += Array(repeating: -big, count: 301) + [-unit, -unit, -unit]
    terms += [-unit, unit, unit]  // back through zero
    #expect(fixedPointTotal(terms) == directTotal(terms))
    #expect(fixedPointTotal(terms).value == -big)
    // Infinities and NaN keep their counts.
    let special = [1.0, .infinity, -.infinity, .nan, 0.5]
    let total = fixedPointTotal(special)
    #expect(total == directTotal(special))
    #expect(total.nans == 1 && total.positiveInfinities == 1 && total.negativeInfinities == 1)
  }
}
