import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Plain files are mapped into memory rather than read; these check what that changes and
/// what it must not.
@Suite("bce on mapped plain files")
struct MappedInputCommandLineTests {
  /// A file, the same bytes on standard input (read, not mapped), and the file as a FILE
  /// and `-` together: the same records, whatever the chunk size or thread count.
  @Test(arguments: ["1", "2", "3"])
  func aMappedFileGivesWhatReadingItGives(threads: String) throws {
    let workspace = try Workspace()
    var text = "id,label,score\n"
    for i in 0..<20_000 {
      text += "\(i),\(i % 3 == 0 ? 1 : 0),0.\(String(i * 7919 % 100_003))\n"
    }
    text += "\"quoted\nid\",1,0.25\r\n20001,0,0.75"  // a quoted line break, CRLF, no final LF
    try workspace.write("log.csv", text)
    for chunk in ["64K", "1K", "100"] {
      let arguments = [
        "-p", "score", "--output", "json", "--threads", threads, "--chunk-size", chunk,
      ]
      let mapped = try workspace.bce(arguments + ["log.csv"])
      let read = try workspace.bce(arguments + ["-"], stdin: Array(text.utf8))
      #expect(mapped.status == 0, "\(mapped)")
      #expect(mapped.recordsSection == read.recordsSection, "chunk \(chunk)")
      #expect(mapped.number("records") == 20_002)
      #expect(mapped.json["bytes_read"] as? Int == text.utf8.count)
    }
  }

  @Test func anInvalidRecordInAMappedFileIsReportedWithItsLine() throws {
    let workspace = try Workspace()
    var text = "label,score\n"
    for i in 0..<50_000 { text += "\(i % 2),0.5\n" }
    text += "1,1.5\n"
    try workspace.write("bad.csv", text)
    let run = try workspace.bce(["-p", "score", "--chunk-size", "4K", "bad.csv"])
    #expect(run.status == 1)
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.hasPrefix("bce: error: bad.csv:50002: invalid prediction \"1.5\""), "\(run)")
  }

  /// A mapped file that shrinks while bce reads it raises SIGBUS. The handler must turn it
  /// into an error line and status 1, with nothing on stdout. The signal is sent by hand to
  /// a bce that waits on its standard input, which makes the test deterministic.
  @Test func sigbusBecomesAnErrorWithStatus1() throws {
    let binary = try #require(BCEBinary.url)
    let process = Process()
    process.executableURL = binary
    process.arguments = ["-p", "score", "-"]
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    try input.fileHandleForWriting.write(contentsOf: Data("label,score\n1,0.5\n".utf8))
    usleep(300_000)  // bce is now blocked reading more of its input
    kill(process.processIdentifier, SIGBUS)
    process.waitUntilExit()
    try input.fileHandleForWriting.close()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 1)
    #expect(stdout.isEmpty)
    #expect(stderr == "bce: error: an input file shrank while bce was reading it (SIGBUS)\n")
  }
}
