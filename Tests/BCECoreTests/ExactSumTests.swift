import BCETestSupport
import Testing

@testable import BCECore

// MARK: Helpers

/// The value of the exact sum of `terms`.
private func exactValue(_ terms: [Double]) -> Double {
  accumulate(terms).value
}

private func accumulate(_ terms: some Sequence<Double>) -> ExactSum {
  var sum = ExactSum()
  for term in terms { sum.add(term) }
  return sum
}

/// Whether two doubles are the same bit pattern (so +0 ≠ −0, and NaN = NaN).
private func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern }

/// A random finite double with a biased exponent in `biased` (0 makes a subnormal), a random
/// sign, and a significand that is sometimes fully random, sometimes sparse (a few top bits,
/// so that sums land exactly on ties), sometimes all ones (so that limb digits saturate).
private func randomDouble(_ rng: inout SplitMix64, biased: ClosedRange<Int>) -> Double {
  let exponent = UInt64(Int.random(in: biased, using: &rng))
  var fraction: UInt64
  switch rng.next() % 4 {
  case 0: fraction = rng.next() & 0x000F_FFFF_FFFF_FFFF
  case 1: fraction = (rng.next() & 0x7) << 49
  case 2: fraction = 0x000F_FFFF_FFFF_FFFF
  default: fraction = rng.next() & ((1 << UInt64(rng.next() % 53)) - 1)
  }
  if exponent == 0 && fraction == 0 { fraction = 1 }
  let sign: UInt64 = rng.next() & 1 == 0 ? 0 : 1 << 63
  return Double(bitPattern: sign | exponent << 52 | fraction)
}

/// The largest biased exponent used in random vectors: 2¹⁰¹⁷, so that the sum of up to 64
/// terms stays below 2¹⁰²³ and the reference never overflows.
private let maxRandomBiased = 2040

/// A random vector of one of several shapes that stress different parts of the accumulator.
private func randomVector(_ rng: inout SplitMix64, count: Int) -> [Double] {
  switch rng.next() % 6 {
  case 0:
    // The whole exponent range, subnormals included.
    return (0..<count).map { _ in randomDouble(&rng, biased: 0...maxRandomBiased) }
  case 1:
    // Clustered exponents: overlapping significands, many carries.
    let center = Int.random(in: 0...(maxRandomBiased - 60), using: &rng)
    return (0..<count).map { _ in randomDouble(&rng, biased: center...(center + 60)) }
  case 2:
    // Subnormals and the smallest normals.
    return (0..<count).map { _ in randomDouble(&rng, biased: 0...3) }
  case 3:
    // Cancellation: terms and most of their negations, plus a few tiny terms.
    let half = max(1, count / 2)
    var terms = (0..<half).map { _ in randomDouble(&rng, biased: 0...maxRandomBiased) }
    terms += terms.prefix(half - 1).map { -$0 }
    for _ in 0..<(count - terms.count).clamped(to: 0...4) {
      terms.append(randomDouble(&rng, biased: 0...40))
    }
    terms.shuffle(using: &rng)
    return terms
  case 4:
    // Two far-apart magnitudes: rounding decided by the small ones.
    let big = Int.random(in: 100...maxRandomBiased, using: &rng)
    let small = Int.random(in: 0...(big - 1), using: &rng)
    return (0..<count).map { i in
      randomDouble(&rng, biased: i % 3 == 0 ? big...big : max(0, small - 5)...small)
    }
  default:
    // Exact ties: a sparse big term plus half of its ulp, give or take tiny terms.
    let biased = Int.random(in: 54...maxRandomBiased, using: &rng)
    let top = Double(bitPattern: UInt64(biased) << 52 | (rng.next() & 0x000F_FFFF_FFFF_FFFF))
    var terms = [top, top.ulp / 2]
    switch rng.next() % 3 {
    case 0: terms.append(top.ulp / 4)
    case 1: terms.append(-.leastNonzeroMagnitude)
    default: break
    }
    if rng.next() & 1 == 0 { terms = terms.map { -$0 } }
    terms.shuffle(using: &rng)
    return terms
  }
}

