/// A cheaper exact add for the terms of the CSV fast path: a positive term from 2⁻⁵⁷ up to
/// 2⁷ is added to an integer bucket of its binary exponent, and any other term — negative
/// ones included — goes to an ``ExactSum`` at once. ``flush(into:)`` moves the buckets into
/// the ``ExactSum``, exactly.
///
/// A term in that range is its significand (below 2⁵³, the implicit bit included) times the
/// power of two of its exponent, so the bucket of that exponent holds a whole number of its
/// units, and 2,048 such significands stay below 2⁶⁴. An add is a shift, a mask and an add
/// to memory, against ``ExactSum/add(_:)``'s three limb updates at an index that depends on
/// the term; every 2,048 adds the buckets are moved into the ``ExactSum``
/// (``flush(into:)``), which costs less than one add's worth per add. The range holds every
/// probability down to 2⁻⁵⁷ and every loss the clip presets allow (at most 100); the fast
/// path's terms are never negative (−0 aside, which spills), so the add has no sign to
/// handle.
///
/// After ``flush(into:)`` the ``ExactSum`` holds exactly the sum of every term, in any order
/// and however they were split among sums.
struct FixedPointSum {
  /// The number of buckets: biased exponents ``firstExponent`` ..< ``firstExponent`` + 64.
  private static let bucketCount = 64
  /// The biased exponent of bucket 0: 2⁻⁵⁷.
  private static let firstExponent = 1023 - 57
  /// Adds between two moves of the buckets: 2¹¹ significands below 2⁵³ stay below 2⁶⁴.
  private static let addsPerFlush = 1 << 11

  private var buckets = InlineArray<64, UInt64>(repeating: 0)
  /// Adds left before the buckets must be moved into the ``ExactSum``.
  private var room = FixedPointSum.addsPerFlush

  /// Adds `x` exactly: here when it is positive and in the range, else to `sum`.
  @inline(__always)
  mutating func add(_ x: Double, spillingInto sum: inout ExactSum) {
    let bits = x.bitPattern
    // The sign bit is taken with the exponent, so that a negative term is far out of range.
    let index = Int(truncatingIfNeeded: bits &>> 52) &- FixedPointSum.firstExponent
    guard UInt(bitPattern: index) < UInt(FixedPointSum.bucketCount) else {
      FixedPointSum.spill(x, into: &sum)  // negative, tiny, zero, huge, infinite or NaN
      return
    }
    buckets[unchecked: index] &+= (bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000
    room &-= 1
    if room == 0 { flush(into: &sum) }
  }

  /// Out of line: the fast path's loop stays small.
  @inline(never)
  private static func spill(_ x: Double, into sum: inout ExactSum) { sum.add(x) }

  /// Moves the buckets into `sum` and empties them: due before `sum` is read or merged.
  @inline(never)
  mutating func flush(into sum: inout ExactSum) {
    if room == FixedPointSum.addsPerFlush { return }
    for i in 0..<FixedPointSum.bucketCount where buckets[i] != 0 {
      // Bucket i counts units of 2^(firstExponent + i − 1075), the last significand bit of
      // its exponent; its two 32-bit halves are exact doubles, and so are their products
      // with powers of two in the normal range.
      let unit = FixedPointSum.firstExponent + i - 1075
      let word = buckets[i]
      sum.add(Double(word & 0xFFFF_FFFF) * Double(sign: .plus, exponent: unit, significand: 1))
      sum.add(Double(word >> 32) * Double(sign: .plus, exponent: unit + 32, significand: 1))
      buckets[i] = 0
    }
    room = FixedPointSum.addsPerFlush
  }
}
