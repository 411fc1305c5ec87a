import Foundation
import Testing

@Suite("bce on very long records")
struct LongRecordCommandLineTests {
  /// A 1 MB field in an ignored column — quoted, with delimiters and line breaks inside —
  /// works with chunks far smaller than the record, in CSV and JSON Lines, and the line
  /// numbers after it stay right.
  @Test func megabyteFieldInAnIgnoredColumn() throws {
    let dir = try Workspace()
    var big = String(repeating: "lorem ipsum, dolor\n", count: 52_600)  // ~1 MB, 52,600 line breaks
    big += String(repeating: "x", count: 1_000_000 - big.utf8.count)
    let csv = "note,label,pred\nshort,0,0.1\n\"\(big)\",1,0.9\nshort,1,0.8\nshort,0,0.35\n"
    try dir.write("long.csv", csv)
    let plain = try dir.bce(["--output", "json", "--chunk-size", "64K", "long.csv"])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.number("loss_mean") == 0.21616187468057912)  // VECTORS.md TV1
    // An error after the long record names its physical line: 3 + 52,600 + 3.
    try dir.write("bad.csv", csv + "short,1,oops\n")
    let bad = try dir.bce(["--chunk-size", "64K", "bad.csv"])
    #expect(bad.status == 1)
    #expect(bad.stdout == "")
    #expect(
      bad.stderr.hasPrefix("bce: error: bad.csv:52606: invalid prediction \"oops\""),
      "\(bad.stderr)")

    let escaped = big.replacingOccurrences(of: "\n", with: "\\n")
    let jsonl =
      "{\"label\": 0, \"pred\": 0.1}\n{\"note\": \"\(escaped)\", \"label\": 1, \"pred\": 0.9}\n"
      + "{\"label\": 1, \"pred\": 0.8}\n{\"label\": 0, \"pred\": 0.35, \"n\": [[\"\(escaped)\"]]}\n"
    try dir.write("long.jsonl", jsonl)
    let lines = try dir.bce(["--output", "json", "--chunk-size", "4K", "long.jsonl"])
    #expect(lines.status == 0, "\(lines.stderr)")
    #expect(lines.number("loss_mean") == 0.21616187468057912)
  }
}
