import Testing

@testable import BCECore

// MARK: Helpers

/// What the scanner made of one line: its verdict, and the value found for each key (spans
/// relative to the line's first byte).
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

/// Bytes placed after the line in the buffer (past the scanner's `end`): each would complete
/// some unfinished line, so a scanner that read past `end` would change its verdict.
private let temptingSuffixes: [[UInt8]] = [
  [], Array("}".utf8), Array("e}".utf8), Array("\"}".utf8), Array("]}".utf8), Array("0}".utf8),
  Array("4\"}".utf8), Array("l}".utf8), Array("\n{}".utf8),
]

/// Scans `line[from..<to]` inside a buffer of `prefix + line + suffix`.
private func rawScan(_ line: [UInt8], keys: [[UInt8]], prefix: [UInt8], suffix: [UInt8])
  -> (String?, [FieldSpan])
{
  let buffer = prefix + line + suffix
  var found = [FieldSpan](
    repeating: FieldSpan(start: -1, end: -1, kind: .text(escapedQuotes: false)),
    count: keys.count)
  let problem = buffer.withUnsafeBufferPointer { bytes in
    found.withUnsafeMutableBufferPointer { found in
      JSONLineScanner.scan(
        bytes, from: prefix.count, to: prefix.count + line.count, keys: keys, found: found)
    }
  }
  let spans = found.map {
    FieldSpan(start: $0.start - prefix.count, end: $0.end - prefix.count, kind: $0.kind)
  }
  return (problem, spans)
}

/// Scans one line for `keys`; also scans it in the middle of a buffer, between other bytes,
/// and expects the same verdict, message and spans (the scanner reads only its line).
private func scan(
  _ line: [UInt8], keys: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) -> LineScan {
  let keyBytes = keys.map { Array($0.utf8) }
  let (problem, spans) = rawScan(line, keys: keyBytes, prefix: [], suffix: [])
  for suffix in temptingSuffixes {
    let (embeddedProblem, embeddedSpans) = rawScan(
      line, keys: keyBytes, prefix: Array("{\"label\":1}\n".utf8), suffix: suffix)
    #expect(
      embeddedProblem == problem, "\(String(decoding: line, as: UTF8.self)) + \(suffix)",
      sourceLocation: sourceLocation)
    #expect(
      embeddedSpans.map { [$0.start, $0.end] } == spans.map { [$0.start, $0.end] },
      sourceLocation: sourceLocation)
    #expect(embeddedSpans.map(\.kind) == spans.map(\.kind), sourceLocation: sourceLocation)
  }
  return LineScan(problem: problem, values: spans, line: line)
}

private func scan(
  _ line: String, keys: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) -> LineScan {
  scan(Array(line.utf8), keys: keys, sourceLocation: sourceLocation)
}

/// `inner` inside `depth` containers: objects `{"k":…}` when `objects` is true, arrays when
/// false, alternating when `nil`.
private func nested(_ depth: Int, inner: String = "1", objects: Bool? = nil) -> String {
  var text = inner
  for level in 0..<depth {
    let object = objects ?? (level % 2 == 0)
    text = object ? "{\"k\":\(text)}" : "[\(text)]"
  }
  return text
}

// MARK: Tests

