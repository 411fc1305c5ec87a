#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Correctly rounded conversion of decimal text to `Double`.
///
/// Accepted bytes, in order: optional ASCII spaces or tabs; an optional `+` or `-`; then
/// either a decimal — digits with an optional `.` and fraction (at least one digit in all,
/// so `1`, `1.`, `.5`, `0.25`), then an optional exponent `e` or `E` with an optional sign
/// and at least one digit — or one of the words `inf`, `infinity`, `nan` in any letter case;
/// then optional spaces or tabs. Nothing else is accepted: no hexadecimal floats, no digit
/// separators, no `nan(...)` payloads, no other white space.
///
/// The result is the double nearest the decimal's exact value, ties to even — the same
/// double `strtod` returns. A decimal too large for a double gives ±∞ and one too small
/// gives ±0, as with `strtod`.
///
/// Most inputs take an exact integer path (no `strtod` call): Clinger's fast path when the
/// significant digits fit in 53 bits and the power of ten is at most 10²², otherwise exact
/// 128-bit integer arithmetic when they fit in 64 bits (19 digits) and the power of ten is
/// within 10^±27. Longer significands and larger exponents fall back to `strtod`.
public enum DecimalParser {
  /// Parses `count` bytes at `start`.
  ///
  /// - Returns: the correctly rounded value (±∞ and NaN included, as spelled above), or
  ///   `nil` when the bytes are not a number in the accepted syntax.
  /// - Complexity: O(count).
  public static func parse(_ start: UnsafePointer<UInt8>, count: Int) -> Double? {
    var i = 0
    var end = count
    while i < end && (start[i] == 0x20 || start[i] == 0x09) { i &+= 1 }
    while end > i && (start[end &- 1] == 0x20 || start[end &- 1] == 0x09) { end &-= 1 }
    if i == end { return nil }
    let first = i
    var negative = false
    if start[i] == 0x2D || start[i] == 0x2B {
      negative = start[i] == 0x2D
      i &+= 1
      if i == end { return nil }
    }
    let lead = start[i]
    if lead | 0x20 == 0x69 || lead | 0x20 == 0x6E {  // 'i' or 'n'
      return parseWord(start + i, count: end &- i, negative: negative)
    }

    var significand: UInt64 = 0
    var digitsKept = 0
    var exponent = 0
    var sawDigit = false
    var inexact = false  // a nonzero digit beyond the 19 kept ones
    while i < end {
      let d = start[i] &- 0x30
      if d > 9 { break }
      sawDigit = true
      if digitsKept < 19 {
        if significand != 0 || d != 0 {
          significand = significand &* 10 &+ UInt64(d)
          digitsKept &+= 1
        }
      } else {
        exponent &+= 1
        if d != 0 { inexact = true }
      }
      i &+= 1
    }
    if i < end && start[i] == 0x2E {
      i &+= 1
      while i < end {
        let d = start[i] &- 0x30
        if d > 9 { break }
        sawDigit = true
        if digitsKept < 19 {
          if significand != 0 || d != 0 {
            significand = significand &* 10 &+ UInt64(d)
            digitsKept &+= 1
          }
          exponent &-= 1
        } else if d != 0 {
          inexact = true
        }
        i &+= 1
      }
    }
    if !sawDigit { return nil }
    if i < end && start[i] | 0x20 == 0x65 {  // 'e'
      i &+= 1
      var exponentNegative = false
      if i < end && (start[i] == 0x2D || start[i] == 0x2B) {
        exponentNegative = start[i] == 0x2D
        i &+= 1
      }
      var written = 0
      var sawExponentDigit = false
      while i < end {
        let d = start[i] &- 0x30
        if d > 9 { break }
        sawExponentDigit = true
        if written < 100_000_000 { written = written &* 10 &+ Int(d) }
        i &+= 1
      }
      if !sawExponentDigit { return nil }
      exponent &+= exponentNegative ? -written : written
    }
    if i != end { return nil }
    if significand == 0 { return negative ? -0.0 : 0.0 }

    if !inexact, let magnitude = exactValue(significand, exponent) {
      return negative ? -magnitude : magnitude
    }
    return strtodFallback(start + first, count: end &- first)
  }

  /// The correctly rounded value of `significand · 10^exponent`, when exact integer
  /// arithmetic can give it; `nil` otherwise.
  static func exactValue(_ significand: UInt64, _ exponent: Int) -> Double? {
    // Clinger: both operands exact doubles, so one IEEE operation rounds correctly.
    if significand <= 1 << 53 && exponent >= -22 && exponent <= 22 {
      let w = Double(significand)
      return exponent < 0 ? w / powersOfTen[-exponent] : w * powersOfTen[exponent]
    }
    if exponent > 0 && exponent <= 27 {
      // significand · 5^e · 2^e, with the product exact in 128 bits.
      let (high, low) = significand.multipliedFullWidth(by: powersOfFive[exponent])
      return roundToDouble(high: high, low: low, sticky: false, binaryExponent: exponent)
    }
    if exponent < 0 && exponent >= -27 {
      // significand / (5^k · 2^k): divide significand · 2^s by 5^k with a 64-bit quotient
      // of 63 or 64 bits; a nonzero remainder is a sticky bit below the quotient.
      let k = -exponent
      let divisor = powersOfFive[k]
      let divisorBits = 64 - divisor.leadingZeroBitCount
      let significandBits = 64 - significand.leadingZeroBitCount
      let s = 63 + divisorBits - significandBits
      let high = s >= 64 ? significand << UInt64(s - 64) : significand >> UInt64(64 - s)
      let low = s >= 64 ? 0 : significand << UInt64(s)
      let (quotient, remainder) = divisor.dividingFullWidth((high: high, low: low))
      return roundToDouble(
        high: 0, low: quotient, sticky: remainder != 0, binaryExponent: -s - k)
    }
    return nil
  }

