import BCETestSupport
import Testing

@testable import BCECore

// MARK: Helpers

private func sum(_ terms: [Double]) -> ExactSum {
  var sum = ExactSum()
  for term in terms { sum.add(term) }
  return sum
}

/// A random finite double of either sign with a biased exponent in `biased` (0: subnormal).
private func randomTerm(_ rng: inout SplitMix64, biased: ClosedRange<Int>) -> Double {
  let exponent = UInt64(Int.random(in: biased, using: &rng))
  var fraction: UInt64
  switch rng.next() % 3 {
  case 0: fraction = rng.next() & 0x000F_FFFF_FFFF_FFFF
  case 1: fraction = (rng.next() & 0xF) << 48  // sparse: few hex digits
  default: fraction = 0x000F_FFFF_FFFF_FFFF
  }
  if exponent == 0 && fraction == 0 { fraction = 1 }
  let sign: UInt64 = rng.next() & 1 == 0 ? 0 : 1 << 63
  return Double(bitPattern: sign | exponent << 52 | fraction)
}

/// A random sum of one of several shapes: the whole exponent range, subnormals only, a
/// narrow band (the accumulator's inline window), cancellation to zero or to a tiny rest,
/// sums beyond the double range, and non-finite terms.
private func randomSum(_ rng: inout SplitMix64) -> ExactSum {
  let count = Int(rng.next() % 40)
  var terms: [Double]
  switch rng.next() % 8 {
  case 0:
    terms = (0..<count).map { _ in randomTerm(&rng, biased: 0...2046) }
  case 1:
    terms = (0..<count).map { _ in randomTerm(&rng, biased: 0...2) }
  case 2:
    let center = Int.random(in: 900...1100, using: &rng)
    terms = (0..<count).map { _ in randomTerm(&rng, biased: (center - 30)...(center + 30)) }
  case 3:
    // Cancellation: the terms and their negations, plus maybe one tiny term.
    let half = (0..<count / 2 + 1).map { _ in randomTerm(&rng, biased: 0...2046) }
    terms = half + half.map { -$0 }
    if rng.next() % 2 == 0 { terms.append(randomTerm(&rng, biased: 0...1)) }
    terms.shuffle(using: &rng)
  case 4:
    // Beyond the double range: many of the largest doubles, of one sign, plus small terms.
    let big = rng.next() % 2 == 0 ? Double.greatestFiniteMagnitude : -.greatestFiniteMagnitude
    terms = Array(repeating: big, count: 2 + Int(rng.next() % 5000))
    terms += (0..<count).map { _ in randomTerm(&rng, biased: 0...2046) }
  case 5:
    // Non-finite terms among finite ones.
    terms = (0..<count).map { _ in randomTerm(&rng, biased: 0...2046) }
    for _ in 0..<Int(rng.next() % 4) { terms.append(.infinity) }
    for _ in 0..<Int(rng.next() % 3) { terms.append(-.infinity) }
    for _ in 0..<Int(rng.next() % 3) { terms.append(.nan) }
    terms.shuffle(using: &rng)
  case 6:
    terms = (0..<count).map { _ in -randomTerm(&rng, biased: 1000...1100).magnitude }
  default:
    terms = []
  }
  var result = sum(terms)
  if rng.next() % 4 == 0 {
    // A merged sum: window and wide parts from another accumulator.
    result.merge(sum((0..<count).map { _ in randomTerm(&rng, biased: 0...2046) }))
  }
  return result
}

/// Asserts that `sum` survives its text form: an equal sum, the same value bits and the
/// same text again.
private func expectRoundTrip(_ sum: ExactSum, sourceLocation: SourceLocation = #_sourceLocation) {
  let text = sum.exactText
  guard let back = ExactSum(exactText: text) else {
    Issue.record("\(text) was not read back", sourceLocation: sourceLocation)
    return
  }
  #expect(back == sum, "\(text)", sourceLocation: sourceLocation)
  #expect(
    back.value.bitPattern == sum.value.bitPattern, "\(text): \(back.value) vs \(sum.value)",
    sourceLocation: sourceLocation)
  #expect(back.exactText == text, sourceLocation: sourceLocation)
  #expect(back.positiveInfinities == sum.positiveInfinities, sourceLocation: sourceLocation)
  #expect(back.negativeInfinities == sum.negativeInfinities, sourceLocation: sourceLocation)
  #expect(back.nans == sum.nans, sourceLocation: sourceLocation)
}

// MARK: Tests

@Suite("ExactSum text")
struct ExactSumTextTests {
  @Test(
    "small sums have the documented text",
    arguments: [
      ([], "0x0p+0"),
      ([0.0, -0.0], "0x0p+0"),
      ([0.5, -0.5], "0x0p+0"),
      ([0.75], "0x3p-2"),
      ([-0.75], "-0x3p-2"),
      ([0.5, 0.25], "0x3p-2"),
      ([1.0], "0x4p-2"),
      ([1.0, 1.0], "0x8p-2"),
      ([0x1p20], "0x4p+18"),
      ([-0x1p20, 0x1p21], "0x4p+18"),
      ([Double.leastNonzeroMagnitude], "0x1p-1074"),
      ([-26 * Double.leastNonzeroMagnitude], "-0x1ap-1074"),
      ([Double.leastNonzeroMagnitude, 0x1p-1066], "0x101p-1074"),
      ([0x1p-1073], "0x2p-1074"),
      ([.infinity, 1.0], "0x4p-2 +inf:1"),
      ([-.infinity, -.infinity, -0.75], "-0x3p-2 -inf:2"),
      ([.nan, .infinity, -.infinity, .nan], "0x0p+0 +inf:1 -inf:1 nan:2"),
    ] as [([Double], String)])
  func documentedExamples(terms: [Double], text: String) throws {
    let sum = sum(terms)
    #expect(sum.exactText == text)
    let back = try #require(ExactSum(exactText: text))
    #expect(back == sum)
    #expect(back.value.bitPattern == sum.value.bitPattern)
  }

