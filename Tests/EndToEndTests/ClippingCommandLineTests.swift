import Foundation
import Testing

/// The command line reaches each clipping rule of SPEC §3: the worst loss per record of each
/// preset (SPEC §3's table; VECTORS.md TV3, TV3t, TV3s) for y = 1, ŷ = 0, and the clipped
/// count (none for `--clip none`).
@Suite("bce --clip, --eps, --logits on the command line")
struct ClippingCommandLineTests {
  @Test(
    arguments: [
      (["--clip", "sklearn"], 36.04365338911715, 1),
      ([], 36.04365338911715, 1),
      (["--clip", "spark"], 34.538776394910684, 1),
      (["--clip", "keras"], 16.11809565095832, 1),
      (["--clip", "torch"], 100, 1),
      (["--eps", "1e-3"], 6.907755278982137, 1),
      (["--clip", "none"], .infinity, 0),
    ] as [([String], Double, Int)])
  func worstLossPerPreset(options: [String], worst: Double, clipped: Int) throws {
    let dir = try Workspace()
    try dir.write("w.csv", "label,pred\n1,0\n")
    let run = try dir.bce(options + ["--output", "json", "w.csv"])
    #expect(run.status == 0, "\(run)")
    let mean = try #require(run.number("loss_mean"))
    if worst.isInfinite {
      #expect(mean == .infinity)
    } else {
      #expect(abs(mean - worst) <= worst.ulp, "\(options): \(mean)")
    }
    #expect(run.number("clipped") == Double(clipped), "\(options)")
  }

  @Test func logitsUseTheStableFormula() throws {
    let dir = try Workspace()
    // VECTORS.md TV5b.
    try dir.write("l.csv", "label,pred\n1,-3.5\n0,0\n1,2.25\n0,40\n1,-40\n")
    let run = try dir.bce(["--logits", "--output", "json", "l.csv"])
    #expect(run.status == 0, "\(run)")
    let mean = try #require(run.number("loss_mean"))
    #expect(abs(mean - 16.864620831549864) <= 16.864620831549864.ulp)
    #expect(run.number("clipped") == 0)
  }

  /// A `.tsv` name means tabs; `--delimiter tab` says so for any name.
  @Test func tabSeparatedInputs() throws {
    let dir = try Workspace()
    let tv1 = "label\tpred\n0\t0.1\n1\t0.9\n1\t0.8\n0\t0.35\n"
    try dir.write("t.tsv", tv1)
    try dir.write("t.txt", tv1)
    for arguments in [["t.tsv"], ["--delimiter", "tab", "t.txt"], ["--format", "tsv", "t.txt"]] {
      let run = try dir.bce(["--output", "json"] + arguments)
      #expect(run.status == 0, "\(arguments): \(run)")
      #expect(run.number("loss_mean") == 0.21616187468057912, "\(arguments)")  // TV1
    }
  }
}
