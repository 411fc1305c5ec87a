import BCECore
import BCEIO
import BCETestSupport
import Foundation
import Testing

/// The README's library example, compiled and run, so that the documentation stays true.
@Suite struct LibraryExampleTests {
  @Test func readmeExampleRuns() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("bce-library-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("preds.csv.gz").path
    let csv = "request_id,model,label,score\n1,a,0,0.1\n2,b,1,0.9\n3,a,1,0.8\n4,b,0,0.35\n"
    try Data(gzipMember(Array(csv.utf8))).write(to: URL(fileURLWithPath: path))

    // From README.md, "Library use" (the path made absolute).
    var options = EvaluationOptions()
    options.columns = ColumnSelection(
      label: .name("label"), predictions: [.name("score")], group: .name("model"))
    options.rules = RecordRules(formula: LossFormula(clipping: .preset(.sklearn)), binCount: 10)
    options.threads = 4

    var printed: [String] = []
    do {
      let outcome = try Evaluation.run(inputs: [.path(path)], options: options)
      for row in outcome.report.results {  // overall first, then each model
        printed.append("\(row.prediction) \(row.group ?? "(all)") \(row.metrics.lossMean ?? .nan)")
      }
      #expect(outcome.report.results[0].bins?.count == 10)
    } catch {
      Issue.record("bce failed: \(error)")
    }
    #expect(printed.first == "score (all) 0.21616187468057912")
    #expect(printed.count == 3)
  }
}
