/// An exact sum of doubles: the mathematical sum of every term added, rounded once.
///
/// Every finite double is an integer multiple of 2⁻¹⁰⁷⁴, so any sum of them is too, and
/// integer addition is exact, associative and commutative. `ExactSum` keeps that integer in
/// fixed point, so the result does not depend on the order in which terms are added or on
/// how partial sums are merged: this is what makes `bce`'s results bitwise identical for any
/// thread count, chunk size or split of the input.
///
/// The terms of a prediction log — losses, labels, probabilities, weights — nearly all lie
/// within a narrow band of magnitudes, so the sum keeps a 224-bit window of the fixed-point
/// integer (bits of weight 2⁻¹¹⁴ to 2¹¹⁰) inline, in seven signed limbs that each carry a
/// radix-2³² digit. A term whose significand falls in the window — 2⁻⁶² ≤ |x| < 2⁹⁸ —
/// is added with three integer adds;
/// carries between limbs are deferred and propagated every 2³⁰ adds. Any other term —
/// tiny, huge, infinite or NaN — goes to a ``WideSum`` that covers the whole double range,
/// allocated only when the first such term arrives. The value is the two parts added exactly
/// and rounded once, to nearest, ties to even.
///
/// The inline part is 72 bytes, so a tally per group stays small.
///
/// - Complexity: `add` is O(1); `merge` and `value` are O(1) for the window and O(68) once a
///   wide part exists.
public struct ExactSum: Sendable {
  /// The ``WideSum`` limb that window limb 0 stands for (weight 2^(32·30 − 1074) = 2⁻¹¹⁴).
  static let windowBase = 30
  static let windowLimbs = 7
  /// A window limb holding more than this after carry propagation is moved to the wide part.
  static let spillThreshold: Int64 = 1 << 40
  /// What a merge counts as, in adds, toward the carry budget (see ``merge(_:)``).
  static let mergeCost = 1 << 8

  /// Window limb `i` has weight 2^(32·(30 + i) − 1074). Invariant: every limb stays below
  /// 2⁴⁰ + `pendingAdds` · 2³² < 2⁶³ in magnitude (digits below 2³² per add, at most 2³⁰
  /// adds between propagations, and the top limb spilled to `wide` when it passes 2⁴⁰).
  var window: InlineArray<7, Int64>
  /// Adds to the window since the last carry propagation.
  var pendingAdds: Int
  /// Terms outside the window, and limbs spilled from it; `nil` until needed. Shared between
  /// copies until one of them changes it (copy on write).
  private var wide: WideBox?

  /// An empty sum (value +0).
  public init() {
    window = InlineArray(repeating: 0)
    pendingAdds = 0
    wide = nil
  }

  /// A sum holding exactly what `wide` holds.
  init(_ wide: WideSum) {
    self.init()
    self.wide = WideBox(wide)
  }

  /// Adds one term exactly.
  ///
  /// - Complexity: O(1); every 2³⁰ adds, one carry propagation over the window.
  @inline(__always)
  public mutating func add(_ x: Double) {
    let bits = x.bitPattern
    if bits << 1 == 0 { return }  // ±0
    let biased = Int((bits >> 52) & 0x7FF)
    let offset = WideSum.offset(biased)
    let index = (offset &>> 5) &- ExactSum.windowBase
    guard biased != 0x7FF, UInt(bitPattern: index) <= UInt(ExactSum.windowLimbs - 3) else {
      addWide(x)
      return
    }
    let (digit0, digit1, digit2) = WideSum.digits(bits, offset)
    if bits >> 63 == 0 {
      window[unchecked: index] &+= digit0
      window[unchecked: index &+ 1] &+= digit1
      window[unchecked: index &+ 2] &+= digit2
    } else {
      window[unchecked: index] &-= digit0
      window[unchecked: index &+ 1] &-= digit1
      window[unchecked: index &+ 2] &-= digit2
    }
    pendingAdds &+= 1
    if pendingAdds >= WideSum.addsBetweenCarries { normalize() }
  }

  @inline(never)
  private mutating func addWide(_ x: Double) {
    uniqueWide().sum.add(x)
  }

