/// An independent reference for the correctly rounded sum of doubles, to test ``ExactSum``
/// against.
///
/// This is Shewchuk's algorithm as CPython's `math.fsum` implements it
/// (Modules/mathmodule.c, after J. R. Shewchuk, "Adaptive Precision Floating-Point
/// Arithmetic and Fast Robust Geometric Predicates", Discrete & Computational Geometry 18,
/// 1997): the running sum is kept as a list of non-overlapping partials, each new term is
/// folded in with exact two-sums ("msum"), and at the end the partials are added from the
/// largest down, with CPython's fix-up that makes the final rounding half-even even when
/// the tie is decided by a lower partial.
///
/// It works for finite inputs whose partial sums stay finite; it returns `nil` when an
/// intermediate overflows (CPython then falls back to special handling that this reference
/// does not reproduce).
public enum FsumReference {
  /// The sum of `terms`, rounded once to the nearest double (ties to even), or `nil` when a
  /// term is not finite or an intermediate sum overflows.
  public static func sum<S: Sequence>(_ terms: S) -> Double? where S.Element == Double {
    var partials: [Double] = []
    for term in terms {
      guard term.isFinite else { return nil }
      var x = term
      var i = 0
      for j in partials.indices {
        var y = partials[j]
        if abs(x) < abs(y) { swap(&x, &y) }
        let hi = x + y
        guard hi.isFinite else { return nil }
        let lo = y - (hi - x)
        if lo != 0 {
          partials[i] = lo
          i += 1
        }
        x = hi
      }
      partials.removeSubrange(i...)
      if x != 0 { partials.append(x) }
    }
    return roundPartials(partials)
  }

  /// CPython's final step: adds the non-overlapping partials from the top, stopping at the
  /// first inexact addition, then corrects a half-way case using the sign of the next partial.
  private static func roundPartials(_ partials: [Double]) -> Double? {
    var n = partials.count
    guard n > 0 else { return 0 }
    n -= 1
    var hi = partials[n]
    var lo = 0.0
    while n > 0 {
      let x = hi
      n -= 1
      let y = partials[n]
      hi = x + y
      guard hi.isFinite else { return nil }
      let yr = hi - x
      lo = y - yr
      if lo != 0 { break }
    }
    if n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0)) {
      let y = lo * 2
      let x = hi + y
      let yr = x - hi
      if y == yr { hi = x }
    }
    return hi
  }
}
