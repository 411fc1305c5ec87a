/// An exact sum of doubles over the whole double range: the mathematical sum of every term
/// added, rounded once. ``ExactSum`` keeps its common terms in a narrow window and only the
/// rest in a `WideSum`.
///
/// `WideSum` is a fixed-point "superaccumulator" wide enough for the whole double range.
/// Every finite double is an integer multiple of 2⁻¹⁰⁷⁴, so the sum of any number of them is
/// too; the accumulator keeps that integer in 68 signed 64-bit limbs that each carry a
/// radix-2³² digit. Adding a term splits its 53-bit significand over (at most) three
/// adjacent limbs with plain integer adds; carries between limbs are deferred, because a limb
/// has 31 bits of headroom above its digit, and are propagated only every 2³⁰ adds and
/// before reading the value. Infinities and NaNs are counted apart from the finite part.
///
/// Because integer addition is associative and commutative, the result does not depend on
/// the order in which terms are added or on how partial sums are merged: this is what makes
/// `bce`'s results bitwise identical for any thread count, chunk size or split of the input.
///
/// - Complexity: `add` is O(1) (a few integer operations); `merge` and `value` are O(68).
struct WideSum: Sendable {
  /// Number of limbs; limb `i` has weight 2^(32·i − 1074).
  ///
  /// Terms reach limb 65 at most (the top bit of the largest double has weight 2¹⁰²³); the
  /// two limbs above hold the carries of sums beyond the double range, up to 2⁶³ terms.
  static let limbCount = 68
  static let digitBits: Int64 = 32
  /// Adds allowed between carry propagations. A limb receives less than 2³² in magnitude per
  /// add and holds less than 2³² after propagation, so 2³⁰ adds keep it far below 2⁶³.
  static let addsBetweenCarries = 1 << 30

  /// The digits. Invariant: after `normalize()`, limbs 0..<67 are in [0, 2³²) and limb 67
  /// carries the sign; between normalizations every limb stays below 2⁶² in magnitude.
  var limbs: InlineArray<68, Int64>
  /// Adds since the last carry propagation.
  var pendingAdds: Int
  /// Number of +∞ terms added.
  var positiveInfinities: Int
  /// Number of −∞ terms added.
  var negativeInfinities: Int
  /// Number of NaN terms added.
  var nans: Int

  /// An empty sum (value +0).
  init() {
    limbs = InlineArray(repeating: 0)
    pendingAdds = 0
    positiveInfinities = 0
    negativeInfinities = 0
    nans = 0
  }

  /// Adds one term exactly.
  ///
  /// - Complexity: O(1); every 2³⁰ adds, one O(68) carry propagation.
  mutating func add(_ x: Double) {
    let bits = x.bitPattern
    let biased = Int((bits >> 52) & 0x7FF)
    if biased == 0x7FF {
      addNonFinite(x)
      return
    }
    if bits << 1 == 0 { return }  // ±0
    let offset = WideSum.offset(biased)
    let index = offset &>> 5
    let (digit0, digit1, digit2) = WideSum.digits(bits, offset)
    if bits >> 63 == 0 {
      limbs[unchecked: index] &+= digit0
      limbs[unchecked: index &+ 1] &+= digit1
      limbs[unchecked: index &+ 2] &+= digit2
    } else {
      limbs[unchecked: index] &-= digit0
      limbs[unchecked: index &+ 1] &-= digit1
      limbs[unchecked: index &+ 2] &-= digit2
    }
    pendingAdds &+= 1
    if pendingAdds >= WideSum.addsBetweenCarries { normalize() }
  }

  /// The bit offset of a finite term's lowest significand bit above 2⁻¹⁰⁷⁴: the term is
  /// significand · 2^(offset − 1074), offset = max(biased exponent, 1) − 1. Its digits go to
  /// limbs offset/32 ... offset/32 + 2.
  @inline(__always)
  static func offset(_ biased: Int) -> Int { (biased == 0 ? 1 : biased) &- 1 }

  /// The three radix-2³² digits of a finite term's significand (its bit pattern `bits`),
  /// shifted to its `offset` within the lowest of its three limbs.
  @inline(__always)
  static func digits(_ bits: UInt64, _ offset: Int) -> (Int64, Int64, Int64) {
    var significand = bits & 0x000F_FFFF_FFFF_FFFF
    if bits & 0x7FF0_0000_0000_0000 != 0 { significand |= 0x0010_0000_0000_0000 }
    let shift = UInt64(offset & 31)
    let low = significand &<< shift
    let high = shift == 0 ? 0 : significand &>> (64 &- shift)
    return (Int64(low & 0xFFFF_FFFF), Int64(low &>> 32), Int64(high))
  }

  mutating func addNonFinite(_ x: Double) {
    if x.isNaN {
      nans += 1
    } else if x > 0 {
      positiveInfinities += 1
    } else {
      negativeInfinities += 1
    }
  }

  /// Adds every term of another sum, exactly.
  ///
  /// - Complexity: O(68).
  mutating func merge(_ other: WideSum) {
    var other = other
    other.normalize()
    normalize()
    for i in 0..<WideSum.limbCount {
      limbs[unchecked: i] &+= other.limbs[unchecked: i]
    }
    pendingAdds = 1
    positiveInfinities += other.positiveInfinities
    negativeInfinities += other.negativeInfinities
    nans += other.nans
  }

  /// Adds `value` · 2^(32·index − 1074): a limb of an ``ExactSum`` window.
  ///
  /// `value` must be below 2⁶² in magnitude.
  mutating func addToLimb(_ index: Int, _ value: Int64) {
    if value == 0 { return }
    normalize()
    limbs[unchecked: index] &+= value
    normalize()
  }

