import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts the elements of an SVG document by name and class, and checks it is well-formed XML.
private final class SVGCounter: NSObject, XMLParserDelegate {
  var elements: [String: Int] = [:]
  var binCircles = 0

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String]
  ) {
    elements[name, default: 0] += 1
    if name == "circle" && attributes["class"] == "bin" { binCircles += 1 }
  }
}

@Suite("bce --bins and --plot")
struct CalibrationCommandLineTests {
  static func log(rows: Int) -> String {
    var text = "label,a,b\n"
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<rows {
      let p = Double.random(in: 0...1, using: &rng)
      let label = Double.random(in: 0...1, using: &rng) < p ? 1 : 0
      text += "\(label),\(p),\(min(1, p * 1.3))\n"
    }
    return text
  }

  @Test func binsInTheJSONReportAddUpAndDoNotDependOnThreads() throws {
    let dir = try Workspace()
    try dir.write("p.csv", Self.log(rows: 2000))
    var outputs: Set<String> = []
    for (threads, chunk) in [("1", "1M"), ("2", "100"), ("5", "333")] {
      let run = try dir.bce([
        "-p", "a", "-p", "b", "--bins", "7", "--output", "json", "--threads", threads,
        "--chunk-size", chunk, "p.csv",
      ])
      #expect(run.status == 0, "\(run)")
      outputs.insert(run.stdout)
    }
    #expect(outputs.count == 1)
    let run = try dir.bce(["-p", "a", "-p", "b", "--bins", "7", "--output", "json", "p.csv"])
    let results = try #require(run.json["results"] as? [[String: Any]])
    #expect(results.count == 2)
    for result in results {
      let bins = try #require(result["bins"] as? [[String: Any]])
      #expect(bins.count == 7)
      #expect(bins.map { $0["count"] as? Int ?? -1 }.reduce(0, +) == 2000)
      #expect(bins.first?["lower"] as? Double == 0)
      #expect(bins.last?["upper"] as? Double == 1)
      for (i, bin) in bins.enumerated() where (bin["count"] as? Int ?? 0) > 0 {
        let mean = try #require(bin["pred_mean"] as? Double)
        #expect(mean >= Double(i) / 7 - 1e-12 && mean <= Double(i + 1) / 7 + 1e-12)
      }
    }
    // Group rows carry no bins.
    try dir.write("g.csv", "label,a,g\n1,0.9,x\n0,0.2,y\n")
    let grouped = try dir.bce(["-p", "a", "-g", "g", "--bins", "2", "--output", "json", "g.csv"])
    let groupedResults = try #require(grouped.json["results"] as? [[String: Any]])
    #expect(groupedResults.map { $0["bins"] != nil } == [true, false, false])
  }

  @Test func plotIsWellFormedSVGWithOnePointPerNonEmptyBin() throws {
    let dir = try Workspace()
    try dir.write("p.csv", Self.log(rows: 500) + "1,0.99,1\n0,0.01,0\n")
    let run = try dir.bce([
      "-p", "a", "-p", "b", "--bins", "10", "--plot", "r.svg", "--output", "json", "p.csv",
    ])
    #expect(run.status == 0, "\(run)")
    let data = try Data(contentsOf: dir.url.appendingPathComponent("r.svg"))
    let counter = SVGCounter()
    let parser = XMLParser(data: data)
    parser.delegate = counter
    #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
    let results = try #require(run.json["results"] as? [[String: Any]])
    let nonEmpty = results.map { result in
      (result["bins"] as? [[String: Any]] ?? []).filter { ($0["weight_sum"] as? Double ?? 0) > 0 }
        .count
    }
    #expect(counter.binCircles == nonEmpty.reduce(0, +))
    #expect(counter.elements["polyline"] == 2)
    let svg = String(decoding: data, as: UTF8.self)
    #expect(svg.contains("Reliability diagram — log loss: a "))
    #expect(svg.contains("stroke-dasharray"))  // the diagonal
    // Without --bins, the plot uses 10 bins and the report carries them.
    let defaultBins = try dir.bce(["-p", "a", "--plot", "d.svg", "--output", "json", "p.csv"])
    #expect((defaultBins.firstResult["bins"] as? [Any])?.count == 10)
  }

  @Test func badBinsAndUnwritablePlot() throws {
    let dir = try Workspace()
    try dir.write("p.csv", "label,a\n1,0.5\n")
    for bins in ["0", "-3", "10001", "x"] {
      let run = try dir.bce(["-p", "a", "--bins", bins, "p.csv"])
      #expect(run.status == 2, "\(bins): \(run)")
      #expect(run.stdout == "")
    }
    let run = try dir.bce(["-p", "a", "--plot", "no/such/dir/r.svg", "p.csv"])
    #expect(run.status == 1, "\(run)")
    #expect(run.stdout == "")
    #expect(run.stderr.hasPrefix("bce: error: no/such/dir/r.svg: cannot write the plot"))
  }
}