extension Comparable {
  fileprivate func clamped(to range: ClosedRange<Self>) -> Self {
    min(max(self, range.lowerBound), range.upperBound)
  }
}

/// All orderings of `elements` (Heap's algorithm).
private func permutations<T>(_ elements: [T]) -> [[T]] {
  var result: [[T]] = []
  var a = elements
  func generate(_ k: Int) {
    if k <= 1 {
      result.append(a)
      return
    }
    generate(k - 1)
    for i in 0..<(k - 1) {
      a.swapAt(k % 2 == 0 ? i : 0, k - 1)
      generate(k - 1)
    }
  }
  generate(a.count)
  return result
}

private func wideAccumulate(_ terms: some Sequence<Double>) -> WideSum {
  var sum = WideSum()
  for term in terms { sum.add(term) }
  return sum
}

/// The `WideSum` state after `count` adds of `x`, built directly in the limbs, so that tests
/// can reach the carry propagation that real adds reach only after 2³⁰ terms (about a
/// minute in a debug build).
private func repeatedAdds(of x: Double, count: Int) -> WideSum {
  let one = wideAccumulate([x])
  var sum = WideSum()
  for i in 0..<WideSum.limbCount {
    sum.limbs[i] = one.limbs[i] * Int64(count)
  }
  sum.pendingAdds = count
  return sum
}

/// The same for the window of an `ExactSum` (`x` must fall in the window).
private func repeatedWindowAdds(of x: Double, count: Int) -> ExactSum {
  let one = accumulate([x])
  var sum = ExactSum()
  for i in 0..<ExactSum.windowLimbs {
    sum.window[i] = one.window[i] * Int64(count)
  }
  sum.pendingAdds = count
  return sum
}

/// Whether the limbs are in the normalized form: digits in [0, 2³²) below the top limb.
private func isNormalized(_ sum: WideSum) -> Bool {
  (0..<(WideSum.limbCount - 1)).allSatisfy { sum.limbs[$0] >= 0 && sum.limbs[$0] < 1 << 32 }
}

// MARK: Tests

@Suite struct ExactSumTests {
  @Test func emptySumIsPositiveZero() {
    let sum = ExactSum()
    #expect(sameBits(sum.value, 0.0))
    #expect(sum.positiveInfinities == 0 && sum.negativeInfinities == 0 && sum.nans == 0)
  }

  /// −0.0 adds nothing, so a sum of only −0.0 terms is the empty sum, +0 (IEEE addition would
  /// give −0; the exact mathematical sum is 0, and its value is +0 like an empty sum's).
  @Test func negativeZeroTermsLeaveTheSumEmpty() {
    let sum = accumulate([-0.0, -0.0])
    #expect(sum == ExactSum())
    #expect(sameBits(sum.value, 0.0))
    #expect(sameBits(exactValue([-0.0, 1.5, -0.0]), 1.5))
  }

  @Test func exactCancellationGivesPositiveZero() {
    #expect(sameBits(exactValue([1, -1]), 0.0))
    #expect(sameBits(exactValue([-1e308, 1e308]), 0.0))
    #expect(sameBits(exactValue([-.leastNonzeroMagnitude, .leastNonzeroMagnitude]), 0.0))
    #expect(sameBits(exactValue([0.1, 0.2, -0.1, -0.2]), 0.0))
    #expect(accumulate([3.5, -3.5]) == ExactSum())
  }

  @Test func tinyRemainderKeepsItsSign() {
    let tiny = Double.leastNonzeroMagnitude
    #expect(sameBits(exactValue([1, -1, -tiny]), -tiny))
    #expect(sameBits(exactValue([-1e308, 1e308, tiny]), tiny))
    #expect(sameBits(exactValue([1e300, 2 * tiny, -1e300, -3 * tiny]), -tiny))
    #expect(sameBits(exactValue([0x1p1000, -0x1p-1000, -0x1p1000]), -0x1p-1000))
  }