  /// Propagates the deferred carries so that limbs 0..<67 are in [0, 2³²).
  mutating func normalize() {
    var carry: Int64 = 0
    for i in 0..<(WideSum.limbCount - 1) {
      let v = limbs[unchecked: i] &+ carry
      carry = v >> WideSum.digitBits  // arithmetic shift: floor division by 2³²
      limbs[unchecked: i] = v & 0xFFFF_FFFF
    }
    limbs[unchecked: WideSum.limbCount - 1] &+= carry
    pendingAdds = 0
  }

  /// The exact sum rounded once to the nearest double (ties to even).
  ///
  /// A sum whose exact value lies beyond the double range rounds to ±∞. With non-finite
  /// terms, the value is what IEEE arithmetic gives: +∞ and −∞ together, or any NaN, make NaN.
  var value: Double {
    if nans > 0 || (positiveInfinities > 0 && negativeInfinities > 0) { return .nan }
    if positiveInfinities > 0 { return .infinity }
    if negativeInfinities > 0 { return -.infinity }
    var copy = self
    copy.normalize()
    let negative = copy.limbs[unchecked: WideSum.limbCount - 1] < 0
    if negative { copy.negate() }
    let magnitude = copy.roundedMagnitude()
    return negative ? -magnitude : magnitude
  }

  /// Replaces a normalized value by its negation, normalized again.
  mutating func negate() {
    for i in 0..<WideSum.limbCount {
      limbs[unchecked: i] = 0 &- limbs[unchecked: i]
    }
    normalize()
  }

  /// The value of a normalized, non-negative accumulator, rounded to the nearest double.
  private func roundedMagnitude() -> Double {
    // The limbs through a span: indexing the stored InlineArray of a non-mutating `self`
    // copied all 68 limbs per access here (a 100k-group report spent a third of its time
    // in memmove).
    let limbs = self.limbs.span
    // The integer N with value N · 2⁻¹⁰⁷⁴; the top limb may hold more than 32 bits.
    var top = WideSum.limbCount - 1
    while top >= 0 && limbs[unchecked: top] == 0 { top -= 1 }
    if top < 0 { return 0 }
    let topBits = 64 - UInt64(limbs[unchecked: top]).leadingZeroBitCount
    let bitLength = top * 32 + topBits
    if bitLength <= 53 {
      // Exactly representable: N < 2⁵³ and N · 2⁻¹⁰⁷⁴ is a multiple of the subnormal step.
      return Double(WideSum.bits(limbs, below: bitLength, count: bitLength))
        * Double.leastNonzeroMagnitude
    }
    // The top 64 bits of N, and whether any bit below them is set.
    // With fewer than 64 bits, the window is N itself, moved to the top.
    let window =
      bitLength >= 64
      ? WideSum.bits(limbs, below: bitLength, count: 64)
      : WideSum.bits(limbs, below: bitLength, count: bitLength) << UInt64(64 - bitLength)
    let sticky = WideSum.anyBitSet(limbs, below: bitLength - 64)
    var significand = window >> 11
    let dropped = window & 0x7FF
    let half: UInt64 = 0x400
    if dropped > half || (dropped == half && (sticky || significand & 1 == 1)) {
      significand += 1
    }
    var exponentBits = bitLength - 52  // biased exponent of 2^(bitLength − 1 − 1074)
    if significand == 1 << 53 {
      significand >>= 1
      exponentBits += 1
    }
    if exponentBits >= 0x7FF { return .infinity }
    return Double(
      bitPattern: UInt64(exponentBits) << 52 | (significand & 0x000F_FFFF_FFFF_FFFF))
  }

  /// The `count` (≤ 64) bits of N just below bit position `end`, as an integer.
  private static func bits(_ limbs: Span<Int64>, below end: Int, count: Int) -> UInt64 {
    var result: UInt64 = 0
    var position = end - count
    // Assemble bit by limb: each step takes the part of one limb that falls in range.
    var taken = 0
    while taken < count {
      let index = position >> 5
      let within = position & 31
      let available = index == WideSum.limbCount - 1 ? 64 - within : 32 - within
      let take = min(available, count - taken)
      let limb = UInt64(bitPattern: limbs[unchecked: index]) >> UInt64(within)
      let part = take == 64 ? limb : limb & ((1 << UInt64(take)) - 1)
      result |= part << UInt64(taken)
      taken += take
      position += take
    }
    return result
  }

  /// Whether any bit of N below position `end` is set.
  private static func anyBitSet(_ limbs: Span<Int64>, below end: Int) -> Bool {
    if end <= 0 { return false }
    let index = end >> 5
    for i in 0..<index where limbs[unchecked: i] != 0 { return true }
    let within = end & 31
    if within == 0 { return false }
    return UInt64(limbs[unchecked: index]) & ((1 << UInt64(within)) - 1) != 0
  }
}

extension WideSum: Equatable {
  /// Two sums are equal when they hold the same exact value and the same non-finite counts.
  static func == (lhs: WideSum, rhs: WideSum) -> Bool {
    var a = lhs
    var b = rhs
    a.normalize()
    b.normalize()
    for i in 0..<WideSum.limbCount where a.limbs[unchecked: i] != b.limbs[unchecked: i] {
      return false
    }
    return a.positiveInfinities == b.positiveInfinities
      && a.negativeInfinities == b.negativeInfinities && a.nans == b.nans
  }
}
