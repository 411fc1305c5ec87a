/// A cheaper exact add for the terms of the CSV fast path: a positive term from 2⁻¹⁸ up to
/// 2⁵⁸ is added as a 128-bit fixed-point integer in units of 2⁻⁷⁰, which stays in
/// registers; any other term — negative ones included — goes to an ``ExactSum`` at once.
/// ``flush(into:)`` moves the integer into the ``ExactSum``, exactly.
///
/// Every term in that range is a whole number of units: its significand (below 2⁵³) times
/// 2^s with 0 ≤ s ≤ 75, below 2¹²⁸. An add is a 128-bit shift and add, against
/// ``ExactSum/add(_:)``'s three limb updates in memory at an index that depends on the term:
/// on the fast path of `scripts/scaling.sh`'s 5M-row file those cost 15 % of the CPU. The
/// fast path's terms — losses and probabilities — are never negative (−0 aside, which
/// spills), so the add has no sign to handle.
///
/// The value is `carries · 2⁵⁸ + value · 2⁻⁷⁰`. `carries` moves by at most 1 per add, so it
/// cannot overflow in fewer than 2⁶³ adds. After ``flush(into:)`` the ``ExactSum`` holds
/// exactly the sum of every term, in any order and however they were split among sums.
struct FixedPointSum {
  private var value: UInt128 = 0
  private var carries: Int64 = 0

  /// The biased exponent of the smallest term taken: 2⁻¹⁸, whose last significand bit is the
  /// unit 2⁻⁷⁰.
  private static let firstExponent = 1005
  /// Shifts of a significand from 0 (for 2⁻¹⁸) to 75 (up to 2⁵⁸) keep it below 2¹²⁸.
  private static let maxShift = 75

  /// Adds `x` exactly: here when it is positive and in the range, else to `sum`.
  @inline(__always)
  mutating func add(_ x: Double, spillingInto sum: inout ExactSum) {
    let bits = x.bitPattern
    // The sign bit is taken with the exponent, so that a negative term is far out of range.
    let shift = Int(truncatingIfNeeded: bits &>> 52) &- FixedPointSum.firstExponent
    guard UInt(bitPattern: shift) <= UInt(FixedPointSum.maxShift) else {
      FixedPointSum.spill(x, into: &sum)  // negative, tiny, zero, huge, infinite or NaN
      return
    }
    let significand = (bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000
    let (total, carry) = value.addingReportingOverflow(
      UInt128(significand) &<< UInt128(truncatingIfNeeded: shift))
    value = total
    carries &+= carry ? 1 : 0
  }

  /// Out of line: the fast path's loop stays small.
  @inline(never)
  private static func spill(_ x: Double, into sum: inout ExactSum) { sum.add(x) }

  /// Moves the integer into `sum` and sets it to 0: due before `sum` is read or merged.
  mutating func flush(into sum: inout ExactSum) {
    if value == 0 && carries == 0 { return }
    let low = UInt64(truncatingIfNeeded: value)
    let middle = UInt64(truncatingIfNeeded: value &>> 64)
    // Six pieces of 32 bits, each exact as a double, scaled by powers of two that keep them
    // normal numbers: 2⁻⁷⁰, 2⁻³⁸, 2⁻⁶, 2²⁶, 2⁵⁸, 2⁹⁰.
    for i in 0..<6 {
      let word = i < 2 ? low : i < 4 ? middle : UInt64(bitPattern: carries)
      let piece = Double(i & 1 == 0 ? word & 0xFFFF_FFFF : word >> 32)
      if piece != 0 {
        sum.add(piece * Double(sign: .plus, exponent: 32 * i - 70, significand: 1))
      }
    }
    value = 0
    carries = 0
  }
}
