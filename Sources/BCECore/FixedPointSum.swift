/// A cheaper exact add for the terms of the CSV fast path: a term from 2⁻¹⁸ up to 2⁵⁸ is
/// added as a 128-bit fixed-point integer in units of 2⁻⁷⁰, in three words that stay in
/// registers; any other term goes to an ``ExactSum`` at once. ``flush(into:)`` moves the
/// integer into the ``ExactSum``, exactly.
///
/// Every term in that range is a whole number of units: its significand (below 2⁵³) times
/// 2^s with 0 ≤ s ≤ 75, below 2¹²⁸. An add is a shift and an add with carry, against
/// ``ExactSum/add(_:)``'s three limb updates in memory at an index that depends on the term:
/// on the fast path of `scripts/scaling.sh`'s 5M-row file those cost 15 % of the CPU.
///
/// The value is `high · 2⁵⁸ + middle · 2⁻⁶ + low · 2⁻⁷⁰` (`high` signed, the others
/// unsigned). `high` moves by at most 1 per add, so it cannot overflow in fewer than 2⁶³
/// adds. After ``flush(into:)`` the ``ExactSum`` holds exactly the sum of every term, in any
/// order and however they were split among sums.
struct FixedPointSum {
  private var low: UInt64 = 0
  private var middle: UInt64 = 0
  private var high: Int64 = 0

  /// The biased exponent of the smallest term taken: 2⁻¹⁸, whose last significand bit is the
  /// unit 2⁻⁷⁰.
  private static let firstExponent = 1005
  /// Shifts of a significand from 0 (for 2⁻¹⁸) to 75 (up to 2⁵⁸) keep it below 2¹²⁸.
  private static let maxShift = 75

  /// Adds `x` exactly: here when it is in the range, else to `sum`.
  @inline(__always)
  mutating func add(_ x: Double, spillingInto sum: inout ExactSum) {
    let bits = x.bitPattern
    let shift = Int(truncatingIfNeeded: (bits &>> 52) & 0x7FF) &- FixedPointSum.firstExponent
    guard UInt(bitPattern: shift) <= UInt(FixedPointSum.maxShift) else {
      FixedPointSum.spill(x, into: &sum)  // tiny, zero, huge, infinite or NaN
      return
    }
    let significand = (bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000
    // significand << shift as two words: (a, b) for shifts below 64, (0, a) from 64 on.
    let s = UInt64(truncatingIfNeeded: shift & 63)
    let a = significand &<< s
    let b = (significand &>> 1) &>> (63 &- s)  // the bits shifted out of a (none for s = 0)
    let wide = shift >= 64
    let termLow = wide ? 0 : a
    let termMiddle = wide ? a : b
    if bits >> 63 == 0 {
      let (l, c1) = low.addingReportingOverflow(termLow)
      // termMiddle + 1 < 2⁶⁴: it is at most (2⁵³ − 1) · 2¹¹.
      let (m, c2) = middle.addingReportingOverflow(termMiddle &+ (c1 ? 1 : 0))
      low = l
      middle = m
      high &+= c2 ? 1 : 0
    } else {
      let (l, b1) = low.subtractingReportingOverflow(termLow)
      let (m, b2) = middle.subtractingReportingOverflow(termMiddle &+ (b1 ? 1 : 0))
      low = l
      middle = m
      high &-= b2 ? 1 : 0
    }
  }

  /// Out of line: the fast path's loop stays small.
  @inline(never)
  private static func spill(_ x: Double, into sum: inout ExactSum) { sum.add(x) }

  /// Moves the integer into `sum` and sets it to 0: due before `sum` is read or merged.
  mutating func flush(into sum: inout ExactSum) {
    if low == 0 && middle == 0 && high == 0 { return }
    // Six pieces of 32 bits (the top one signed), each exact as a double, scaled by powers
    // of two that keep them normal numbers: 2⁻⁷⁰, 2⁻³⁸, 2⁻⁶, 2²⁶, 2⁵⁸, 2⁹⁰.
    for i in 0..<6 {
      let word = i < 2 ? low : i < 4 ? middle : UInt64(bitPattern: high)
      let piece =
        i & 1 == 0 ? Double(word & 0xFFFF_FFFF) : i == 5 ? Double(high >> 32) : Double(word >> 32)
      if piece != 0 {
        sum.add(piece * Double(sign: .plus, exponent: 32 * i - 70, significand: 1))
      }
    }
    low = 0
    middle = 0
    high = 0
  }
}