@Suite("JSONLineScanner")
struct JSONLineScannerTests {
  @Test(
    "valid objects",
    arguments: [
      "{}", " {} ", "\t{\r}\r", "\r\t {\t}\t \r", "{\"a\":1}", "{\"\":0}",
      "{\"a\":{}}", "{\"a\":[]}", "{\"a\":[ ]}", "{\"a\":{ \t}}",
      "{\"a\":[1,\"x\",true,false,null,{},[],{\"b\":[{\"c\":null}]}]}",
      "{ \"a\" : [ 1 , { } , [ ] ] , \"b\" : { \"c\" : { \"d\" : [ ] } } }",
      "{\t\"a\"\t:\t1\t,\t\"b\"\t:\t\"x\"\t}", "{\r\"a\"\r:\r1\r,\r\"b\"\r:\r[\r1\r,\r2\r]\r}",
      // Literals, and Python's non-standard numbers.
      "{\"t\":true,\"f\":false,\"n\":null}",
      "{\"a\":NaN,\"b\":Infinity,\"c\":-Infinity,\"d\":[NaN,-Infinity,{\"e\":Infinity}]}",
      // Every escape, in values and in keys.
      "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"\\\"\\\\\\/\\b\\f\\n\\r\\t\":1}",
      "{\"s\":\"\\u0000\\u001f\\u0041\\u00e9\\u20AC\\uFFFF\\uffff\\uAbCd\"}",
      "{\"s\":\"\\ud83d\\ude00\\uD800\\uDC00\\uDBFF\\uDFFF\"}",
      // Lone surrogates: valid by RFC 8259's grammar (§8.2 leaves their meaning open).
      "{\"s\":\"\\ud800\",\"t\":\"\\udc00x\"}",
      // Raw UTF-8 and DEL (which JSON does not require to be escaped).
      "{\"é\":\"naïve — 😀 中文\",\"d\":\"\u{7F}\"}", "{\"s\":\"'single' quotes\"}",
      // Numbers in every form of the grammar.
      "{\"n\":[0,-0,1,-1,10,1234567890123456789012345678901234567890]}",
      "{\"n\":[0.5,-0.5,0.0,-0.0,10.25,3.14159265358979323846264338327950288]}",
      "{\"n\":[1e5,1E5,1e+5,1e-5,1E+05,1E-05,0e0,-0E-0,2.5e-3,1.5E+300,1e999,1e-999]}",
      "{\"n\":-1.0e+10,\"m\":0.000001}",
    ])
  func validObjects(line: String) {
    let result = scan(line)
    #expect(result.isValid, "\(line): \(result.problem ?? "")")
  }

  @Test("a value may nest containers 64 deep, not 65")
  func depthLimit() {
    // The top-level object is not counted: its values may be nested to a depth of 64, as
    // the scanner's documentation says (64 bits of its container stack).
    #expect(JSONLineScanner.maximumDepth == 64)
    for objects in [true, false, nil] as [Bool?] {
      for inner in ["1", "\"x\"", "[]", "{}"] {
        let extra = inner == "[]" || inner == "{}" ? 1 : 0
        let deepest = nested(64 - extra, inner: inner, objects: objects)
        #expect(scan("{\"a\":\(deepest)}").isValid, "\(objects.debugDescription) \(inner)")
        // The limit applies to each value, not to the line: many deep values are fine.
        #expect(scan("{\"a\":\(deepest),\"b\":\(deepest),\"c\":\(deepest)}").isValid)
        let tooDeep = scan("{\"a\":\(nested(65 - extra, inner: inner, objects: objects))}")
        #expect(tooDeep.problem == "invalid JSON: nested deeper than 64 levels")
        let later = scan("{\"a\":1,\"b\":[\(deepest)],\"c\":2}")
        #expect(later.problem == "invalid JSON: nested deeper than 64 levels")
      }
    }
    // Very deep input fails cleanly (no recursion, no overflow of the container stack).
    let huge = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(scan("{\"a\":\(huge)}").problem == "invalid JSON: nested deeper than 64 levels")
    #expect(scan("{\"a\":\(String(repeating: "[", count: 1000))").isValid == false)
  }

  @Test("keys match byte for byte after unescaping, at the top level only")
  func keyMatching() {
    let keys = ["score", "a/b", "é", "😀", "", "q\"t"]
    let line =
      "{\"sc\\u006fre\":1,\"a\\/b\":2,\"\\u00e9\":3,\"\\ud83d\\ude00\":4,\"\":5,\"q\\\"t\":6}"
    let escaped = scan(line, keys: keys)
    #expect(escaped.isValid)
    #expect((0..<6).map(escaped.text) == ["1", "2", "3", "4", "5", "6"])
    let raw = scan("{\"score\":1,\"a/b\":2,\"é\":3,\"😀\":4,\"\":5,\"q\\\"t\":6}", keys: keys)
    #expect((0..<6).map(raw.text) == ["1", "2", "3", "4", "5", "6"])
    #expect(scan("{\"\\u0073\\u0063\\u006F\\u0072\\u0065\":7}", keys: keys).text(0) == "7")

    // Near misses are not the key.
    for other in [
      "SCORE", "score ", " score", "scor", "scores", "sc\\u006f", "score\\u0000", "s\\\\core",
    ] {
      let result = scan("{\"\(other)\":1}", keys: ["score"])
      #expect(result.isValid, "\(other)")
      #expect(result.kind(0) == .missing, "\(other)")
    }
    // Canonically equivalent but different bytes: "é" as e + combining acute is not "é".
    #expect(scan("{\"e\u{301}\":1}", keys: ["é"]).kind(0) == .missing)
    #expect(scan("{\"e\\u0301\":1}", keys: ["é"]).kind(0) == .missing)

    // Keys of nested objects and text inside strings are not top-level keys.
    let inner = scan(
      "{\"meta\":{\"score\":1},\"list\":[{\"score\":2}],\"s\":\"\\\"score\\\":3\"}",
      keys: ["score", "meta"])
    #expect(inner.isValid)
    #expect(inner.kind(0) == .missing)
    #expect(inner.text(1) == "{\"score\":1}")
    // A value that looks like a key is not one.
    #expect(scan("{\"x\":\"score\"}", keys: ["score"]).kind(0) == .missing)

    // The same key wanted twice fills both slots.
    let twice = scan("{\"a\":0.5}", keys: ["a", "b", "a"])
    #expect(twice.text(0) == "0.5" && twice.text(2) == "0.5")
    #expect(twice.kind(1) == .missing)
    #expect(twice.values[1].start == twice.values[1].end)
  }

