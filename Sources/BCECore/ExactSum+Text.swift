extension ExactSum {
  /// A lossless text form of the sum, for partial states.
  ///
  /// The finite part is an integer in hexadecimal times a power of two, in C's hexadecimal
  /// floating-point syntax without a point — `0x0p+0`, `0x3p-2` (0.75), `-0x1ap-1074` —
  /// then, only when there were non-finite terms, their counts: ` +inf:N`, ` -inf:N`,
  /// ` nan:N`. The integer has no trailing zero digit, so the text is short when the terms
  /// are: about (log₂ of the largest / smallest bit) / 4 digits.
  public var exactText: String {
    var sum = wideValue
    sum.normalize()
    let top = WideSum.limbCount - 1
    let negative = sum.limbs[top] < 0
    if negative { sum.negate() }
    // The magnitude as 32-bit digits, least significant first (the top limb holds up to 63
    // bits, so it gives two).
    var digits: [UInt32] = (0..<top).map { UInt32(truncatingIfNeeded: sum.limbs[$0]) }
    let highest = UInt64(bitPattern: sum.limbs[top])
    digits.append(UInt32(truncatingIfNeeded: highest))
    digits.append(UInt32(truncatingIfNeeded: highest >> 32))
    func nibble(_ i: Int) -> UInt32 { (digits[i / 8] >> UInt32(4 * (i % 8))) & 0xF }
    let nibbles = digits.count * 8
    var text = negative ? "-0x" : "0x"
    if let low = (0..<nibbles).first(where: { nibble($0) != 0 }) {
      let high = (0..<nibbles).last { nibble($0) != 0 }!
      for i in stride(from: high, through: low, by: -1) {
        text += String(nibble(i), radix: 16)
      }
      let exponent = 4 * low - 1074
      text += exponent < 0 ? "p\(exponent)" : "p+\(exponent)"
    } else {
      text += "0p+0"
    }
    if sum.positiveInfinities > 0 { text += " +inf:\(sum.positiveInfinities)" }
    if sum.negativeInfinities > 0 { text += " -inf:\(sum.negativeInfinities)" }
    if sum.nans > 0 { text += " nan:\(sum.nans)" }
    return text
  }

  /// Reads the text form of ``exactText``.
  ///
  /// - Returns: `nil` when the text is not in that form, or holds bits outside the
  ///   accumulator (below 2⁻¹⁰⁷⁴, or at 2¹⁰⁹⁸ and above in the digit that holds them).
  public init?(exactText text: String) {
    var parts = text.split(separator: " ")[...]
    guard var number = parts.popFirst()?.utf8[...] else { return nil }
    let negative = number.first == UInt8(ascii: "-")
    if negative { number = number.dropFirst() }
    guard number.starts(with: "0x".utf8), let p = number.firstIndex(of: UInt8(ascii: "p"))
    else { return nil }
    let hex = number[number.index(number.startIndex, offsetBy: 2)..<p]
    guard !hex.isEmpty,
      let exponent = Int(String(decoding: number[number.index(after: p)...], as: UTF8.self)),
      exponent >= -1074, exponent <= 4096
    else { return nil }
    var sum = WideSum()
    // Nibble i (from the last digit) has weight 2^(exponent + 4i) = limb bits offset + 4i.
    let offset = exponent + 1074
    var digits = [UInt64](repeating: 0, count: WideSum.limbCount + 1)
    for (i, character) in hex.reversed().enumerated() {
      guard let value = Int(String(UnicodeScalar(character)), radix: 16) else { return nil }
      if value == 0 { continue }
      let bit = offset + 4 * i
      guard bit + 4 <= 32 * WideSum.limbCount - 2 else { return nil }  // room for the sign
      digits[bit / 32] |= UInt64(value) << UInt64(bit % 32)
      if bit % 32 > 28 { digits[bit / 32 + 1] |= UInt64(value) >> UInt64(32 - bit % 32) }
    }
    for i in 0..<WideSum.limbCount { sum.limbs[i] = Int64(digits[i] & 0xFFFF_FFFF) }
    sum.pendingAdds = 1
    sum.normalize()
    if negative { sum.negate() }
    for part in parts {
      guard let colon = part.firstIndex(of: ":"),
        let count = Int(part[part.index(after: colon)...]),
        count > 0
      else { return nil }
      switch part[..<colon] {
      case "+inf": sum.positiveInfinities = count
      case "-inf": sum.negativeInfinities = count
      case "nan": sum.nans = count
      default: return nil
      }
    }
    self.init(sum)
  }
}
