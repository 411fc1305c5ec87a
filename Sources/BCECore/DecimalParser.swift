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
/// Most inputs take a fast path (no `strtod` call): Clinger's when the significant digits
/// fit in 53 bits and the power of ten is at most 10²², otherwise Eisel–Lemire's when they
/// fit in 64 bits (19 digits). Longer significands, near ties that 128 bits cannot decide,
/// and results that would be subnormal or infinite fall back to `strtod`.
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
    guard
      let (value, stop) = scanDecimal(start, first: first, from: i, end: end, negative: negative),
      stop == end
    else { return nil }
    return value
  }

  /// Parses the plain decimal at the start of `start[0..<limit]` — an optional sign, digits
  /// with an optional `.` and fraction, an optional exponent; no spaces, no words — and
  /// tells where it stops: at the first byte that cannot continue it, which the caller
  /// checks is a field's end.
  ///
  /// This is how the CSV fast path parses a field and finds its end in one pass. Whatever
  /// it accepts, ``parse(_:count:)`` accepts with the same value when given exactly the
  /// bytes it consumed.
  ///
  /// - Returns: the correctly rounded value and the number of bytes consumed, or `nil` when
  ///   the text does not start with a plain decimal (spaces, `inf`, `nan`, an empty field,
  ///   an exponent without digits): the caller then takes the general path.
  @inline(__always)
  public static func parsePrefix(_ start: UnsafePointer<UInt8>, limit: Int) -> (
    value: Double, count: Int
  )? {
    guard limit > 0 else { return nil }
    var i = 0
    var negative = false
    if start[0] == 0x2D || start[0] == 0x2B {
      negative = start[0] == 0x2D
      i = 1
    }
    guard let (value, stop) = scanDecimal(start, first: 0, from: i, end: limit, negative: negative)
    else { return nil }
    return (value, stop)
  }

  /// How many bytes from its start ``parseZeroPointFraction(_:)`` may read.
  public static let zeroPointFractionReach = 26

  /// Parses the commonest spelling of a probability — `0.` and 1 to 19 fraction digits, no
  /// exponent — with three word loads and no loop: the speculative front of
  /// ``parsePrefix(_:limit:)`` for the CSV fast path.
  ///
  /// The caller has checked that `start` begins with `0.` and that
  /// ``zeroPointFractionReach`` bytes from `start` can be read.
  ///
  /// - Returns: what ``parsePrefix(_:limit:)`` returns for the same bytes, or `nil` when the
  ///   text has another shape (no fraction digit, more than 19, an exponent) or a fast path
  ///   cannot round it; then ``parsePrefix(_:limit:)`` decides.
  @inline(__always)
  public static func parseZeroPointFraction(_ start: UnsafePointer<UInt8>) -> (
    value: Double, count: Int
  )? {
    // Up to 19 digits, leading zeros included, fit in a UInt64 exactly, so the value is
    // significand · 10^−digits with nothing dropped: what `scanDecimal` computes, which
    // skips the leading zeros but counts them in the exponent.
    let raw = UnsafeRawPointer(start)
    let first = raw.loadUnaligned(fromByteOffset: 2, as: UInt64.self)
    let firstCount = leadingDigitCount(first)
    var significand: UInt64
    var digits: Int
    if firstCount < 8 {
      if firstCount == 0 { return nil }
      significand = leadingDigitsValue(first, firstCount)
      digits = firstCount
    } else {
      let second = raw.loadUnaligned(fromByteOffset: 10, as: UInt64.self)
      let secondCount = leadingDigitCount(second)
      let high = eightDigitsValue(first)
      if secondCount < 8 {
        significand =
          secondCount == 0
          ? high : high &* smallPowerOfTen(secondCount) &+ leadingDigitsValue(second, secondCount)
        digits = 8 &+ secondCount
      } else {
        let third = raw.loadUnaligned(fromByteOffset: 18, as: UInt64.self)
        let thirdCount = leadingDigitCount(third)
        if thirdCount > 3 { return nil }
        let sixteen = high &* 100_000_000 &+ eightDigitsValue(second)
        // Without a branch on `thirdCount`, whose 0…3 vary from record to record.
        significand =
          sixteen &* smallPowerOfTen(thirdCount) &+ fewLeadingDigitsValue(third, thirdCount)
        digits = 16 &+ thirdCount
      }
    }
    let stop = 2 &+ digits
    if start[stop] | 0x20 == 0x65 { return nil }  // 'e': an exponent follows
    if significand == 0 { return (0.0, stop) }
    // `exactValue` for exponents −1…−19, which need no range checks: Clinger's division,
    // else Eisel–Lemire. The choice is by the count of digits, not by whether the
    // significand is at most 2⁵³ (which Clinger needs): probabilities printed in full have
    // 16 or 17 digits, and 16 digits fall on either side of 2⁵³ from record to record, so
    // that branch was a coin flip to the predictor; a count of 15 or fewer keeps the
    // significand below 10¹⁵ < 2⁵³, and Eisel–Lemire is exact for the rest.
    if digits <= 15 {
      return (Double(significand) / powersOfTen.withUnsafeBufferPointer { $0[digits] }, stop)
    }
    guard let value = eiselLemire(significand, -digits) else { return nil }
    return (value, stop)
  }

  /// The decimal that starts at `i` (past any sign), up to the first byte at or after `i`
  /// that cannot continue it (or `end`): its correctly rounded value and where it stopped.
  /// `nil` when there is no digit, or an exponent has none.
  ///
  /// - Parameter first: where the text with its sign starts, for the `strtod` fallback.
  @inline(__always)
  static func scanDecimal(
    _ start: UnsafePointer<UInt8>, first: Int, from i: Int, end: Int, negative: Bool
  ) -> (Double, Int)? {
    var i = i
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
      // Leading zeros of the fraction only scale; then eight digits at a time while they fit.
      if significand == 0 {
        while i < end && start[i] == 0x30 {
          sawDigit = true
          exponent &-= 1
          i &+= 1
        }
      }
      // Up to eight digits at a time while they fit in the 19 kept; the loop below takes
      // the rest. All are significant: leading zeros were skipped above.
      while i &+ 8 <= end {
        let word = UnsafeRawPointer(start + i).loadUnaligned(as: UInt64.self)
        let count = leadingDigitCount(word)
        if count == 0 || digitsKept &+ count > 19 { break }
        sawDigit = true
        significand = significand &* smallPowerOfTen(count) &+ leadingDigitsValue(word, count)
        digitsKept &+= count
        exponent &-= count
        i &+= count
        if count < 8 { break }
      }
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
    if significand == 0 { return (negative ? -0.0 : 0.0, i) }

    if !inexact, let magnitude = exactValue(significand, exponent) {
      return (negative ? -magnitude : magnitude, i)
    }
    guard let value = strtodFallback(start + first, count: i &- first) else { return nil }
    return (value, i)
  }

  /// The correctly rounded value of `significand · 10^exponent` (significand ≠ 0), when a
  /// fast path can prove it; `nil` otherwise.
  static func exactValue(_ significand: UInt64, _ exponent: Int) -> Double? {
    // Clinger: both operands exact doubles, so one IEEE operation rounds correctly.
    if significand <= 1 << 53 && exponent >= -22 && exponent <= 22 {
      let w = Double(significand)
      return exponent < 0 ? w / powersOfTen[-exponent] : w * powersOfTen[exponent]
    }
    return eiselLemire(significand, exponent)
  }

  /// The Eisel–Lemire algorithm: `significand · 10^exponent` from the 128-bit truncated
  /// mantissa of 10^exponent, or `nil` when the 128-bit product cannot decide the rounding
  /// (a near tie), or the result would be subnormal, infinite, or out of the table.
  ///
  /// Multiplying the normalized significand by the truncated mantissa gives a product that
  /// is at most a little below the exact one; when the bits below the 54 that matter are all
  /// ones, the low word of the mantissa refines it, and when that still cannot settle the
  /// carry, or the value sits exactly on a tie, the caller falls back to `strtod`. See
  /// Lemire, "Number parsing at a gigabyte per second" (2021), and Nigel Tao's write-up of
  /// the algorithm.
  static func eiselLemire(_ significand: UInt64, _ exponent: Int) -> Double? {
    guard powersOfTenRange.contains(exponent) else { return nil }
    let shift = significand.leadingZeroBitCount
    let w = significand << UInt64(shift)
    // The biased exponent of the result, up to the adjustments below; (217706·e) >> 16 is
    // ⌊e·log₂10⌋ over the table's range.
    var binaryExponent = ((217706 &* exponent) >> 16) &+ 64 &+ 1023 &- shift
    let row = 2 &* (exponent &- powersOfTenRange.lowerBound)
    var (high, low) = w.multipliedFullWidth(by: powersOfTenMantissas[row])
    if high & 0x1FF == 0x1FF && low &+ w < w {
      // The product's low bits are all ones: add the mantissa's low word's contribution.
      let (carryHigh, carryLow) = w.multipliedFullWidth(by: powersOfTenMantissas[row &+ 1])
      var mergedHigh = high
      let mergedLow = low &+ carryHigh
      if mergedLow < low { mergedHigh &+= 1 }
      if mergedHigh & 0x1FF == 0x1FF && mergedLow &+ 1 == 0 && carryLow &+ w < w {
        return nil
      }
      high = mergedHigh
      low = mergedLow
    }
    // The top 54 bits, then round to 53 (ties to even, unless exactly halfway is possible).
    let top = high >> 63
    var mantissa = high >> (top &+ 9)
    binaryExponent &-= Int(1 ^ top)
    if low == 0 && high & 0x1FF == 0 && mantissa & 3 == 1 { return nil }
    mantissa &+= mantissa & 1
    mantissa >>= 1
    if mantissa >> 53 > 0 {
      mantissa >>= 1
      binaryExponent &+= 1
    }
    guard binaryExponent >= 1 && binaryExponent < 0x7FF else { return nil }
    return Double(
      bitPattern: UInt64(binaryExponent) << 52 | (mantissa & 0x000F_FFFF_FFFF_FFFF))
  }

  /// How many of the bytes of `word`, loaded little-endian (the first byte in the low
  /// byte), are ASCII digits before the first that is not (8 when all are).
  ///
  /// SWAR: with t = byte − '0' (as `word ^ 0x30…30`, which agrees with the subtraction on
  /// digits), a byte is a digit exactly when t ≤ 9, that is when neither t nor t + 0x76 has
  /// its high bit set. Carries out of a byte only come from bytes that are not digits, and
  /// only reach bytes after them, so the lowest flagged byte is exact.
  @inline(__always)
  static func leadingDigitCount(_ word: UInt64) -> Int {
    let t = word ^ 0x3030_3030_3030_3030
    let flagged = ((t &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
    return flagged.trailingZeroBitCount &>> 3
  }

  /// The value of the first `count` (0…7) bytes of `word`, which are ASCII digits: 0 for
  /// none, without a branch.
  @inline(__always)
  static func fewLeadingDigitsValue(_ word: UInt64, _ count: Int) -> UInt64 {
    // As `leadingDigitsValue`, with the shift split in two so that a count of 0 shifts the
    // word out whole (a single shift by 64 would be taken modulo 64).
    let padded =
      (word &<< UInt64(63 &- 8 &* count)) &<< 1 | 0x3030_3030_3030_3030 &>> UInt64(8 &* count)
    return eightDigitsValue(padded)
  }

  /// The value of the first `count` (1…8) bytes of `word`, which are ASCII digits.
  @inline(__always)
  static func leadingDigitsValue(_ word: UInt64, _ count: Int) -> UInt64 {
    // The digits moved to the top bytes, '0's below them: the same value, as eight digits.
    let padded =
      count == 8
      ? word : word &<< UInt64(64 &- 8 &* count) | 0x3030_3030_3030_3030 &>> UInt64(8 &* count)
    return eightDigitsValue(padded)
  }

  /// 10^`count` for `count` in 0…8.
  @inline(__always)
  static func smallPowerOfTen(_ count: Int) -> UInt64 {
    // A load rather than a switch, whose indirect jump would mispredict as lengths vary.
    smallPowersOfTen.withUnsafeBufferPointer { $0[count] }
  }

  /// 10^0 … 10^8, a literal (initialized statically).
  static let smallPowersOfTen: [UInt64] = [
    1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
  ]

  /// The value of eight ASCII digits loaded little-endian: pairs, quads and octets of
  /// digits combined with three multiplies (SWAR).
  @inline(__always)
  static func eightDigitsValue(_ word: UInt64) -> UInt64 {
    var v = word &- 0x3030_3030_3030_3030
    v = (v &* 10) &+ (v >> 8)  // each even byte: two digits
    let pairs: UInt64 = 0x0000_00FF_0000_00FF
    v =
      ((v & pairs) &* (100 &+ (1_000_000 << 32)) &+ ((v >> 16) & pairs) &* (1 &+ (10_000 << 32)))
      >> 32
    return v
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

  /// 10^0 … 10^22, every one exact. A literal, so that it is initialized statically (no
  /// lazy-initialization check on each use).
  static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]
}
