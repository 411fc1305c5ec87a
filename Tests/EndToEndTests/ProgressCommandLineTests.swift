import Foundation
import Testing

/// Runs `bce` under a pseudo-terminal with util-linux `script`, so that its stderr is a
/// terminal; returns everything the terminal received (stdout and stderr together).
private func runUnderTerminal(_ dir: Workspace, _ arguments: [String]) throws -> (Int32, String) {
  let binary = try #require(BCEBinary.url)
  let command = ([binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
  // -q: no banner; -e: the command's exit status; -c: the command; /dev/null: no typescript.
  process.arguments = ["-qec", command, "/dev/null"]
  process.currentDirectoryURL = dir.url
  let output = Pipe()
  process.standardOutput = output
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("bce progress line")
struct ProgressCommandLineTests {
  static let erase = "\r\u{1B}[K"

  /// A log large enough that a debug build takes a few hundred milliseconds.
  static func bigLog() -> String {
    var text = "label,pred\n"
    text.reserveCapacity(4_000_000)
    for i in 0..<300_000 { text += "\(i % 2),0.\(100_000 + i % 899_999)\n" }
    return text
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func updatingLineOnATerminalThenErased() throws {
    let dir = try Workspace()
    try dir.write("p.csv", Self.bigLog())
    let (status, screen) = try runUnderTerminal(dir, ["--output", "json", "p.csv"])
    #expect(status == 0, "\(screen)")
    // At least one drawn line, with the size of the file as the total, then the erase, then
    // the report.
    let size =
      try FileManager.default.attributesOfItem(
        atPath: dir.url.appendingPathComponent("p.csv").path)[.size] as! Int
    let total = String(format: "/%.1f MB (", Double(size) / 1e6)
    let drawn = try #require(screen.range(of: "\rbce: "), "\(screen.prefix(300))")
    let line = screen[drawn.upperBound...].prefix { $0 != "\u{1B}" }
    #expect(line.contains(total), "\(line)")
    #expect(line.contains("MB/s") && line.contains("records") && line.contains("elapsed"))
    let erased = try #require(screen.range(of: Self.erase + "{\"inputs\""), "\(screen.suffix(300))")
    // Nothing is drawn after the erase.
    #expect(!screen[erased.upperBound...].contains("bce: "))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func noProgressWhenTurnedOffOnATerminal() throws {
    let dir = try Workspace()
    try dir.write("p.csv", Self.bigLog())
    let (status, screen) = try runUnderTerminal(
      dir, ["--no-progress", "--output", "json", "p.csv"])
    #expect(status == 0)
    #expect(!screen.contains("\rbce: "))
    #expect(screen.hasPrefix("{\"inputs\""))
  }

  @Test func neverOnAPipeUnlessAsked() throws {
    let dir = try Workspace()
    try dir.write("p.csv", Self.bigLog())
    let quiet = try dir.bce(["--output", "json", "p.csv"])
    #expect(quiet.status == 0)
    #expect(quiet.stderr == "")
    // Asked for, on standard input: a running count without a total, then the erase.
    let asked = try dir.bce(
      ["--progress", "--output", "json", "-"], stdin: Array(Self.bigLog().utf8))
    #expect(asked.status == 0)
    #expect(asked.stderr.hasSuffix(Self.erase), "\(asked.stderr.suffix(200))")
    if let drawn = asked.stderr.range(of: "\rbce: ") {
      let line = asked.stderr[drawn.upperBound...].prefix { $0 != "\u{1B}" }
      #expect(!line.contains("%") && !line.contains("left"), "\(line)")
    }
    // On an error, the line is erased before the message.
    try dir.write("bad.csv", "label,pred\n0,2\n")
    let bad = try dir.bce(["--progress", "bad.csv"])
    #expect(bad.status == 1)
    #expect(
      bad.stderr.hasSuffix(
        Self.erase
          + "bce: error: bad.csv:2: invalid prediction \"2\" in column 'pred' (expected a probability in [0, 1], out of range)\n"
      ), "\(bad.stderr)")
  }
}
