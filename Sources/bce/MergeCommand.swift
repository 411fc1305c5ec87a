import ArgumentParser
import BCECore
import BCEIO
import Foundation

/// `bce merge`: combine partial states into the report one run over all their inputs would
/// have printed (SPEC §7).
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bce merge",
    abstract: "Combine partial states (from --state-out) into one report.",
    usage: "bce merge [<options>] <states> ...",
    discussion: """
      Every state must have been made with the same math options (clipping, labels, \
      columns, group-by, bins); the report is bitwise what one run over all the inputs \
      would print, whatever the order of the states. '-' reads states from standard \
      input, one per line, so that merge can be the reducer of a streaming job. With \
      --state-out, the merged state can be merged again (a merge tree).

      Exit status: 0 success; 1 a state is unreadable, malformed or of another version, or \
      there are no records; 2 usage error, or states made with different math options; \
      3 a loss_mean exceeds --max-loss.
      """)

  @Argument(help: "State files from 'bce --state-out'; '-' reads one state per line from stdin.")
  var states: [String]

  @OptionGroup var report: ReportOptions

  func run() throws {
    var merged: PartialState? = nil
    var firstName = ""
    for (name, text) in try readStates() {
      let state = try PartialState.decode(text, name: name)
      if merged == nil {
        merged = state
        firstName = name
      } else {
        try merged!.merge(state, names: (firstName, name))
      }
    }
    guard let merged else {
      throw BCEError(.data, place: "-", "no states on standard input")
    }
    if merged.tally.records - merged.tally.skipped == 0 {
      throw BCEError(.data, place: firstName, "no records to evaluate in the merged states")
    }
    try Evaluation.checkWeights(merged.report, place: firstName)
    try report.deliver(merged.report, state: merged, seconds: nil)
  }

  /// Every state's name and text: a file's whole content, or each non-blank line of stdin.
  private func readStates() throws -> [(String, Substring)] {
    var result: [(String, Substring)] = []
    for path in states {
      if path == "-" {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        let lines = String(decoding: data, as: UTF8.self).split(
          separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated()
        where !line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) {
          result.append(("-:\(i + 1)", line))
        }
      } else {
        guard let data = FileManager.default.contents(atPath: path) else {
          var isDirectory: ObjCBool = false
          let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
          throw BCEError(
            .data, place: path,
            exists
              ? (isDirectory.boolValue ? "is a directory, not a file" : "cannot read")
              : "cannot open: No such file or directory")
        }
        result.append((path, Substring(String(decoding: data, as: UTF8.self))))
      }
    }
    return result
  }
}