  @Test("a key given twice takes its last value, whatever its spelling or kind")
  func duplicateKeysLastWins() {
    let result = scan(
      "{\"a\":1,\"b\":\"x\",\"a\":2,\"sc\\u006fre\":0.5,\"b\":null,\"score\":[1],\"a\":\"3\"}",
      keys: ["a", "b", "score"])
    #expect(result.isValid)
    #expect(result.text(0) == "3")
    #expect(result.kind(0) == .jsonString(hasEscapes: false))
    #expect(result.kind(1) == .jsonNull)
    #expect(result.kind(2) == .jsonContainer)
    #expect(result.text(2) == "[1]")
    let escapedLast = scan("{\"score\":0.1,\"sc\\u006fre\":0.9}", keys: ["score"])
    #expect(escapedLast.text(0) == "0.9")
    // An invalid line reports a problem even when every wanted key was found before it.
    #expect(scan("{\"a\":1,\"a\":2,}", keys: ["a"]).isValid == false)
  }

  @Test("the kind and the span of each value")
  func kindsAndSpans() {
    let cases: [(String, FieldSpan.Kind, String)] = [
      ("0", .jsonNumber, "0"), ("-1.5e+3", .jsonNumber, "-1.5e+3"),
      ("1234567890.0123456789E-99", .jsonNumber, "1234567890.0123456789E-99"),
      ("NaN", .jsonNumber, "NaN"), ("Infinity", .jsonNumber, "Infinity"),
      ("-Infinity", .jsonNumber, "-Infinity"),
      ("\"0.25\"", .jsonString(hasEscapes: false), "0.25"),
      ("\"\"", .jsonString(hasEscapes: false), ""),
      ("\" \\t\"", .jsonString(hasEscapes: true), " \\t"),
      ("\"a\\\"b\"", .jsonString(hasEscapes: true), "a\\\"b"),
      ("\"\\u0031\"", .jsonString(hasEscapes: true), "\\u0031"),
      ("\"\\\\\"", .jsonString(hasEscapes: true), "\\\\"),
      ("\"é😀\"", .jsonString(hasEscapes: false), "é😀"),
      ("true", .jsonBoolean(true), "true"), ("false", .jsonBoolean(false), "false"),
      ("null", .jsonNull, "null"), ("{}", .jsonContainer, "{}"), ("[ ]", .jsonContainer, "[ ]"),
      ("{\"x\":[1,{\"y\":\"}\"}]}", .jsonContainer, "{\"x\":[1,{\"y\":\"}\"}]}"),
      ("[\"]\",[[]]]", .jsonContainer, "[\"]\",[[]]]"),
    ]
    for (value, kind, text) in cases {
      for line in [
        "{\"v\":\(value)}", "{ \"v\" :\t\(value) \r}", "{\"a\":1,\"v\":\(value),\"b\":[2]}",
      ] {
        let result = scan(line, keys: ["v"])
        #expect(result.isValid, "\(line): \(result.problem ?? "")")
        #expect(result.kind(0) == kind, "\(line)")
        #expect(result.text(0) == text, "\(line)")
      }
    }
    // Spans index the line: the value of `v` in `{"v":12}` is bytes 5..<7.
    let spans = scan("{\"v\":12}", keys: ["v"])
    #expect(spans.values[0].start == 5 && spans.values[0].end == 7)
    let string = scan("{\"v\":\"ab\"}", keys: ["v"])
    #expect(string.values[0].start == 6 && string.values[0].end == 8)
    // A missing key is an empty span of kind `.missing`.
    let missing = scan("{\"x\":1}", keys: ["v"])
    #expect(missing.kind(0) == .missing && missing.values[0].start == missing.values[0].end)
  }

