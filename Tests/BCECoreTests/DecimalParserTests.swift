import BCETestSupport
import Testing

@testable import BCECore

#if canImport(Glibc)
  import Glibc
#endif

private func parse(_ text: String) -> Double? {
  var bytes = Array(text.utf8)
  bytes.append(0)  // never read: keeps the pointer valid for empty strings
  return bytes.withUnsafeBufferPointer { DecimalParser.parse($0.baseAddress!, count: $0.count - 1) }
}

private func libcValue(_ text: String) -> Double { strtod(text, nil) }

/// A random decimal string in the accepted syntax, drawn to reach every path of the parser:
/// short and long significands, leading zeros, and exponents near and beyond the limits.
private func randomDecimal(_ rng: inout SplitMix64) -> String {
  var s = ""
  switch rng.next() % 4 {
  case 0: s += "-"
  case 1: s += "+"
  default: break
  }
  let shape = rng.next() % 10
  let digitCount: Int
  switch shape {
  case 0...5: digitCount = Int(1 + rng.next() % 17)
  case 6, 7: digitCount = Int(18 + rng.next() % 3)
  default: digitCount = Int(21 + rng.next() % 60)
  }
  var digits = ""
  let leadingZeros = rng.next() % 3 == 0 ? Int(rng.next() % 5) : 0
  digits += String(repeating: "0", count: leadingZeros)
  for _ in 0..<digitCount { digits += String(rng.next() % 10) }
  if rng.next() % 4 != 0 {
    let point = Int(rng.next() % UInt64(digits.count + 1))
    let index = digits.index(digits.startIndex, offsetBy: point)
    digits.insert(".", at: index)
    if digits == "." { digits = "0." }
  }
  s += digits
  if rng.next() % 2 == 0 {
    s += rng.next() % 2 == 0 ? "e" : "E"
    switch rng.next() % 3 {
    case 0: s += "-"
    case 1: s += "+"
    default: break
    }
    switch rng.next() % 10 {
    case 0...6: s += String(rng.next() % 30)
    case 7, 8: s += String(rng.next() % 400)
    default: s += String(rng.next() % 100_000)
    }
  }
  return s
}

@Suite struct DecimalParserTests {
  @Test func plainDecimals() {
    #expect(parse("0") == 0)
    #expect(parse("1") == 1)
    #expect(parse("0.25") == 0.25)
    #expect(parse(".5") == 0.5)
    #expect(parse("1.") == 1)
    #expect(parse("-2.5e-3") == -2.5e-3)
    #expect(parse("1E+2") == 100)
    #expect(parse("  0.75\t") == 0.75)
    #expect(parse("-0")?.sign == .minus)
  }

  @Test func infinitiesAndNaN() {
    #expect(parse("inf") == .infinity)
    #expect(parse("+Inf") == .infinity)
    #expect(parse("-INFINITY") == -.infinity)
    #expect(parse("1e999") == .infinity)
    #expect(parse("-1e999") == -.infinity)
    #expect(parse("1e-999") == 0)
    #expect(parse("nan")?.isNaN == true)
    #expect(parse("NaN")?.isNaN == true)
  }

  @Test(arguments: [
    "", " ", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x1p3", "1,5", "1_000", "infinit",
    "nan(1)", "1 2", "--1", "+-1", "1e5.5", "abc", "1\u{0}", "\u{A0}1", "1d5", "٣",
  ])
  func rejectsNonNumbers(text: String) {
    #expect(parse(text) == nil)
  }

  @Test func boundaryValues() {
    let cases = [
      "9007199254740993",  // 2^53 + 1: a tie, rounds to even
      "9007199254740995",
      "0.1", "0.3", "2.2250738585072011e-308", "2.2250738585072014e-308",
      "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
      "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
      "0.99999999989999999", "1.0000000000000000000000000000001",
      "18446744073709551615", "18446744073709551616", "12345678901234567890123",
      "0.12345678901234567", "7.2057594037927933e16", "1e-27", "9999999999999999999e-27",
      "9999999999999999999e27", "1844674407370955161.5e-20",
    ]
    for text in cases {
      #expect(parse(text)?.bitPattern == libcValue(text).bitPattern, "\(text)")
    }
  }

  /// The contract: the same double as strtod for every accepted input.
  @Test func agreesWithStrtodOnAMillionRandomDecimals() {
    var rng = SplitMix64(seed: 0x5EED_0001)
    var mismatches: [String] = []
    for _ in 0..<1_000_000 {
      let text = randomDecimal(&rng)
      let ours = parse(text)
      let theirs = libcValue(text)
      if ours?.bitPattern != theirs.bitPattern && mismatches.count < 10 {
        mismatches.append(text)
      }
    }
    #expect(mismatches.isEmpty, "differs from strtod on: \(mismatches)")
  }

  /// Up to 19 significant digits with every decimal exponent of the Eisel–Lemire table and
  /// beyond: the fast path or its fallback, always strtod's double.
  @Test func agreesWithStrtodAcrossTheWholeExponentRange() {
    var rng = SplitMix64(seed: 0x5EED_0003)
    var mismatches: [String] = []
    for exponent in -380...380 {
      for _ in 0..<400 {
        let digits = Int(1 + rng.next() % 19)
        var text = String(1 + rng.next() % 9)
        for _ in 1..<digits { text += String(rng.next() % 10) }
        text += "e\(exponent)"
        if parse(text)?.bitPattern != libcValue(text).bitPattern && mismatches.count < 10 {
          mismatches.append(text)
        }
      }
    }
    #expect(mismatches.isEmpty, "differs from strtod on: \(mismatches)")
  }

  /// Near ties within 19 digits, where Eisel–Lemire must detect the tie or round it right:
  /// integers halfway between two doubles above 2⁵³, and their neighbours.
  @Test func agreesWithStrtodNearTies() {
    var rng = SplitMix64(seed: 0x5EED_0004)
    for _ in 0..<100_000 {
      let m = (rng.next() >> 11) | (1 << 52)  // a 53-bit significand
      let k = UInt64(1 + rng.next() % 10)
      let halfway = (2 * m + 1) << (k - 1)  // between m·2^k and (m + 1)·2^k; below 2^64
      for n in [halfway, halfway - 1, halfway + 1] {
        let text = String(n)
        #expect(parse(text)?.bitPattern == libcValue(text).bitPattern, "\(text)")
      }
    }
  }

  /// Probabilities as loggers print them: every shortest representation round-trips.
  @Test func roundTripsShortestRepresentations() {
    var rng = SplitMix64(seed: 0x5EED_0002)
    for _ in 0..<200_000 {
      let value = Double(bitPattern: rng.next() >> 2)  // finite, non-negative
      guard value.isFinite else { continue }
      let text = "\(value)"
      #expect(parse(text)?.bitPattern == value.bitPattern, "\(text)")
    }
  }
}

/// The branch-free tail of the fraction parser: 0 to 7 leading digits of a word, 0 for none,
/// whatever follows them.
@Test func fewLeadingDigitsValueReadsNoneToSevenDigits() {
  for tail in ["x", "9", ",", "\u{0}"] {
    let text = Array(("1234567" + tail).utf8)
    let word = text.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    for count in 0...7 {
      let expected = UInt64(count == 0 ? "0" : String(decoding: text[..<count], as: UTF8.self))!
      #expect(DecimalParser.fewLeadingDigitsValue(word, count) == expected, "\(count) + \(tail)")
    }
  }
}