  /// Rounds the 128-bit integer `high:low` (plus a sticky bit below it) times
  /// 2^binaryExponent to the nearest double; the result must be a normal number.
  static func roundToDouble(high: UInt64, low: UInt64, sticky: Bool, binaryExponent: Int)
    -> Double
  {
    let bitLength = high != 0 ? 128 - high.leadingZeroBitCount : 64 - low.leadingZeroBitCount
    if bitLength <= 53 {
      // Callers pass a sticky bit only with a quotient of 63 or more bits.
      assert(!sticky)
      return Double(sign: .plus, exponent: binaryExponent, significand: Double(low))
    }
    let drop = bitLength - 53
    let (droppedHigh, droppedLow, kept) = split(high: high, low: low, drop: drop)
    // Compare the dropped bits with one half of the last kept bit; ties go to even.
    let halfHigh: UInt64 = drop - 1 >= 64 ? 1 << UInt64(drop - 1 - 64) : 0
    let halfLow: UInt64 = drop - 1 >= 64 ? 0 : 1 << UInt64(drop - 1)
    let roundUp: Bool
    if droppedHigh != halfHigh || droppedLow != halfLow {
      roundUp = (droppedHigh, droppedLow) > (halfHigh, halfLow)
    } else {
      roundUp = sticky || kept & 1 == 1
    }
    var m = kept
    var scale = binaryExponent + drop
    if roundUp {
      m += 1
      if m == 1 << 53 {
        m >>= 1
        scale += 1
      }
    }
    return Double(sign: .plus, exponent: scale, significand: Double(m))
  }

  /// Splits `high:low` into its bits above `drop` (at most 53 of them) and the `drop` bits
  /// below, as a 128-bit pair.
  static func split(high: UInt64, low: UInt64, drop: Int) -> (UInt64, UInt64, UInt64) {
    if drop >= 64 {
      let d = UInt64(drop - 64)
      let kept = high >> d
      let droppedHigh = d == 0 ? 0 : high & ((1 << d) - 1)
      return (droppedHigh, low, kept)
    }
    let d = UInt64(drop)
    let kept = (low >> d) | (high << (64 - d))
    return (0, low & ((1 << d) - 1), kept)
  }

  /// Parses `inf`, `infinity` or `nan` in any letter case, already past the sign.
  static func parseWord(_ start: UnsafePointer<UInt8>, count: Int, negative: Bool) -> Double? {
    func matches(_ word: StaticString) -> Bool {
      guard word.utf8CodeUnitCount == count else { return false }
      let letters = word.utf8Start
      for j in 0..<count where start[j] | 0x20 != letters[j] { return false }
      return true
    }
    if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
    if matches("nan") { return .nan }
    return nil
  }

  /// `strtod` on a rewritten copy of the bytes, which the caller has already checked are a
  /// decimal in the accepted syntax.
  ///
  /// The copy has no decimal point (`12.5e3` becomes `125e2`), because `strtod` reads the
  /// decimal point of the process locale, and a library must not depend on that.
  static func strtodFallback(_ start: UnsafePointer<UInt8>, count: Int) -> Double? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 24) { buffer in
      var out = 0
      var i = 0
      var fractionDigits = 0
      var inFraction = false
      while i < count {
        let byte = start[i]
        if byte | 0x20 == 0x65 { break }  // 'e'
        if byte == 0x2E {
          inFraction = true
        } else {
          buffer[out] = CChar(bitPattern: byte)
          out += 1
          if inFraction { fractionDigits += 1 }
        }
        i += 1
      }
      var exponent = 0
      if i < count {
        i += 1
        var negative = false
        if start[i] == 0x2D || start[i] == 0x2B {
          negative = start[i] == 0x2D
          i += 1
        }
        while i < count {
          if exponent < 100_000_000 { exponent = exponent * 10 + Int(start[i] - 0x30) }
          i += 1
        }
        if negative { exponent = -exponent }
      }
      exponent -= fractionDigits
      buffer[out] = 0x65
      out += 1
      for byte in String(exponent).utf8 {
        buffer[out] = CChar(bitPattern: byte)
        out += 1
      }
      buffer[out] = 0
      return strtod(buffer.baseAddress!, nil)
    }
  }

  static let powersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }  // exact: 10^22 < 2^53 · 2^22
    return value
  }

  static let powersOfFive: [UInt64] = (0...27).map { exponent in
    var value: UInt64 = 1
    for _ in 0..<exponent { value *= 5 }
    return value
  }
}
