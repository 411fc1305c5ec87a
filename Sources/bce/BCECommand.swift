import ArgumentParser
import BCECore

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
    reportTruncatedMappings()
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

  /// Makes `SIGBUS` an error with status 1 rather than a crash.
  ///
  /// Plain input files are mapped into memory (`MappedFile`); when a file shrinks while bce
  /// reads it, reading a page past its new end raises `SIGBUS`. Nothing has been written to
  /// stdout by then (the report comes after the last record), so the handler writes the
  /// error line and exits, with only async-signal-safe calls.
  static func reportTruncatedMappings() {
    _ = signal(SIGBUS) { _ in
      let message: StaticString =
        "bce: error: an input file shrank while bce was reading it (SIGBUS)\n"
      _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
      _exit(1)
    }
  }

  /// Writes `bce: error: <message>` to stderr.
  static func printError(_ message: String) {
    StandardStream.error.write("bce: error: \(message)\n")
  }
}