  @Test("white space is space, tab and CR around any token; nothing else")
  func whitespace() {
    for space in [" ", "\t", "\r", " \t\r ", "\r\r"] {
      let line = space + ["{", "\"a\"", ":", "[", "1", ",", "2", "]", "}"].joined(separator: space)
      let result = scan(line + space, keys: ["a"])
      #expect(result.isValid, "\(line.debugDescription)")
      #expect(result.text(0) == "[\(space)1\(space),\(space)2\(space)]")
    }
    for other in ["\u{0C}", "\u{0B}", "\n", "\u{A0}", "\u{2028}", "\u{0}", "\u{FEFF}"] {
      for line in [
        "\(other){\"a\":1}", "{\(other)\"a\":1}", "{\"a\"\(other):1}", "{\"a\":\(other)1}",
        "{\"a\":1\(other)}", "{\"a\":1}\(other)", "{\"a\":[1\(other)]}",
      ] {
        #expect(scan(line).isValid == false, "\(line.debugDescription)")
      }
    }
  }

  @Test(
    "invalid lines and their messages",
    arguments: [
      // Not an object.
      ("[1]", "a JSON Lines record must be an object"),
      ("1", "a JSON Lines record must be an object"),
      ("\"x\"", "a JSON Lines record must be an object"),
      ("null", "a JSON Lines record must be an object"),
      ("true", "a JSON Lines record must be an object"),
      ("  [{\"a\":1}]", "a JSON Lines record must be an object"),
      ("", "empty JSON record"), (" \t\r", "empty JSON record"),
      // After the object.
      (
        "{\"a\":1}}",
        "invalid JSON at column 8: expected the end of the line after the object, found \"}\""
      ),
      ("{\"a\":1} x", "invalid JSON at column 9: expected the end of the line after the object"),
      ("{\"a\":1}{\"b\":2}", "invalid JSON at column 8: expected the end of the line"),
      ("{\"a\":1},", "invalid JSON at column 8: expected the end of the line"),
      ("{} {}", "invalid JSON at column 4: expected the end of the line"),
      // Members.
      ("{\"a\":1,}", "invalid JSON at column 8: expected a key, found \"}\""),
      ("{,}", "invalid JSON at column 2: expected a key, found \",}\""),
      ("{\"a\":1,,\"b\":2}", "invalid JSON at column 8: expected a key"),
      ("{\"a\" 1}", "invalid JSON at column 6: expected ':', found \"1}\""),
      ("{\"a\"}", "invalid JSON at column 5: expected ':'"),
      ("{\"a\":}", "invalid JSON at column 6: expected a value, found \"}\""),
      ("{\"a\"::1}", "invalid JSON at column 6: expected a value"),
      ("{a:1}", "invalid JSON at column 2: expected a key, found \"a:1}\""),
      ("{'a':1}", "invalid JSON at column 2: expected a key"),
      ("{\"a\":'x'}", "invalid JSON at column 6: expected a value, found \"'x'}\""),
      ("{\"a\":1 2}", "invalid JSON at column 8: expected ',' or '}', found \"2}\""),
      ("{\"a\":1;\"b\":2}", "expected ',' or '}'"), ("{1:2}", "expected a key"),
      ("{\"a\":1", "the JSON record ends early: expected ',' or '}'"),
      ("{\"a\":", "the JSON record ends early: expected a value"),
      ("{\"a\"", "the JSON record ends early: expected ':'"),
      ("{", "the JSON record ends early: expected a key"),
      ("{\"a\":1,", "the JSON record ends early: expected a key"),
      // Strings.
      ("{\"a\":\"\\x\"}", "invalid JSON at column 7: a bad escape"),
      ("{\"a\":\"\\'\"}", "a bad escape"), ("{\"a\":\"\\U0041\"}", "a bad escape"),
      ("{\"a\":\"\\0\"}", "a bad escape"),
      ("{\"a\\x\":1}", "invalid JSON at column 4: a bad escape"),
      ("{\"a\":\"\\u12\"}", "invalid JSON at column 7: a bad \\u escape"),
      ("{\"a\":\"\\u12G4\"}", "a bad \\u escape"), ("{\"a\":\"\\u\"}", "a bad \\u escape"),
      ("{\"a\":\"\\u-123\"}", "a bad \\u escape"), ("{\"a\":\"\\u 123\"}", "a bad \\u escape"),
      ("{\"a\":\"x\u{1}y\"}", "invalid JSON at column 8: a control character in a string"),
      ("{\"a\":\"\t\"}", "a control character in a string"),
      ("{\"a\":\"\u{1F}\"}", "a control character in a string"),
      ("{\"\u{0}\":1}", "invalid JSON at column 3: a control character in a string"),
      ("{\"a\":\"abc", "invalid JSON: a string is not closed before the end of the line"),
      ("{\"a\":\"abc\\\"}", "a string is not closed"), ("{\"a\":\"abc\\", "a string is not closed"),
      ("{\"a\":\"\\u00", "a bad \\u escape"), ("{\"abc", "a string is not closed"),
      ("{\"a\":[\"x]}", "a string is not closed"),
      // Containers.
      ("{\"a\":[1,2", "the JSON record ends early"), ("{\"a\":[", "the JSON record ends early"),
      ("{\"a\":{\"b\":1", "the JSON record ends early"),
      ("{\"a\":[1,]}", "invalid JSON"), ("{\"a\":[,1]}", "invalid JSON"),
      ("{\"a\":[1,,2]}", "invalid JSON"), ("{\"a\":{\"b\":1,}}", "invalid JSON"),
      ("{\"a\":{\"b\"}}", "invalid JSON"), ("{\"a\":{\"b\":}}", "invalid JSON"),
      ("{\"a\":{1:2}}", "invalid JSON"), ("{\"a\":[1}", "invalid JSON"),
      ("{\"a\":{]}", "invalid JSON"), ("{\"a\":[}]}", "invalid JSON"),
      ("{\"a\":[1 2]}", "invalid JSON"), ("{\"a\":[[]]]}", "invalid JSON"),
      ("{\"a\":{\"b\":1}}}", "invalid JSON"), ("{\"a\":[1]]}", "invalid JSON"),
      ("{\"a\":{\"b\" 1}}", "invalid JSON"), ("{\"a\":{'b':1}}", "invalid JSON"),
      // Numbers.
      ("{\"a\":01}", "expected a value"),
      ("{\"a\":-01}", "invalid JSON"), ("{\"a\":00}", "invalid JSON"),
      ("{\"a\":.5}", "invalid JSON at column 6: expected a value, found \".5}\""),
      ("{\"a\":-.5}", "invalid JSON"), ("{\"a\":1.}", "invalid JSON"),
      ("{\"a\":1.e5}", "invalid JSON"), ("{\"a\":+1}", "invalid JSON"),
      ("{\"a\":-}", "invalid JSON"), ("{\"a\":--1}", "invalid JSON"),
      ("{\"a\":1e}", "invalid JSON"), ("{\"a\":1e+}", "invalid JSON"),
      ("{\"a\":1E-}", "invalid JSON"), ("{\"a\":1e5.5}", "invalid JSON"),
      ("{\"a\":1.5.5}", "invalid JSON"), ("{\"a\":0x10}", "invalid JSON"),
      ("{\"a\":1_000}", "invalid JSON"), ("{\"a\":[01]}", "invalid JSON"),
      ("{\"a\":[.5]}", "invalid JSON"), ("{\"a\":[1.]}", "invalid JSON"),
      ("{\"a\":[+1]}", "invalid JSON"), ("{\"a\":[-]}", "invalid JSON"),
      // Literals, and spellings Python's json does not write.
      ("{\"a\":tru}", "invalid JSON"), ("{\"a\":True}", "invalid JSON"),
      ("{\"a\":truex}", "invalid JSON"), ("{\"a\":nul}", "invalid JSON"),
      ("{\"a\":NULL}", "invalid JSON"), ("{\"a\":fals}", "invalid JSON"),
      ("{\"a\":nan}", "invalid JSON"), ("{\"a\":-NaN}", "invalid JSON"),
      ("{\"a\":inf}", "invalid JSON"), ("{\"a\":infinity}", "invalid JSON"),
      ("{\"a\":+Infinity}", "invalid JSON"), ("{\"a\":Infinit}", "invalid JSON"),
      ("{\"a\":-Inf}", "invalid JSON"), ("{\"a\":[tru]}", "invalid JSON"),
      ("{\"a\":[NaNx]}", "invalid JSON"), ("{\"a\":undefined}", "invalid JSON"),
    ])
  func invalidLines(line: String, message: String) {
    let result = scan(line)
    #expect(result.problem?.contains(message) == true, "\(line): \(result.problem ?? "nil")")
    if message.hasPrefix("invalid JSON at column") {
      #expect(result.problem?.hasPrefix(message) == true, "\(line): \(result.problem ?? "nil")")
    }
  }

