import ArgumentParser
import BCECore
import BCEIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `bce` program: `bce [eval] [OPTIONS] [FILE ...]` and `bce merge [OPTIONS] STATE ...`.
///
/// `main` owns the exit status (SPEC §6): 0 success, 1 data error, 2 usage error, and
/// whatever status a command chooses. Every error is one line on stderr starting with
/// `bce: error:`; nothing is written to stdout on status 1 or 2.
///
/// `eval` is the command; the word `eval` itself is optional. It is the root command
/// rather than a default subcommand so that `bce --help` shows its options.
@main
enum BCECommand {
  static func main() {
    // A plain input is mapped: if its file shrinks mid-run, SIGBUS becomes an error line.
    TruncationGuard.install()
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "merge" {
      exit(run(MergeCommand.self, Array(arguments.dropFirst())))
    }
    if arguments.first == "eval" { arguments.removeFirst() }
    exit(run(EvalCommand.self, arguments))
  }

  /// Parses and runs one command, and returns the exit status.
  static func run<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String])
    -> Int32
  {
    do {
      var command = try type.parseAsRoot(arguments)
      try command.run()
      return 0
    } catch let error as BCEError {
      printError(error.description)
      return error.kind == .usage ? 2 : 1
    } catch let exit as ExitCode {
      return exit.rawValue
    } catch {
      if type.exitCode(for: error) == .success {  // --help, --version
        StandardStream.output.write(type.fullMessage(for: error) + "\n")
        return 0
      }
      printError("\(type.message(for: error)) (see 'bce --help')")
      return 2
    }
  }

  /// Writes `bce: error: <message>` to stderr.
  static func printError(_ message: String) {
    StandardStream.error.write("bce: error: \(message)\n")
  }
}
