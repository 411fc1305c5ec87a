import ArgumentParser
import BCECore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `bce` command: binary cross-entropy of prediction logs.
///
/// `main` owns the exit status (SPEC §6): 0 success, 1 data error, 2 usage error, and
/// whatever status a subcommand chooses (3 for `--max-loss`). Every error is one line on
/// stderr starting with `bce: error:`; nothing is written to stdout on status 1 or 2.
@main
struct BCECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bce",
    abstract: "Binary cross-entropy (log loss) of prediction logs, exact and on every core.",
    discussion: """
      Reads plain or gzip-compressed CSV/TSV (gzip is recognised by its magic bytes), \
      pools the records of every FILE, and reports the total and mean loss. \
      Exit status: 0 success, 1 data error, 2 usage error.
      """,
    version: "0.1.0",
    subcommands: [EvalCommand.self],
    defaultSubcommand: EvalCommand.self
  )

  static func main() {
    let status: Int32
    do {
      var command = try parseAsRoot()
      try command.run()
      status = 0
    } catch let error as BCEError {
      printError(error.description)
      status = error.kind == .usage ? 2 : 1
    } catch let exit as ExitCode {
      status = exit.rawValue
    } catch {
      if exitCode(for: error) == .success {  // --help, --version
        StandardStream.output.write(fullMessage(for: error) + "\n")
        status = 0
      } else {
        printError("\(message(for: error))\nSee 'bce --help' for usage.")
        status = 2
      }
    }
    Glibc.exit(status)
  }

  /// Writes `bce: error: <message>` to stderr.
  static func printError(_ message: String) {
    StandardStream.error.write("bce: error: \(message)\n")
  }
}
