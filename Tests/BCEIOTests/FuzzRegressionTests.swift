import BCECore
import BCEIO
import BCETestSupport
import Testing

/// Bugs the fuzz targets found (Fuzz/README.md), one test each, named after the bug.
@Suite struct FuzzRegressionTests {
  private static func readAll(_ bytes: [UInt8], pieceSize: Int) throws(BCEError) -> [UInt8] {
    let reader = try GzipReader(source: MemorySource(bytes, pieceSize: pieceSize), name: "in.gz")
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
    defer { buffer.deallocate() }
    while true {
      let n = try reader.read(into: buffer)
      if n == 0 { return out }
      out += buffer[..<n]
    }
  }

  /// gzip-padding-then-member: zeros after a member and then another member were accepted
  /// when the zeros ended exactly at the end of a read, and rejected otherwise.
  @Test func gzipPaddingThenMemberIsAlwaysTrailingData() {
    let member = gzipMember(Array("label,pred\n1,0.5\n".utf8))
    for padding in [1, 2, 7] {
      let stream = member + [UInt8](repeating: 0, count: padding) + member
      for pieceSize in [1, 2, 3, 5, 64, 1 << 20] {
        #expect(throws: BCEError.self, "padding \(padding), pieces of \(pieceSize)") {
          try Self.readAll(stream, pieceSize: pieceSize)
        }
      }
      // Padding alone at the end stays accepted.
      let padded = member + [UInt8](repeating: 0, count: padding)
      #expect((try? Self.readAll(padded, pieceSize: 1)) == Array("label,pred\n1,0.5\n".utf8))
    }
  }

  /// too-few-fields-no-column: a short record's message named no column when only the
  /// group-by column was missing.
  @Test func tooFewFieldsNamesTheGroupColumn() throws {
    var options = EvaluationOptions()
    options.columns = ColumnSelection(
      label: .name("label"), predictions: [.name("pred")], group: .name("g"))
    let input = EvaluationInput.bytes(Array("label,pred,g\n1,0.5,a\n0,0.5\n".utf8), name: "in.csv")
    #expect(
      throws: BCEError.record(
        "in.csv", line: 3, "the record has 2 fields, but column 'g' is field 3")
    ) { try Evaluation.run(inputs: [input], options: options) }
  }

  /// too-few-fields-repeats-column: a column selected in two roles was named twice.
  @Test func tooFewFieldsNamesEachColumnOnce() throws {
    var options = EvaluationOptions()
    options.columns = ColumnSelection(
      label: .name("label"), predictions: [.name("p")], weight: .name("p"))
    let input = EvaluationInput.bytes(Array("label,x,p\n1,0.5\n".utf8), name: "in.csv")
    #expect(
      throws: BCEError.record(
        "in.csv", line: 2, "the record has 2 fields, but column 'p' is field 3")
    ) { try Evaluation.run(inputs: [input], options: options) }
  }

  /// metrics-nan-on-weight-overflow: weights summing past the largest double gave Σw = +∞
  /// and means of 0 or NaN, reported with status 0.
  @Test func weightsSummingPastTheDoubleRangeAreAnError() throws {
    var options = EvaluationOptions()
    options.columns = ColumnSelection(
      label: .name("label"), predictions: [.name("pred")], weight: .name("w"))
    let input = EvaluationInput.bytes(
      Array("label,pred,w\n1,0.5,1e308\n0,0.5,1e308\n".utf8), name: "in.csv")
    #expect(
      throws: BCEError(
        .data, place: "in.csv",
        "the weights of 'pred' sum to more than the largest double; scale them down")
    ) { try Evaluation.run(inputs: [input], options: options) }
  }
}