  @Test("the largest double and the carries above it are written and read back")
  func beyondTheDoubleRange() throws {
    let max = Double.greatestFiniteMagnitude
    // (2⁵³ − 1) · 2⁹⁷¹, its lowest bit 2045 places above 2⁻¹⁰⁷⁴: nibble 511 holds it.
    #expect(sum([max]).exactText == "0x3ffffffffffffep+970")
    #expect(sum([-max]).exactText == "-0x3ffffffffffffep+970")
    var huge = sum(Array(repeating: max, count: 1000))
    #expect(huge.value == .infinity)
    expectRoundTrip(huge)
    // Back into range: the text kept every bit beyond it.
    var back = try #require(ExactSum(exactText: huge.exactText))
    for _ in 0..<999 {
      huge.add(-max)
      back.add(-max)
    }
    #expect(back.value == max)
    #expect(back == huge)
    let negative = sum(Array(repeating: -max, count: 1 << 12) + [Double.leastNonzeroMagnitude])
    expectRoundTrip(negative)
    #expect(negative.exactText.hasPrefix("-0x"))
  }

  @Test(
    "2⁶² of the largest double, the most a sum is built for, round-trips", arguments: [1.0, -1.0])
  func largestSums(sign: Double) {
    var sum = sum([sign * .greatestFiniteMagnitude, Double.leastNonzeroMagnitude])
    for _ in 0..<62 { sum.merge(sum) }  // doubling: 2⁶² terms of each
    expectRoundTrip(sum)
    #expect(sum.value == sign * .infinity)
  }

  @Test("every single double, from subnormals to the largest, round-trips")
  func singleTerms() {
    var rng = SplitMix64(seed: 11)
    for biased in 0...2046 {
      for _ in 0..<4 {
        let term = randomTerm(&rng, biased: biased...biased)
        let sum = sum([term])
        expectRoundTrip(sum)
        #expect(ExactSum(exactText: sum.exactText)?.value.bitPattern == term.bitPattern)
      }
    }
  }

  @Test("random sums round-trip, and keep adding and merging the same afterwards")
  func randomSums() throws {
    var rng = SplitMix64(seed: 2024)
    for _ in 0..<3000 {
      let original = randomSum(&rng)
      expectRoundTrip(original)
      // The sum read back is a working accumulator.
      var back = try #require(ExactSum(exactText: original.exactText))
      var more = original
      let extra = randomSum(&rng)
      let term = randomTerm(&rng, biased: 0...2046)
      back.merge(extra)
      back.add(term)
      more.merge(extra)
      more.add(term)
      #expect(back == more)
      #expect(back.value.bitPattern == more.value.bitPattern)
      expectRoundTrip(back)
    }
  }

  @Test(
    "malformed texts are rejected",
    arguments: [
      "", " ", "0", "1p+0", "x1p+0", "0X1p+0", "00x1p+0", "--0x1p+0", "+0x1p+0",
      // the hexadecimal integer
      "0x", "0xp+0", "0xgp+0", "0x1gp+0", "0x-1p+0", "0x+1p+0", "0x1.8p+0", "0x 1p+0",
      // the exponent
      "0x1", "0x1p", "0x1p+", "0x1p-", "0x1P+0", "0x1e+0", "0x1p+0x", "0x1p1.5",
      "0x1p-1075", "0x3p-1076", "-0x1p-1075", "0x1p-99999999999999999999",
      // bits beyond the accumulator
      "0x1p+2000", "0x1p+4096", "0x1p+4097", "0xffffffffffffffffffffffffffffffffp+1000",
      // the non-finite counts
      "0x1p+0 inf:1", "0x1p+0 +inf", "0x1p+0 +inf:", "0x1p+0 +inf:x", "0x1p+0 +inf:-1",
      "0x1p+0 -inf:-2", "0x1p+0 nan:-1", "0x1p+0 nan:0", "0x1p+0 +inf:1.5", "0x1p+0 NaN:1",
      "0x1p+0 foo:1", "0x1p+0 +inf:1 junk", "0x1p+0\n", "0x1p+0,",
    ])
  func malformed(text: String) {
    #expect(ExactSum(exactText: text) == nil, "\(text.debugDescription) was accepted")
  }

  @Test("non-canonical spellings of a valid sum are read as the same sum")
  func nonCanonical() throws {
    let three = try #require(ExactSum(exactText: "0x3p-2"))
    #expect(try #require(ExactSum(exactText: "0x03p-2")) == three)
    #expect(try #require(ExactSum(exactText: "0x6p-3")) == three)
    #expect(try #require(ExactSum(exactText: "0xCp-4")).value == 0.75)
    #expect(try #require(ExactSum(exactText: "-0x0p+0")).value.bitPattern == 0)
    #expect(try #require(ExactSum(exactText: "0x1p-1074")).value == .leastNonzeroMagnitude)
  }
}