  @Test func singleTermIsItsOwnValue() {
    var rng = SplitMix64(seed: 1)
    var terms: [Double] = [
      .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
      -.leastNonzeroMagnitude, .leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, 1,
      -1, 0.1, 0x1p-1022, 0x1.fffffffffffffp1023,
    ]
    for _ in 0..<2000 { terms.append(randomDouble(&rng, biased: 0...2046)) }
    for x in terms {
      #expect(sameBits(exactValue([x]), x), "\(x)")
    }
  }

  @Test func knownCancellationCasesInEveryOrder() {
    let tiny = Double.leastNonzeroMagnitude
    let cases: [([Double], Double)] = [
      // 1e16 + 1 is a tie that rounds to 1e16; 2⁻⁶⁰ tips it up.
      ([1e16, 1, 0x1p-60], 10_000_000_000_000_002),
      ([1e16, 1], 1e16),
      ([1e308, -1e308, tiny], tiny),
      ([1e308, -1e308, 1, tiny], 1),
      ([1e308, 1, -1e308, -0x1p-53], 1 - 0x1p-53),
      ([0x1p53, 1, 0x1p-100], 0x1p53 + 2),
      ([0x1p53, 1, -0x1p-100], 0x1p53),
      ([0x1p53, -1, 0x1p-100], 0x1p53 - 1),
      ([1, 0x1p-53, 0x1p-1074], 1 + 0x1p-52),
      ([0.1, 0.2, 0.3, -0.6], 0x1p-55),
    ]
    for (terms, expected) in cases {
      for signed in [terms, terms.map { -$0 }] {
        let want = signed == terms ? expected : -expected
        for order in permutations(signed) {
          let got = exactValue(order)
          #expect(sameBits(got, want), "\(order): \(got) ≠ \(want)")
          #expect(sameBits(got, FsumReference.sum(order)!), "\(order) vs fsum")
        }
      }
    }
  }

  @Test func pairsThatCancelLeaveTheRemainder() {
    var rng = SplitMix64(seed: 2)
    for _ in 0..<300 {
      let count = Int.random(in: 1...20, using: &rng)
      let xs = (0..<count).map { _ in randomDouble(&rng, biased: 0...maxRandomBiased) }
      let remainder = randomDouble(&rng, biased: 0...60)
      var terms = xs + xs.map { -$0 } + [remainder]
      terms.shuffle(using: &rng)
      #expect(sameBits(exactValue(terms), remainder), "\(terms)")
    }
  }

  @Test func tiesRoundHalfToEven() {
    // 2⁵³ + 1 lies half-way between 2⁵³ and 2⁵³ + 2: even wins.
    #expect(sameBits(exactValue([0x1p53, 1]), 0x1p53))
    #expect(sameBits(exactValue([0x1p52, 0x1p52, 0.5, 0.5]), 0x1p53))
    // 2⁵³ + 3 lies half-way between 2⁵³ + 2 (odd significand) and 2⁵³ + 4.
    #expect(sameBits(exactValue([0x1p53, 2, 1]), 0x1p53 + 4))
    // Just above and just below the tie.
    #expect(sameBits(exactValue([0x1p53, 1, .leastNonzeroMagnitude]), 0x1p53 + 2))
    #expect(sameBits(exactValue([0x1p53, 1, -.leastNonzeroMagnitude]), 0x1p53))
    // Ties at the bottom: half of the subnormal step never exists, but ties between normals
    // with the smallest exponents do.
    #expect(sameBits(exactValue([0x1p-1020, 0x1p-1073]), 0x1p-1020))
    #expect(sameBits(exactValue([0x1p-1020, 0x1p-1072, 0x1p-1073]), 0x1p-1020 + 0x1p-1071))
    // Negative ties mirror positive ones.
    #expect(sameBits(exactValue([-0x1p53, -1]), -0x1p53))
    #expect(sameBits(exactValue([-0x1p53, -3]), -0x1p53 - 4))
  }

