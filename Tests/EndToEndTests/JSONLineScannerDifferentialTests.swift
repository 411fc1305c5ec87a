import BCETestSupport
import Foundation
import Testing

@testable import BCECore

// The differential test of `JSONLineScanner` against Foundation's `JSONSerialization`.
//
// It lives here, not in BCECoreTests, because that target must not import Foundation: its
// operator overloads (found by every file of a module, whichever file imports it) make the
// type checker give up on an expression in RecordEvaluatorTests.swift. This target already
// imports Foundation.

/// What the scanner made of one line: its verdict, and the value found for each key.
private struct LineScan {
  var problem: String?
  var values: [FieldSpan]
  var line: [UInt8]

  var isValid: Bool { problem == nil }

  /// The bytes of the k-th key's value, as the scanner delimited them.
  func text(_ k: Int) -> String {
    String(decoding: line[values[k].start..<values[k].end], as: UTF8.self)
  }

  func kind(_ k: Int) -> FieldSpan.Kind { values[k].kind }
}

/// Scans `line`, alone in its buffer, for `keys`.
private func scan(_ line: [UInt8], keys: [String] = []) -> LineScan {
  var found = [FieldSpan](
    repeating: FieldSpan(start: -1, end: -1, kind: .text(escapedQuotes: false)), count: keys.count)
  let keyBytes = keys.map { Array($0.utf8) }
  let problem = line.withUnsafeBufferPointer { bytes in
    found.withUnsafeMutableBufferPointer { found in
      JSONLineScanner.scan(bytes, from: 0, to: bytes.count, keys: keyBytes, found: found)
    }
  }
  return LineScan(problem: problem, values: found, line: line)
}

// MARK: Differential test against Foundation's JSONSerialization

/// A JSON value of the differential test's generator.
private indirect enum JSONValue {
  case number(String)
  case string(String)
  case boolean(Bool)
  case null
  case array([JSONValue])
  case object([(String, JSONValue)])

  /// The kind the scanner gives this value, whose serialised text is `text`.
  func scannedKind(text: String) -> FieldSpan.Kind {
    switch self {
    case .number: return .jsonNumber
    case .string: return .jsonString(hasEscapes: text.contains("\\"))
    case .boolean(let value): return .jsonBoolean(value)
    case .null: return .jsonNull
    case .array, .object: return .jsonContainer
    }
  }
}

/// Random JSON objects serialised by hand, so that every escape, number form and white space
/// the grammar allows shows up.
private struct JSONGenerator {
  var rng: SplitMix64

  mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

  /// Keys from a small pool, so that objects often repeat a key.
  static let keys = [
    "label", "pred", "a", "b", "", "ké", "😀", "x\"y", "tab\there", "sl/ash", "score",
  ]
  static let characters: [Character] = [
    "a", "z", "0", "9", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\u{9}", "\u{A}", "\u{C}",
    "\u{D}", "\u{1F}", "\u{7F}", "é", "€", "😀", "中", "{", "}", "[", "]", ":", ",", "'",
  ]

  mutating func number() -> String {
    let sign = chance(30) ? "-" : ""
    let integer = chance(30) ? "0" : String(below(100_000))
    let fraction: String = "." + String(below(1000))
    let e: String = pick(["e", "E"]) + pick(["", "+", "-"])
    switch below(7) {
    case 0: return sign + integer
    case 1: return sign + integer + fraction
    case 2: return sign + integer + e + String(below(30))
    case 3:
      // A two-digit exponent, possibly with a leading zero.
      let exponent = String(String(100 + below(40)).dropFirst())
      return sign + integer + fraction + "1" + e + exponent
    case 4:
      let digits = (0..<25).map { _ in String(1 + below(9)) }
      return sign + digits.joined()
    case 5:
      let value = Double(bitPattern: rng.next() >> 2)
      return "\(sign.isEmpty ? value : -value)"
    default:
      let value = Double(rng.next() >> 11) / Double(1 << 53)
      return "\(value)"
    }
  }

