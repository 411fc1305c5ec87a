import Foundation
import Testing

@Suite("bce --group-by")
struct GroupByCommandLineTests {
  /// One row per group after the overall one, groups in byte order, for every --pred.
  @Test func rowsInOrderForEveryPrediction() throws {
    let dir = try Workspace()
    try dir.write(
      "g.csv",
      """
      label,a,b,segment
      0,0.1,0.2,"b,2"
      1,0.9,0.7,a
      1,0.8,0.6,"b,2"
      0,0.35,0.5,B
      1,0.6,0.4,a

      """)
    let run = try dir.bce(["-p", "a", "-p", "b", "-g", "segment", "--output", "json", "g.csv"])
    #expect(run.status == 0, "\(run)")
    let results = try #require(run.json["results"] as? [[String: Any]])
    let rows = results.map { "\($0["pred"]!)/\($0["group"] as? String ?? "*")" }
    #expect(rows == ["a/*", "a/B", "a/a", "a/b,2", "b/*", "b/B", "b/a", "b/b,2"])
    #expect(results.map { $0["count"] as? Int } == [5, 1, 2, 2, 5, 1, 2, 2])
    // Every group's sums add up to the overall result (exactly, here small integers).
    let ungrouped = try dir.bce(["-p", "a", "-p", "b", "--output", "json", "g.csv"])
    #expect(run.numbers("loss_sum")[0] == ungrouped.numbers("loss_sum")[0])
    #expect(run.numbers("loss_sum")[4] == ungrouped.numbers("loss_sum")[1])
  }

  /// The overall row of a grouped run is byte-identical to the ungrouped run, for any
  /// threads and chunk size.
  @Test func overallRowEqualsUngroupedRun() throws {
    let dir = try Workspace()
    var text = "request_id,model,label,score\n"
    var rng = SystemRandomNumberGenerator()
    for i in 0..<3000 {
      let model = "m\(Int.random(in: 0..<7, using: &rng))"
      let score = Double.random(in: 0...1, using: &rng)
      text += "\(i),\(model),\(Int.random(in: 0...1, using: &rng)),\(score)\n"
    }
    try dir.write("p.csv", text)
    let plain = try dir.bce(["-p", "score", "--output", "json", "p.csv"])
    #expect(plain.status == 0, "\(plain)")
    var outputs: Set<String> = []
    for (threads, chunk) in [("1", "64"), ("2", "1M"), ("5", "300")] {
      let grouped = try dir.bce([
        "-p", "score", "-g", "model", "--output", "json", "--threads", threads, "--chunk-size",
        chunk, "p.csv",
      ])
      #expect(grouped.status == 0, "\(grouped)")
      #expect(grouped.numbers("loss_sum").count == 8)
      #expect(grouped.numbers("loss_sum")[0] == plain.numbers("loss_sum")[0])
      #expect(grouped.numbers("pred_mean")[0] == plain.numbers("pred_mean")[0])
      outputs.insert(grouped.stdout)
    }
    #expect(outputs.count == 1)
  }

  @Test func jsonLinesGroupValues() throws {
    let dir = try Workspace()
    try dir.write(
      "g.jsonl",
      """
      {"label": 1, "pred": 0.9, "g": "x"}
      {"label": 0, "pred": 0.2, "g": 3}
      {"label": 1, "pred": 0.7, "g": "\\u0078"}
      {"label": 0, "pred": 0.4, "g": true}

      """)
    let run = try dir.bce(["-g", "g", "--output", "json", "g.jsonl"])
    #expect(run.status == 0, "\(run)")
    let groups = (run.json["results"] as? [[String: Any]] ?? []).map { $0["group"] as? String }
    #expect(groups == [nil, "3", "true", "x"])
    // A missing or null group value is an invalid record.
    try dir.write(
      "bad.jsonl", "{\"label\": 1, \"pred\": 0.9, \"g\": \"x\"}\n{\"label\": 1, \"pred\": 0.9}\n")
    let bad = try dir.bce(["-g", "g", "bad.jsonl"])
    #expect(bad.status == 1)
    #expect(bad.stdout == "")
    #expect(bad.stderr == "bce: error: bad.jsonl:2: no group key 'g' in the record\n")
  }

  @Test func missingGroupColumnIsAUsageError() throws {
    let dir = try Workspace()
    try dir.write("g.csv", "label,pred\n1,0.5\n")
    let run = try dir.bce(["-g", "model", "g.csv"])
    #expect(run.status == 2)
    #expect(run.stdout == "")
    #expect(
      run.stderr
        == "bce: error: g.csv: no group-by column 'model': columns are 'label', 'pred'\n")
  }
}