  /// Regression test for an out-of-bounds read in `roundedMagnitude` (ExactSum.swift:158,
  /// `bits(below:count:)` at :187): when the exact integer N (value N·2⁻¹⁰⁷⁴) has 54 to 63
  /// bits, the 64-bit rounding window starts below bit 0, and the limb at index −1 (the 8
  /// bytes before the accumulator's storage) is read into the rounding bits. The garbage
  /// happens to be 0 in the builds tried, so this test passes in a plain build; under
  /// `swift test --sanitize=address` it reports a stack-buffer-overflow. With nonzero garbage
  /// the ties below would round up instead of to even.
  @Test func roundingWindowBelowBitZeroReadsNoLimbBelowTheFirst() {
    for bitLength in 54...63 {
      for sign in [1.0, -1.0] {
        let top = sign * Double(sign: .plus, exponent: bitLength - 1 - 1074, significand: 1)
        let unit = Double(sign: .plus, exponent: bitLength - 53 - 1074, significand: 1)
        // One IEEE addition of two doubles is correctly rounded: it is the reference.
        for low in [unit / 2, unit + unit / 2, unit / 2 + unit / 4, unit / 4] {
          let terms = [top, sign * low]
          #expect(sameBits(exactValue(terms), top + sign * low), "\(terms)")
        }
      }
    }
  }

  @Test func randomVectorsMatchFsum() {
    var rng = SplitMix64(seed: 3)
    for _ in 0..<3000 {
      let terms = randomVector(&rng, count: Int.random(in: 1...40, using: &rng))
      guard let want = FsumReference.sum(terms) else {
        Issue.record("reference overflowed on \(terms)")
        continue
      }
      let got = exactValue(terms)
      #expect(sameBits(got, want), "\(terms): \(got) ≠ \(want)")
    }
  }

