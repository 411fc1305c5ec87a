#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The clipping conventions of the frameworks users compare `bce` with (SPEC §3).
public enum ClipPreset: String, CaseIterable, Sendable {
  /// scikit-learn ≥ 1.5: clip to [ε, 1−ε] with ε the float64 machine epsilon.
  case sklearn
  /// Spark MLlib: each label term's probability is clipped to [1e-15, 1−1e-15].
  case spark
  /// Keras 3 `BinaryCrossentropy`: clip to [1e-7, 1−1e-7].
  case keras
  /// PyTorch `BCELoss`: no clipping; each logarithm is floored at −100.
  case torch
  /// No clipping: a confident wrong prediction costs +∞.
  case none
}

/// How predictions are clipped before the logarithm.
public enum Clipping: Sendable, Hashable {
  case preset(ClipPreset)
  /// Clip to [ε, 1−ε] with a custom ε in [0, 0.5).
  case epsilon(Double)
}

/// The per-record loss of SPEC §3 for one prediction convention.
///
/// Probabilities: L = −(y·ln p + (1−y)·ln(1−p)) with p the clipped prediction, ln(1−p)
/// computed as `log1p(−p)`, and a term whose coefficient (y or 1−y) is exactly 0 left out.
/// Logits s: L = max(s, 0) − s·y + log1p(exp(−|s|)), with the limits for s = ±∞.
/// `log`, `log1p` and `exp` are the C library's, so every term can be reproduced.
public struct LossFormula: Sendable, Hashable, FastLossKernel {
  enum Rule: Hashable {
    /// p = min(max(ŷ, low), high).
    case clamp(low: Double, high: Double)
    case spark
    case torch
    case logits
  }

  let rule: Rule
  /// How probabilities are clipped; `nil` for logits.
  public let clipping: Clipping?

  /// Spark MLlib's clipping bound.
  static let sparkEpsilon = 1e-15
  /// PyTorch's floor for each logarithm, and the prediction below which it applies.
  static let torchFloor = -100.0
  static let torchThreshold = exp(-100.0)

  /// The formula for probabilities clipped as `clipping` says.
  public init(clipping: Clipping) {
    self.clipping = clipping
    switch clipping {
    case .preset(.sklearn): rule = .clamp(low: Double.ulpOfOne, high: 1 - Double.ulpOfOne)
    case .preset(.keras): rule = .clamp(low: 1e-7, high: 1 - 1e-7)
    case .preset(.none): rule = .clamp(low: 0, high: 1)
    case .preset(.spark): rule = .spark
    case .preset(.torch): rule = .torch
    case .epsilon(let e): rule = .clamp(low: e, high: 1 - e)
    }
  }

  /// The formula for logits (no clipping).
  public static let logits = LossFormula(rule: .logits)

  private init(rule: Rule) {
    self.rule = rule
    clipping = nil
  }

  /// Whether predictions are logits rather than probabilities.
  public var takesLogits: Bool {
    if case .logits = rule { return true }
    return false
  }

  /// The loss, the probability ŷ and whether clipping changed it, for one record: what
  /// ``loss(label:prediction:)``, ``probability(prediction:)`` and ``clips(prediction:)``
  /// give, with one dispatch on the rule.
  @inline(__always)
  func terms(label y: Double, prediction: Double) -> (
    loss: Double, probability: Double, clipped: Bool
  ) {
    switch rule {
    case .clamp(let low, let high):
      return LossFormula.clampTerms(label: y, prediction: prediction, low: low, high: high)
    case .logits:
      return (logitLoss(label: y, logit: prediction), probability(prediction: prediction), false)
    case .spark, .torch:
      return (loss(label: y, prediction: prediction), prediction, clips(prediction: prediction))
    }
  }

  /// ``terms(label:prediction:)`` for the rule `.clamp(low, high)`.
  @inline(__always)
  static func clampTerms(label y: Double, prediction: Double, low: Double, high: Double) -> (
    loss: Double, probability: Double, clipped: Bool
  ) {
    let clipped = prediction < low || prediction > high
    let p = clipped ? min(max(prediction, low), high) : prediction
    let loss: Double
    if y == 1 {
      loss = -log(p)
    } else if y == 0 {
      loss = -log1p(-p)
    } else {
      loss = -(y * log(p) + (1 - y) * log1p(-p))
    }
    return (loss, prediction, clipped)
  }

  /// Whether `prediction` is a value this formula accepts: a probability in [0, 1], or any
  /// logit but NaN.
  @inline(__always)
  public func accepts(prediction: Double) -> Bool {
    switch rule {
    case .logits: return !prediction.isNaN
    default: return prediction >= 0 && prediction <= 1
    }
  }