  mutating func whitespace() -> String {
    chance(70) ? "" : String((0..<(1 + below(2))).map { _ in pick([" ", "\t", "\r"]) })
  }

  /// A string's serialised content (without its quotes), with random escapes.
  mutating func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "/": out += chance(50) ? "\\/" : "/"
      case "\u{8}": out += chance(50) ? "\\b" : "\\u0008"
      case "\u{C}": out += chance(50) ? "\\f" : "\\u000C"
      case "\n": out += chance(50) ? "\\n" : "\\u000a"
      case "\r": out += chance(50) ? "\\r" : "\\u000D"
      case "\t": out += chance(50) ? "\\t" : "\\u0009"
      default:
        if scalar.value < 0x20 || chance(15) {
          for unit in String(scalar).utf16 {
            let hex = String(unit, radix: 16)
            let padded = String(repeating: "0", count: 4 - hex.count) + hex
            out += "\\u" + (chance(50) ? padded : padded.uppercased())
          }
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  mutating func randomString() -> String {
    String((0..<below(8)).map { _ in pick(Self.characters) })
  }

  mutating func value(depth: Int) -> JSONValue {
    switch below(depth >= 5 ? 4 : 7) {
    case 0: return .number(number())
    case 1: return .string(escaped(randomString()))
    case 2: return .boolean(chance(50))
    case 3: return .null
    case 4: return .array((0..<below(4)).map { _ in value(depth: depth + 1) })
    default: return .object(members(depth: depth + 1))
    }
  }

  mutating func members(depth: Int) -> [(String, JSONValue)] {
    (0..<below(5)).map { _ in
      (escaped(chance(70) ? pick(Self.keys) : randomString()), value(depth: depth))
    }
  }

  /// The serialised text of `value`, with random white space around its tokens.
  mutating func serialised(_ value: JSONValue) -> String {
    switch value {
    case .number(let text): return text
    case .string(let content): return "\"\(content)\""
    case .boolean(let b): return b ? "true" : "false"
    case .null: return "null"
    case .array(let items):
      if items.isEmpty { return "[" + whitespace() + "]" }
      return "["
        + items.map { whitespace() + serialised($0) + whitespace() }.joined(separator: ",") + "]"
    case .object(let members):
      if members.isEmpty { return "{" + whitespace() + "}" }
      return "{"
        + members.map {
          whitespace() + "\"\($0.0)\"" + whitespace() + ":" + whitespace() + serialised($0.1)
            + whitespace()
        }.joined(separator: ",") + "}"
    }
  }

  /// One top-level object: its line, and each member's escaped key, value and value text.
  mutating func line() -> (line: String, members: [(key: String, value: JSONValue, text: String)]) {
    var members: [(key: String, value: JSONValue, text: String)] = []
    for (key, value) in self.members(depth: 0) {
      members.append((key, value, serialised(value)))
    }
    let body = members.map {
      whitespace() + "\"\($0.key)\"" + whitespace() + ":" + whitespace() + $0.text + whitespace()
    }
    let line =
      whitespace() + "{" + (body.isEmpty ? whitespace() : body.joined(separator: ","))
      + "}" + whitespace()
    return (line, members)
  }

  /// Bytes a mutation puts in: JSON's structural bytes, the starts of literals and numbers,
  /// white space, control bytes, DEL, and bytes that are not UTF-8 on their own. Never `\n`,
  /// which ends a line before the scanner sees it.
  static let mutationBytes: [UInt8] =
    Array("{}[]:,\"\\/0129-+.eEantfluxrsN '\t\r".utf8) + [0x00, 0x01, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]

  /// `bytes` with one byte replaced, inserted or deleted.
  mutating func mutated(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    switch below(3) {
    case 0 where !out.isEmpty: out[below(out.count)] = pick(Self.mutationBytes)
    case 1: out.insert(pick(Self.mutationBytes), at: below(out.count + 1))
    default: if !out.isEmpty { out.remove(at: below(out.count)) }
    }
    return out
  }
}

/// Why the verdicts of the scanner and of `JSONSerialization` may rightly differ on `bytes`,
/// or `nil` when they must agree.
///
/// These are the corners where swift-corelibs-foundation's `JSONSerialization` (Swift 6.3 on
/// Linux) departs from RFC 8259, or where the scanner's documented scope differs from a
/// whole-document parser. Each was observed; each input is excluded before comparing, never
/// after.
private func exclusion(_ bytes: [UInt8]) -> String? {
  // The scanner does not check UTF-8 (documented); JSONSerialization rejects invalid UTF-8.
  if String(validating: bytes, as: UTF8.self) == nil { return "invalid UTF-8" }
  // Python's NaN and Infinity are numbers to the scanner, not to JSONSerialization.
  let text = String(decoding: bytes, as: UTF8.self)
  if text.contains("NaN") || text.contains("Infinity") { return "NaN or Infinity" }
  // `\n` is JSON white space, but a JSON Lines record never holds one (the mutations never
  // insert it; this guards the generator).
  if bytes.contains(0x0A) { return "a line feed" }
  var i = 0
  var inString = false
  var pendingHigh = false  // a high-surrogate escape just before, waiting for its low half
  while i < bytes.count {
    let c = bytes[i]
    if inString {
      if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
        if bytes[i + 1] == UInt8(ascii: "u"), i + 6 <= bytes.count,
          let unit = UInt16(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
        {
          // Unpaired surrogate escapes (`"\ud800"`) match RFC 8259's grammar (§8.2 leaves
          // their meaning open); JSONSerialization rejects them.
          switch unit {
          case 0xD800..<0xDC00:
            if pendingHigh { return "an unpaired surrogate escape" }
            pendingHigh = true
          case 0xDC00..<0xE000:
            if !pendingHigh { return "an unpaired surrogate escape" }
            pendingHigh = false
          default:
            if pendingHigh { return "an unpaired surrogate escape" }
          }
          i += 6
          continue
        }
        if pendingHigh { return "an unpaired surrogate escape" }
        i += 2
        continue
      }
      if pendingHigh { return "an unpaired surrogate escape" }
      if c == UInt8(ascii: "\"") { inString = false }
      i += 1
      continue
    }
    switch c {
    case UInt8(ascii: "\""):
      inString = true
    case UInt8(ascii: ","):
      // JSONSerialization accepts a trailing comma (`[1,]`, `{"a":1,}`); RFC 8259 does not.
      var j = i + 1
      while j < bytes.count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[j]) { j += 1 }
      if j < bytes.count, bytes[j] == UInt8(ascii: "]") || bytes[j] == UInt8(ascii: "}") {
        return "a trailing comma"
      }
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      // A number beyond the double range (`1e999`) is valid JSON, and valid to the scanner;
      // JSONSerialization rejects it ("not representable in Swift").
      var j = i
      while j < bytes.count, Array("0123456789+-.eE".utf8).contains(bytes[j]) { j += 1 }
      if let value = Double(String(decoding: bytes[i..<j], as: UTF8.self)), value.isInfinite {
        return "a number beyond the double range"
      }
      i = j
      continue
    default:
      break
    }
    i += 1
  }
  if pendingHigh { return "an unpaired surrogate escape" }
  return nil
}