  @Test func sumsBeyondTheDoubleRangeRoundToInfinity() {
    let max = Double.greatestFiniteMagnitude
    #expect(exactValue([1e308, 1e308, 1e308]) == .infinity)
    #expect(exactValue([-1e308, -1e308, -1e308]) == -.infinity)
    // Intermediate overflow does not matter, only the exact sum does.
    #expect(sameBits(exactValue([1e308, 1e308, 1e308, -1e308, -1e308]), 1e308))
    #expect(
      sameBits(
        exactValue(Array(repeating: max, count: 1000) + Array(repeating: -max, count: 999)), max))
    // The rounding boundary is max + ulp/2 = 2¹⁰²⁴ − 2⁹⁷⁰: a tie, and max is odd, so it
    // rounds up to 2¹⁰²⁴, which is +∞.
    #expect(sameBits(exactValue([max, 0x1p969]), max))
    #expect(exactValue([max, 0x1p969, 0x1p969]) == .infinity)
    #expect(sameBits(exactValue([max, 0x1p969, 0x1p969, -.leastNonzeroMagnitude]), max))
    #expect(exactValue([-max, -0x1p969, -0x1p969]) == -.infinity)
    // Overflow of the rounded value is not counted as an infinite term.
    let sum = accumulate([max, max])
    #expect(sum.positiveInfinities == 0)
    #expect(sum.value == .infinity)
    // Far beyond the range, and back.
    var big = ExactSum()
    for _ in 0..<10_000 { big.add(max) }
    #expect(big.value == .infinity)
    for _ in 0..<10_000 { big.add(-max) }
    #expect(sameBits(big.value, 0.0))
    #expect(big == ExactSum())
  }

  @Test func nonFiniteTermsAreCountedApart() {
    var sum = accumulate([1, .infinity, 2, .infinity, -.infinity, .nan, -.nan])
    #expect(sum.positiveInfinities == 2)
    #expect(sum.negativeInfinities == 1)
    #expect(sum.nans == 2)
    #expect(sum.value.isNaN)
    // The finite part is untouched by them.
    sum = accumulate([1.5, .infinity, 2.25])
    #expect(sum.value == .infinity)
    #expect(accumulate([1.5, -.infinity, 2.25]).value == -.infinity)
    #expect(accumulate([.infinity, -.infinity]).value.isNaN)
    #expect(accumulate([.nan]).value.isNaN)
    #expect(accumulate([.infinity, .nan]).value.isNaN)
    #expect(accumulate([.infinity]) != accumulate([.infinity, .infinity]))
    #expect(accumulate([.infinity, 1.5]) != accumulate([.infinity]))
    #expect(accumulate([.nan]) != accumulate([.infinity, -.infinity]))
    #expect(accumulate([.signalingNaN]).nans == 1)
    // Counts merge.
    var a = accumulate([.infinity, .nan])
    a.merge(accumulate([-.infinity, .infinity, 3]))
    #expect(a.positiveInfinities == 2 && a.negativeInfinities == 1 && a.nans == 1)
    #expect(a == accumulate([3, .infinity, .infinity, -.infinity, .nan]))
  }

  @Test func orderDoesNotChangeTheResult() {
    var rng = SplitMix64(seed: 4)
    for _ in 0..<200 {
      var terms = randomVector(&rng, count: Int.random(in: 2...60, using: &rng))
      let sum = accumulate(terms)
      for _ in 0..<5 {
        terms.shuffle(using: &rng)
        let shuffled = accumulate(terms)
        #expect(shuffled == sum)
        #expect(sameBits(shuffled.value, sum.value))
      }
    }
  }

  @Test func mergingPartialSumsInAnyTreeEqualsOneSum() {
    var rng = SplitMix64(seed: 5)
    for _ in 0..<200 {
      var terms = randomVector(&rng, count: Int.random(in: 1...60, using: &rng))
      if rng.next() & 1 == 0 { terms += [.infinity, .nan, -.infinity].shuffled(using: &rng) }
      let whole = accumulate(terms)
      // Split at random points into k parts (empty parts included).
      let k = Int.random(in: 1...8, using: &rng)
      var cuts = (0..<(k - 1)).map { _ in Int.random(in: 0...terms.count, using: &rng) }
      cuts = [0] + cuts.sorted() + [terms.count]
      var parts = (0..<k).map { accumulate(terms[cuts[$0]..<cuts[$0 + 1]]) }
      // Merge in a random tree: repeatedly merge two random parts.
      while parts.count > 1 {
        let i = Int.random(in: 0..<parts.count, using: &rng)
        var left = parts.remove(at: i)
        let j = Int.random(in: 0..<parts.count, using: &rng)
        let right = parts.remove(at: j)
        left.merge(right)
        parts.append(left)
      }
      #expect(parts[0] == whole)
      #expect(sameBits(parts[0].value, whole.value))
      if let want = FsumReference.sum(terms) {
        #expect(sameBits(parts[0].value, want))
      }
    }
  }

  @Test func mergeThenAddEqualsAddingEverything() {
    var rng = SplitMix64(seed: 6)
    for _ in 0..<100 {
      let a = randomVector(&rng, count: 20)
      let b = randomVector(&rng, count: 20)
      let c = randomVector(&rng, count: 20)
      var sum = accumulate(a)
      sum.merge(accumulate(b))
      for x in c { sum.add(x) }
      var other = accumulate(c)
      other.merge(ExactSum())
      other.merge(accumulate(b + a))
      #expect(sum == other)
      #expect(sameBits(sum.value, exactValue(a + b + c)))
    }
  }

  @Test func repeatedAddsHelperMatchesRealAdds() {
    for x in [0x1.fffffffffffffp1000, -0x1.fffffffffffffp-1000, 3.0, -0x1p-1074] {
      let real = wideAccumulate(repeatElement(x, count: 1000))
      let built = repeatedAdds(of: x, count: 1000)
      #expect((0..<WideSum.limbCount).allSatisfy { real.limbs[$0] == built.limbs[$0] })
      #expect(real.pendingAdds == built.pendingAdds)
    }
  }

  /// The deferred-carry bound: after 2³⁰ − 1 adds whose digits are all saturated, the 2³⁰th
  /// add propagates the carries, and the value is still exact.
  @Test func carryPropagationAfterTheMaximumPendingAdds() {
    let m = WideSum.addsBetweenCarries
    #expect(m == 1 << 30)
    // All-ones significands at every shift within a limb saturate the digits (2³² − 1).
    var terms: [Double] = []
    for shift in [0, 11, 20, 31, 32, 43] {
      terms.append(
        Double(sign: .plus, exponent: shift - 1022 + 640, significand: 0x1.fffffffffffffp0))
    }
    terms += [0x1.fffffffffffffp990, 0x1.fffffffffffffp-1, Double.greatestFiniteMagnitude / 0x1p40]
    terms += terms.map { -$0 }
    for x in terms {
      var sum = repeatedAdds(of: x, count: m - 1)
      #expect(sum.pendingAdds == m - 1)
      sum.add(x)
      #expect(sum.pendingAdds == 0, "\(x)")
      #expect(isNormalized(sum), "\(x)")
      // 2³⁰·x is exact.
      #expect(sameBits(sum.value, 0x1p30 * x), "\(x)")
      // A few more adds after the propagation: (2³⁰ + j)·x, one correctly rounded product.
      for j in 1...3 {
        sum.add(x)
        #expect(sameBits(sum.value, Double(m + j) * x), "\(x), j=\(j)")
      }
      // (2³⁰ − 1)·x = 2³⁰·x − x, before any propagation.
      let pending = repeatedAdds(of: x, count: m - 1)
      #expect(sameBits(pending.value, FsumReference.sum([0x1p30 * x, -x])!), "\(x)")
    }
  }

  @Test func mergeOfSumsWithMaximumPendingAdds() {
    let m = WideSum.addsBetweenCarries - 1
    let xs = [0x1.fffffffffffffp900, -0x1.fffffffffffffp-1000, 0x1.fffffffffffffp-40, 7.0]
    for x in xs {
      for y in xs {
        var a = repeatedAdds(of: x, count: m)
        let b = repeatedAdds(of: y, count: m)
        a.merge(b)
        // Both sides were normalized before their digits were added.
        #expect(
          (0..<(WideSum.limbCount - 1)).allSatisfy { a.limbs[$0] >= 0 && a.limbs[$0] < 1 << 33 })
        let want = FsumReference.sum([0x1p30 * x, -x, 0x1p30 * y, -y])!
        #expect(sameBits(a.value, want), "\(x), \(y)")
        // After a merge, adds continue from a fresh carry budget.
        a.add(x)
        #expect(a.pendingAdds == 2)
        #expect(sameBits(a.value, FsumReference.sum([0x1p30 * x, 0x1p30 * y, -y])!))
        // Merging is commutative.
        var c = repeatedAdds(of: y, count: m)
        c.merge(repeatedAdds(of: x, count: m))
        c.add(x)
        #expect(c == a)
      }
    }
  }

  /// The window's deferred-carry bound, as for the wide sum: saturated digits for 2³⁰ adds.
  @Test func windowCarryPropagationAfterTheMaximumPendingAdds() {
    let m = WideSum.addsBetweenCarries
    // Terms whose digits land in every window limb, all-ones significands included.
    var terms: [Double] = [0x1.fffffffffffffp-60, 0x1.fffffffffffffp0, 0x1.fffffffffffffp50]
    terms += [0x1p-62, 0x1.fffffffffffffp97, 0x1.8p-3, 36.04365338911715]
    terms += terms.map { -$0 }
    for x in terms {
      var sum = repeatedWindowAdds(of: x, count: m - 1)
      #expect(sum.positiveInfinities == 0)
      sum.add(x)
      #expect(sum.pendingAdds == 0, "\(x)")
      #expect(sameBits(sum.value, 0x1p30 * x), "\(x)")
      sum.add(x)
      #expect(sameBits(sum.value, Double(m + 1) * x), "\(x)")
      var merged = repeatedWindowAdds(of: x, count: m - 1)
      merged.merge(repeatedWindowAdds(of: x, count: m - 1))
      #expect(sameBits(merged.value, FsumReference.sum([0x1p31 * x, -2 * x])!), "\(x)")
    }
  }

  /// Terms on both sides of each window edge, and spills of a large top limb, give the same
  /// exact sums as the wide accumulator alone.
  @Test func windowEdgesAgreeWithTheWideSum() {
    var rng = SplitMix64(seed: 0xED6E)
    // Biased exponents around the window's bottom (2⁻¹¹⁴ + 52 bits) and top (2¹¹⁰).
    let edges = [(1023 - 114 - 8)...(1023 - 114 + 60), (1023 + 40)...(1023 + 115), 1...2046]
    for _ in 0..<2000 {
      let count = Int.random(in: 1...40, using: &rng)
      var terms: [Double] = []
      for _ in 0..<count {
        let exponents = edges[Int.random(in: 0..<edges.count, using: &rng)]
        terms.append(randomDouble(&rng, biased: exponents))
      }
      let exact = accumulate(terms)
      let wide = wideAccumulate(terms)
      #expect(sameBits(exact.value, wide.value), "\(terms)")
      var split = accumulate(terms.prefix(count / 2))
      split.merge(accumulate(terms.dropFirst(count / 2)))
      #expect(split == exact)
    }
    // A top limb that grows past the spill threshold moves to the wide part exactly.
    var big = repeatedWindowAdds(of: 0x1.fffffffffffffp97, count: (1 << 30) - 1)
    big.add(0x1.fffffffffffffp97)
    big.add(0x1p-62)
    #expect(sameBits(big.value, 0x1p30 * 0x1.fffffffffffffp97))
    #expect(big.window[ExactSum.windowLimbs - 1] == 0)
    // Window terms: the whole significand must fit, so about 2⁻⁶² ≤ |x| < 2⁹⁸.
    for (x, inWindow) in [(0x1p-62, true), (0x1p-63, false), (0x1p97, true), (0x1p98, false)] {
      let one = accumulate([x])
      #expect(one.window.indices.contains { one.window[$0] != 0 } == inWindow, "\(x)")
      #expect(sameBits(one.value, x))
    }
  }

  @Test func realAddsMatchMultiplication() {
    // 2²⁰ real adds: a smaller cousin of the carry test that needs no internals.
    for x in [0.1, -0x1.fffffffffffffp990, 0x1p-1074, 0x1.fffffffffffffp-1022] {
      let sum = accumulate(repeatElement(x, count: 1 << 20))
      #expect(sameBits(sum.value, 0x1p20 * x), "\(x)")
    }
  }

  @Test func equalityComparesExactValuesNotRepresentations() {
    #expect(accumulate([1, 2]) == accumulate([3]))
    #expect(accumulate([0.5, 0.25, 0.25]) == accumulate([1]))
    #expect(accumulate([0.1, 0.2]) != accumulate([0.3]))
    // Same rounded value, different exact values.
    #expect(exactValue([1, 0x1p-60]) == 1)
    #expect(accumulate([1, 0x1p-60]) != accumulate([1]))
    // Pending carries versus propagated carries.
    var pending = accumulate([0x1.fffffffffffffp0, 0x1.fffffffffffffp0, -1])
    var normalized = pending
    normalized.normalize()
    #expect(pending == normalized)
    pending.add(-0x1.fffffffffffffp0)
    #expect(pending == accumulate([0x1.fffffffffffffp0, -1]))
    // Negative sums are equal to negative sums reached another way.
    #expect(accumulate([-1, -2, 0.5]) == accumulate([-2.5]))
    #expect(accumulate([-1]) != accumulate([1]))
  }
}