  @Test("the excerpt in a message is at most 20 bytes, escaped")
  func messageExcerpt() {
    let long = scan("{\"a\":1 " + String(repeating: "x", count: 50) + "}")
    #expect(
      long.problem
        == "invalid JSON at column 8: expected ',' or '}', found \"\(String(repeating: "x", count: 20))\""
    )
    let tab = scan("{\"a\":1\u{0C}\t}")
    #expect(tab.problem == "invalid JSON at column 7: expected ',' or '}', found \"\\u{c}\\t}\"")
  }

  @Test("unescaping decodes every escape and pairs surrogates")
  func unescaping() {
    func decoded(_ escaped: String) -> [UInt8] {
      let bytes = Array(escaped.utf8)
      return bytes.withUnsafeBufferPointer { JSONLineScanner.unescaped($0, 0, bytes.count) }
    }
    #expect(decoded("a\\\"b\\\\c\\/d") == Array("a\"b\\c/d".utf8))
    #expect(decoded("\\b\\f\\n\\r\\t") == [8, 12, 10, 13, 9])
    #expect(decoded("\\u0041\\u00e9\\u20AC\\u0000") == Array("Aé€\u{0}".utf8))
    #expect(decoded("\\ud83d\\ude00") == Array("😀".utf8))
    #expect(decoded("\\uD83D\\uDE00x") == Array("😀x".utf8))
    // Unpaired surrogates have no UTF-8: each becomes U+FFFD.
    #expect(decoded("\\ud83dx") == Array("\u{FFFD}x".utf8))
    #expect(decoded("\\ude00\\ud83d") == Array("\u{FFFD}\u{FFFD}".utf8))
    #expect(decoded("\\ud83d\\u0041") == Array("\u{FFFD}A".utf8))
    #expect(decoded("\\ud83d") == Array("\u{FFFD}".utf8))
  }
}