/// The content of a JSON string's escaped text, as the scanner decodes it.
private func unescaped(_ escaped: String) -> String {
  Array(escaped.utf8).withUnsafeBufferPointer {
    String(decoding: JSONLineScanner.unescaped($0, 0, $0.count), as: UTF8.self)
  }
}

/// Foundation's verdict: the bytes are one JSON document whose top level is an object.
private func foundationAccepts(_ bytes: [UInt8]) -> Bool {
  (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
}

@Suite("JSONLineScanner against JSONSerialization")
struct JSONLineScannerDifferentialTests {
  @Test("random objects and their one-byte mutations: the same verdict as JSONSerialization")
  func differential() {
    var generator = JSONGenerator(rng: SplitMix64(seed: 0x4A53_4F4E))
    var compared = 0
    var validMutants = 0
    var invalidMutants = 0
    var excluded: [String: Int] = [:]
    for _ in 0..<1000 {
      let (line, members) = generator.line()
      let bytes = Array(line.utf8)

      // The generated object itself: valid to both, and every top-level key is found with
      // its last value's kind and text.
      var keys: [String] = []
      for member in members where !keys.contains(member.key) { keys.append(member.key) }
      let wanted = keys.map(unescaped)
      let result = scan(bytes, keys: wanted + ["absent"])
      #expect(result.isValid, "\(line.debugDescription): \(result.problem ?? "")")
      if exclusion(bytes) == nil {
        #expect(foundationAccepts(bytes), "\(line.debugDescription)")
      }
      for (k, key) in wanted.enumerated() {
        // The last member whose unescaped key is this one.
        let last = members.last { unescaped($0.key) == key }!
        var text = last.text
        if case .string = last.value {
          text.removeFirst()
          text.removeLast()
        }
        #expect(
          result.kind(k) == last.value.scannedKind(text: text), "\(line.debugDescription) \(key)")
        #expect(result.text(k) == text, "\(line.debugDescription) \(key)")
      }
      #expect(result.kind(wanted.count) == .missing)

      // Its mutants: the same verdict as Foundation, outside the documented corners.
      for _ in 0..<12 {
        let mutant = generator.mutated(bytes)
        if let reason = exclusion(mutant) {
          excluded[reason, default: 0] += 1
          continue
        }
        let scanned = scan(mutant).isValid
        let foundation = foundationAccepts(mutant)
        compared += 1
        if scanned { validMutants += 1 } else { invalidMutants += 1 }
        #expect(
          scanned == foundation,
          """
          \(String(decoding: mutant, as: UTF8.self).debugDescription): scanner \
          \(scanned ? "accepts" : "rejects"), JSONSerialization \
          \(foundation ? "accepts" : "rejects")
          """)
      }
    }
    // The exclusions leave most mutants compared, of both verdicts.
    #expect(compared > 8000, "\(compared) compared, excluded: \(excluded)")
    #expect(validMutants > 1000 && invalidMutants > 3000, "\(validMutants) / \(invalidMutants)")
  }

  @Test("the documented corners are where JSONSerialization disagrees with RFC 8259")
  func corners() {
    // If Foundation changes, these fail and the exclusions above can be narrowed.
    for (line, reason) in [
      ("{\"a\":1,}", "a trailing comma"), ("{\"a\":[1 ,\t]}", "a trailing comma"),
      ("{\"a\":\"\\ud800\"}", "an unpaired surrogate escape"),
      ("{\"a\":\"\\udc00\\ud800\"}", "an unpaired surrogate escape"),
      ("{\"a\":1e999}", "a number beyond the double range"),
      ("{\"a\":[-2e308]}", "a number beyond the double range"),
      ("{\"a\":NaN}", "NaN or Infinity"),
    ] {
      let bytes = Array(line.utf8)
      #expect(exclusion(bytes) == reason, "\(line)")
      #expect(scan(bytes).isValid != foundationAccepts(bytes), "\(line)")
      // On the RFC's side, the scanner: trailing commas out, the others in.
      #expect(scan(bytes).isValid == (reason != "a trailing comma"), "\(line)")
    }
    let notUTF8: [UInt8] = Array("{\"a\":\"".utf8) + [0xFF] + Array("\"}".utf8)
    #expect(exclusion(notUTF8) == "invalid UTF-8")
    #expect(scan(notUTF8).isValid && !foundationAccepts(notUTF8))
    // Near misses are not excluded.
    for line in [
      "{\"a\":\"\\ud800\\udc00\"}", "{\"a\":\",]\"}", "{\"a\":1e308}", "{\"a\":\"1e999\"}",
    ] {
      #expect(exclusion(Array(line.utf8)) == nil, "\(line)")
    }
  }
}