  /// The loss of one record with label `y` in [0, 1] and an accepted prediction.
  public func loss(label y: Double, prediction: Double) -> Double {
    switch rule {
    case .clamp(let low, let high):
      let p = min(max(prediction, low), high)
      if y == 1 { return -log(p) }
      if y == 0 { return -log1p(-p) }
      return -(y * log(p) + (1 - y) * log1p(-p))
    case .spark:
      return sparkLoss(label: y, prediction: prediction)
    case .torch:
      if y == 1 { return -max(log(prediction), LossFormula.torchFloor) }
      if y == 0 { return -max(log1p(-prediction), LossFormula.torchFloor) }
      return
        -(y * max(log(prediction), LossFormula.torchFloor) + (1 - y)
          * max(log1p(-prediction), LossFormula.torchFloor))
    case .logits:
      return logitLoss(label: y, logit: prediction)
    }
  }

  /// Spark MLlib: L = −[y·ln c(ŷ) + (1−y)·ln c(1−ŷ)], c(q) = min(max(q, 1e-15), 1−1e-15),
  /// where ln c(1−ŷ) is `log1p(−ŷ)` when c leaves 1−ŷ unchanged.
  private func sparkLoss(label y: Double, prediction: Double) -> Double {
    let e = LossFormula.sparkEpsilon
    func positiveTerm() -> Double { log(min(max(prediction, e), 1 - e)) }
    func negativeTerm() -> Double {
      let q = 1 - prediction
      return q < e || q > 1 - e ? log(min(max(q, e), 1 - e)) : log1p(-prediction)
    }
    if y == 1 { return -positiveTerm() }
    if y == 0 { return -negativeTerm() }
    return -(y * positiveTerm() + (1 - y) * negativeTerm())
  }

  /// PyTorch's `BCEWithLogitsLoss`: max(s, 0) − s·y + log1p(exp(−|s|)); for s = ±∞ the
  /// limit, which is 0 or +∞ (never NaN).
  private func logitLoss(label y: Double, logit s: Double) -> Double {
    if s == .infinity { return y == 1 ? 0 : .infinity }
    if s == -.infinity { return y == 0 ? 0 : .infinity }
    return max(s, 0) - s * y + log1p(exp(-abs(s)))
  }

  /// Whether the formula changed this prediction: it lies outside the preset's untouched
  /// range (SPEC §3). Always `false` for logits and for `none`.
  public func clips(prediction: Double) -> Bool {
    switch rule {
    case .clamp(let low, let high): return prediction < low || prediction > high
    case .spark:
      // Also 1 − ŷ itself: for ŷ = 1 − 1e-15 (rounded), 1 − ŷ falls just below 1e-15, and
      // the formula clips that term although ŷ is inside the range.
      let e = LossFormula.sparkEpsilon
      let q = 1 - prediction
      return prediction < e || prediction > 1 - e || q < e || q > 1 - e
    case .torch:
      // 1 − ŷ is exact wherever it can fall below e⁻¹⁰⁰ (ŷ ≥ 0.5, Sterbenz).
      return prediction < LossFormula.torchThreshold
        || 1 - prediction < LossFormula.torchThreshold
    case .logits:
      return false
    }
  }

  /// The predicted probability ŷ: the prediction itself, or σ(s) for a logit.
  public func probability(prediction: Double) -> Double {
    guard case .logits = rule else { return prediction }
    if prediction >= 0 { return 1 / (1 + exp(-prediction)) }
    let e = exp(prediction)
    return e / (1 + e)
  }
}

/// What the CSV fast path needs of a loss formula. ``LossFormula`` itself is one, with a
/// switch on its rule in each call; ``ClampKernel`` is the rule `.clamp` alone, so that the
/// record loop specialized for it has no switch per record.
protocol FastLossKernel {
  func accepts(prediction: Double) -> Bool
  func terms(label: Double, prediction: Double) -> (
    loss: Double, probability: Double, clipped: Bool
  )
}

/// ``LossFormula``'s rule `.clamp(low, high)` — every preset but Spark's and PyTorch's, and
/// any custom ε — as a ``FastLossKernel``.
struct ClampKernel: FastLossKernel {
  let low: Double
  let high: Double

  @inline(__always)
  func accepts(prediction: Double) -> Bool { prediction >= 0 && prediction <= 1 }

  @inline(__always)
  func terms(label: Double, prediction: Double) -> (
    loss: Double, probability: Double, clipped: Bool
  ) {
    LossFormula.clampTerms(label: label, prediction: prediction, low: low, high: high)
  }
}

extension LossFormula {
  /// The rule as a ``ClampKernel``, when it is `.clamp`.
  var clampKernel: ClampKernel? {
    if case .clamp(let low, let high) = rule { return ClampKernel(low: low, high: high) }
    return nil
  }
}