// MARK: Strings and numbers read eight bytes at a time

@Test func aSpecialByteIsSeenAtEveryOffsetOfAString() {
  // The string scan skips eight plain bytes at a time: put each kind of byte that ends a
  // run at every offset, near the line's end too, and expect the byte-by-byte verdict.
  for offset in 0..<20 {
    let before = String(repeating: "a", count: offset)
    for after in ["", "b", "bcdefghijklmnop"] {
      let escaped = scan("{\"k\":\"\(before)\\\"\(after)\"}", keys: ["k"])
      #expect(escaped.isValid && escaped.text(0) == before + "\\\"" + after)
      #expect(escaped.kind(0) == .jsonString(hasEscapes: true))
      let unicode = scan("{\"k\":\"\(before)\\u00e9\(after)\"}", keys: ["k"])
      #expect(unicode.isValid && unicode.kind(0) == .jsonString(hasEscapes: true))
      let plain = scan("{\"k\":\"\(before)\(after)\"}", keys: ["k"])
      #expect(plain.isValid && plain.text(0) == before + after)
      #expect(plain.kind(0) == .jsonString(hasEscapes: false))
      let control = scan(Array("{\"k\":\"\(before)".utf8) + [0x01] + Array("\(after)\"}".utf8))
      #expect(
        control.problem
          == "invalid JSON at column \(7 + offset): a control character in a string")
      let open = scan("{\"k\":\"\(before)\(after)")
      #expect(open.problem == "invalid JSON: a string is not closed before the end of the line")
    }
  }
}

@Test func numbersOfEveryLengthAreDelimited() {
  for length in 1..<26 {
    let digits = String((0..<length).map { Character(String(($0 % 9) + 1)) })
    for number in [digits, "-" + digits, "0." + digits, digits + "e12", digits + ".5E-3"] {
      let line = scan("{\"k\":\(number),\"z\":1}", keys: ["k"])
      #expect(line.isValid && line.text(0) == number, "\(number)")
    }
    #expect(!scan("{\"k\":\(digits).}").isValid)
    #expect(!scan("{\"k\":\(digits)e}").isValid)
  }
}