  /// The wide part, made if missing and copied if shared.
  private mutating func uniqueWide() -> WideBox {
    if wide == nil {
      wide = WideBox(WideSum())
    } else if !isKnownUniquelyReferenced(&wide!) {
      wide = WideBox(wide!.sum)
    }
    return wide!
  }

  /// Propagates the window's carries; moves a top limb that grew large to the wide part.
  @inline(never)
  mutating func normalize() {
    var carry: Int64 = 0
    for i in 0..<(ExactSum.windowLimbs - 1) {
      let v = window[unchecked: i] &+ carry
      carry = v >> 32  // arithmetic shift: floor division by 2³²
      window[unchecked: i] = v & 0xFFFF_FFFF
    }
    let top = ExactSum.windowLimbs - 1
    window[unchecked: top] &+= carry
    if abs(window[unchecked: top]) > ExactSum.spillThreshold {
      uniqueWide().sum.addToLimb(ExactSum.windowBase + top, window[unchecked: top])
      window[unchecked: top] = 0
    }
    pendingAdds = 0
  }

  /// Adds every term of another sum, exactly.
  ///
  /// - Complexity: O(1), or O(68) when either sum has a wide part.
  public mutating func merge(_ other: ExactSum) {
    // A limb holds less than 2⁴⁰ + pendingAdds · 2³²; a merge adds the other side's limbs,
    // which counts as its pending adds plus 2⁸ adds (2⁴⁰ / 2³²). Propagate carries first only
    // when the total would pass the carry budget.
    var other = other
    let cost = pendingAdds + other.pendingAdds + ExactSum.mergeCost
    if cost < WideSum.addsBetweenCarries {
      for i in 0..<ExactSum.windowLimbs {
        window[unchecked: i] &+= other.window[unchecked: i]
      }
      pendingAdds = cost
    } else {
      other.normalize()  // may spill its top limb into its wide part, merged below
      normalize()
      for i in 0..<ExactSum.windowLimbs {
        window[unchecked: i] &+= other.window[unchecked: i]
      }
      pendingAdds = ExactSum.mergeCost
    }
    if let otherWide = other.wide {
      uniqueWide().sum.merge(otherWide.sum)
    }
  }

  /// Both parts as one ``WideSum``.
  var wideValue: WideSum {
    var sum = wide?.sum ?? WideSum()
    // One carry propagation before and one after, rather than two per limb: after the first,
    // every limb is below 2³², and each window limb (below 2⁶² + 2⁴⁰) goes to a limb of its own.
    sum.normalize()
    for i in 0..<ExactSum.windowLimbs {
      sum.limbs[unchecked: ExactSum.windowBase + i] &+= window[unchecked: i]
    }
    sum.normalize()
    return sum
  }

  /// The exact sum rounded once to the nearest double (ties to even).
  ///
  /// A sum whose exact value lies beyond the double range rounds to ±∞. With non-finite
  /// terms, the value is what IEEE arithmetic gives: +∞ and −∞ together, or any NaN, make NaN.
  public var value: Double { wideValue.value }

  /// Number of +∞ terms added.
  public var positiveInfinities: Int { wide?.sum.positiveInfinities ?? 0 }
  /// Number of −∞ terms added.
  public var negativeInfinities: Int { wide?.sum.negativeInfinities ?? 0 }
  /// Number of NaN terms added.
  public var nans: Int { wide?.sum.nans ?? 0 }
}

extension ExactSum: Equatable {
  /// Two sums are equal when they hold the same exact value and the same non-finite counts,
  /// however their terms were split between the window and the wide part.
  public static func == (lhs: ExactSum, rhs: ExactSum) -> Bool {
    lhs.wideValue == rhs.wideValue
  }
}

/// A ``WideSum`` on the heap, so that an ``ExactSum`` without one stays small.
final class WideBox: @unchecked Sendable {
  // @unchecked: `ExactSum` copies the box before changing a shared one (copy on write), so a
  // box that can be seen from two threads is never written.
  var sum: WideSum

  init(_ sum: WideSum) { self.sum = sum }
}
