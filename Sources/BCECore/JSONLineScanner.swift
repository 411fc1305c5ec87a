/// Validates one JSON Lines record and finds the values of selected top-level keys.
///
/// Accepted: one JSON object (RFC 8259) surrounded by optional white space (space, tab,
/// CR), whose values may be nested to a depth of 64; also the literals `NaN`, `Infinity`
/// and `-Infinity` as numbers, since Python's `json.dumps` writes them. A key that occurs
/// twice takes its last value, as Python's `json.loads` does. Not accepted: anything else
/// on the line, a top-level value that is not an object, unescaped control characters in
/// strings, and invalid escapes. Strings are not checked for valid UTF-8.
enum JSONLineScanner {
  static let maximumDepth = 64

  /// Scans `bytes[start..<end]` (one line, without its `\n`).
  ///
  /// - Parameters:
  ///   - keys: the wanted keys, unescaped, as UTF-8.
  ///   - found: one slot per key, filled with the key's value or `.missing`.
  /// - Returns: `nil` for a valid object, otherwise what is wrong with the line.
  static func scan(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, keys: [[UInt8]],
    found: UnsafeMutableBufferPointer<FieldSpan>
  ) -> String? {
    for k in 0..<keys.count { found[k] = FieldSpan(start: start, end: start, kind: .missing) }
    var scanner = Cursor(bytes: bytes, position: start, lineStart: start, end: end)
    scanner.skipWhitespace()
    guard scanner.take(UInt8(ascii: "{")) else {
      return scanner.atEnd ? "empty JSON record" : "a JSON Lines record must be an object"
    }
    scanner.skipWhitespace()
    if !scanner.take(UInt8(ascii: "}")) {
      while true {
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "\"") else { return scanner.failure("a key") }
        let keyStart = scanner.position + 1
        guard let keyEscaped = scanner.skipString() else { return scanner.stringFailure() }
        let keyEnd = scanner.position - 1
        scanner.skipWhitespace()
        guard scanner.take(UInt8(ascii: ":")) else { return scanner.failure("':'") }
        scanner.skipWhitespace()
        let valueStart = scanner.position
        // The common kinds here, the others (and the errors) in `skipValue`.
        let kind: FieldSpan.Kind
        let first = scanner.peek ?? 0
        if first == UInt8(ascii: "\""), let escaped = scanner.skipString() {
          kind = .jsonString(hasEscapes: escaped)
        } else if first &- UInt8(ascii: "0") <= 9, scanner.skipNumber() {
          kind = .jsonNumber
        } else {
          scanner.position = valueStart
          scanner.problem = nil
          guard let other = scanner.skipValue() else {
            return scanner.problem ?? scanner.failure("a value")
          }
          kind = other
        }
        var value = FieldSpan(start: valueStart, end: scanner.position, kind: kind)
        if case .jsonString = kind {  // the content, between the quotes
          value.start += 1
          value.end -= 1
        }
        for k in 0..<keys.count
        where keyMatches(bytes, keyStart, keyEnd, escaped: keyEscaped, keys[k]) {
          found[k] = value
        }
        scanner.skipWhitespace()
        if scanner.take(UInt8(ascii: ",")) { continue }
        if scanner.take(UInt8(ascii: "}")) { break }
        return scanner.failure("',' or '}'")
      }
    }
    scanner.skipWhitespace()
    if !scanner.atEnd { return scanner.failure("the end of the line after the object") }
    return nil
  }

  /// Whether the key `bytes[start..<end]` (escapes undecoded) is `wanted`.
  @inline(__always)
  static func keyMatches(
    _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, escaped: Bool,
    _ wanted: [UInt8]
  ) -> Bool {
    if !escaped {
      guard end - start == wanted.count else { return false }
      for j in 0..<wanted.count where bytes[start + j] != wanted[j] { return false }
      return true
    }
    return unescaped(bytes, start, end).elementsEqual(wanted)
  }

  /// The UTF-8 content of a JSON string's escaped text (already validated).
  static func unescaped(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8] {
    var out: [UInt8] = []
    var i = start
    func hex4(_ at: Int) -> UInt32 {
      var value: UInt32 = 0
      for j in at..<(at + 4) {
        let c = bytes[j]
        let digit: UInt8 =
          c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
        value = value << 4 | UInt32(digit)
      }
      return value
    }
    while i < end {
      let c = bytes[i]
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      let e = bytes[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = hex4(i)
        i += 4
        if scalar >= 0xD800 && scalar < 0xDC00 && i + 6 <= end && bytes[i] == UInt8(ascii: "\\")
          && bytes[i + 1] == UInt8(ascii: "u")
        {
          let low = hex4(i + 2)
          if low >= 0xDC00 && low < 0xE000 {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            i += 6
          }
        }
        out.append(
          contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
      default: out.append(e)  // \" \\ \/
      }
    }
    return out
  }

  /// The bytes of `word` (loaded little-endian) that end a run of plain string content — a
  /// quote, a backslash, or a control character (below 0x20) — flagged by their high bit.
  /// Only the lowest flag is exact (SWAR: a borrow can flag bytes after a flagged one), and
  /// that is the one the caller uses.
  @inline(__always)
  static func specialStringBytes(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
    let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
    return
      ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes
      | (word &- ones &* 0x20) & ~word) & highs
  }

  /// A position in one line, with the validating skips of JSON's grammar.
  struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    /// Where the line starts, for the column numbers in messages.
    let lineStart: Int
    let end: Int
    /// Set when a skip fails for a reason more specific than "expected X".
    var problem: String? = nil

    var atEnd: Bool { position >= end }
    /// The 1-based column (in bytes) of the current position.
    var column: Int { position - lineStart + 1 }
    var peek: UInt8? { position < end ? bytes[position] : nil }

    mutating func take(_ byte: UInt8) -> Bool {
      guard position < end, bytes[position] == byte else { return false }
      position += 1
      return true
    }

    mutating func skipWhitespace() {
      while position < end {
        let c = bytes[position]
        guard c == 0x20 || c == 0x09 || c == 0x0D else { return }
        position += 1
      }
    }

    func failure(_ expected: String) -> String {
      if position >= end { return "the JSON record ends early: expected \(expected)" }
      let shown = excerpt(bytes, position, min(end, position + 20))
      return "invalid JSON at column \(column): expected \(expected), found \(shown)"
    }

    func stringFailure() -> String {
      problem ?? "invalid JSON: a string is not closed before the end of the line"
    }

    /// Skips a string starting at its opening quote.
    ///
    /// - Returns: whether it holds escapes, or `nil` if it is invalid.
    @inline(__always)
    mutating func skipString() -> Bool? {
      position += 1
      var escaped = false
      while position < end {
        // Eight bytes at a time up to the next one that needs a look.
        while position &+ 8 <= end {
          let word = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(
            as: UInt64.self)
          let special = JSONLineScanner.specialStringBytes(word)
          if special != 0 {
            position &+= special.trailingZeroBitCount &>> 3
            break
          }
          position &+= 8
        }
        guard position < end else { break }
        let c = bytes[position]
        if c == UInt8(ascii: "\"") {
          position += 1
          return escaped
        }
        if c < 0x20 {
          problem = "invalid JSON at column \(column): a control character in a string"
          return nil
        }
        if c == UInt8(ascii: "\\") {
          escaped = true
          guard position + 1 < end else { break }
          let e = bytes[position + 1]
          switch e {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
          case UInt8(ascii: "u"):
            guard position + 6 <= end,
              (2..<6).allSatisfy({ isHexDigit(bytes[position + $0]) })
            else {
              problem = "invalid JSON at column \(column): a bad \\u escape"
              return nil
            }
            position += 6
          default:
            problem = "invalid JSON at column \(column): a bad escape"
            return nil
          }
          continue
        }
        position += 1
      }
      problem = "invalid JSON: a string is not closed before the end of the line"
      return nil
    }

    private func isHexDigit(_ c: UInt8) -> Bool {
      (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
        || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
    }

    /// Skips one value of any type, nested containers included.
    ///
    /// - Returns: its kind, or `nil` if it is invalid.
    mutating func skipValue() -> FieldSpan.Kind? {
      guard let c = peek else { return nil }
      switch c {
      case UInt8(ascii: "\""):
        guard let escaped = skipString() else { return nil }
        return .jsonString(hasEscapes: escaped)
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        return skipContainer() ? .jsonContainer : nil
      case UInt8(ascii: "t"): return skipWord("true") ? .jsonBoolean(true) : nil
      case UInt8(ascii: "f"): return skipWord("false") ? .jsonBoolean(false) : nil
      case UInt8(ascii: "n"): return skipWord("null") ? .jsonNull : nil
      case UInt8(ascii: "N"): return skipWord("NaN") ? .jsonNumber : nil
      case UInt8(ascii: "I"): return skipWord("Infinity") ? .jsonNumber : nil
      default: return skipNumber() ? .jsonNumber : nil
      }
    }

    mutating func skipWord(_ word: StaticString) -> Bool {
      let n = word.utf8CodeUnitCount
      guard position + n <= end else { return false }
      for j in 0..<n where bytes[position + j] != word.utf8Start[j] { return false }
      position += n
      return true
    }

    /// Skips a number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`,
    /// or `-Infinity`.
    @inline(__always)
    mutating func skipNumber() -> Bool {
      if take(UInt8(ascii: "-")) && peek == UInt8(ascii: "I") { return skipWord("Infinity") }
      @inline(__always)
      func digits() -> Int {
        let first = position
        while position &+ 8 <= end {
          let count = DecimalParser.leadingDigitCount(
            UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self))
          position &+= count
          if count < 8 { return position &- first }
        }
        while position < end && bytes[position] &- UInt8(ascii: "0") <= 9 { position &+= 1 }
        return position &- first
      }
      if take(UInt8(ascii: "0")) {
        if let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { return false }
      } else if digits() == 0 {
        return false
      }
      if take(UInt8(ascii: ".")) && digits() == 0 { return false }
      if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
        _ = take(UInt8(ascii: "+")) || take(UInt8(ascii: "-"))
        if digits() == 0 { return false }
      }
      return true
    }

    /// Skips an object or array with everything nested in it, starting at its bracket.
    mutating func skipContainer() -> Bool {
      // One bit per open container, innermost lowest: 1 for an object, 0 for an array.
      var kinds: UInt64 = 0
      var depth = 0
      var insideObject: Bool { kinds & 1 == 1 }
      while true {
        // At the first byte of a value.
        let c = bytes[position]
        var valueDone = true
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
          depth += 1
          if depth > JSONLineScanner.maximumDepth {
            problem = "invalid JSON: nested deeper than \(JSONLineScanner.maximumDepth) levels"
            return false
          }
          kinds = kinds << 1 | (c == UInt8(ascii: "{") ? 1 : 0)
          position += 1
          skipWhitespace()
          if take(insideObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
            kinds >>= 1
            depth -= 1
          } else {
            valueDone = false
          }
        } else {
          guard skipValue() != nil else { return false }
        }
        if valueDone {
          // After a complete value: close every container that ends here.
          while true {
            if depth == 0 { return true }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { break }
            guard take(insideObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
            kinds >>= 1
            depth -= 1
          }
          skipWhitespace()
        }
        // At the next member of the innermost container.
        if insideObject {
          guard peek == UInt8(ascii: "\""), skipString() != nil else { return false }
          skipWhitespace()
          guard take(UInt8(ascii: ":")) else { return false }
          skipWhitespace()
        }
        guard peek != nil else { return false }
      }
    }
  }
}
