import Foundation
import Testing

/// What one run of the `bce` binary did.
struct BCERun: CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String

  var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }

  /// Stdout parsed as one JSON object (`[:]` when it is not one).
  var json: [String: Any] {
    let object = try? JSONSerialization.jsonObject(with: Data(stdout.utf8))
    return object as? [String: Any] ?? [:]
  }

  /// The value of every `"key": number` in the JSON report, in order (so the k-th is the
  /// k-th result's), parsed from its text: `"inf"` is infinity, `null` is `nil`.
  ///
  /// Not through `JSONSerialization`: swift-corelibs-foundation reads some doubles one ulp
  /// off (`0.21616187468057912` comes back as `0.21616187468057918`), and these tests compare
  /// bits. `Double(String)` is correctly rounded.
  func numbers(_ key: String) -> [Double?] {
    var values: [Double?] = []
    var rest = stdout[...]
    while let found = rest.range(of: "\"\(key)\": ") {
      rest = rest[found.upperBound...]
      let text = rest.prefix { $0 != "," && $0 != "}" }
      switch text {
      case "null": values.append(nil)
      case "\"inf\"": values.append(.infinity)
      case "\"-inf\"": values.append(-.infinity)
      default: values.append(Double(text))
      }
    }
    return values
  }

  /// The value of `key` in the first result of the JSON report (see ``numbers(_:)``).
  func number(_ key: String) -> Double? { numbers(key).first ?? nil }

  /// The first result of the JSON report.
  var firstResult: [String: Any] {
    (json["results"] as? [[String: Any]])?.first ?? [:]
  }

  /// The part of the JSON report that depends only on the records: `"records"` up to (not
  /// including) `"bytes_read"`. Byte for byte, so that doubles are compared exactly.
  var recordsSection: Substring {
    guard let start = stdout.range(of: "\"records\""), let end = stdout.range(of: "\"bytes_read\"")
    else { return "" }
    return stdout[start.lowerBound..<end.lowerBound]
  }
}

/// A fresh temporary directory in which a test writes its files and runs `bce`.
final class Workspace {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("bce-e2e-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// Writes `bytes` to `name` in the directory.
  func write(_ name: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: url.appendingPathComponent(name))
  }

  func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

  /// Runs `bce` with `arguments` in the directory, standard input read from `stdin`.
  func bce(_ arguments: [String], stdin: [UInt8] = []) throws -> BCERun {
    let binary = try #require(
      BCEBinary.url,
      "the bce executable was not found (looked at \(BCEBinary.candidates.map(\.path))); run `swift build` first"
    )
    // Files, not pipes: nothing to drain concurrently, and no deadlock on large output.
    let id = UUID().uuidString
    let inURL = url.appendingPathComponent(".stdin-\(id)")
    let outURL = url.appendingPathComponent(".stdout-\(id)")
    let errURL = url.appendingPathComponent(".stderr-\(id)")
    try Data(stdin).write(to: inURL)
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
      for file in [inURL, outURL, errURL] { try? FileManager.default.removeItem(at: file) }
    }
    let input = try FileHandle(forReadingFrom: inURL)
    let output = try FileHandle(forWritingTo: outURL)
    let error = try FileHandle(forWritingTo: errURL)
    defer {
      try? input.close()
      try? output.close()
      try? error.close()
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = url
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    process.waitUntilExit()
    return BCERun(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
  }
}

/// Where the built `bce` executable is: next to the test bundle, or in the package's
/// `.build/debug`.
enum BCEBinary {
  static let candidates: [URL] = {
    var directories: [URL] = []
    // Linux: arguments[0] is .build/<triple>/debug/bcePackageTests.xctest, a plain executable.
    let arg0 = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
    directories.append(arg0.deletingLastPathComponent())
    // macOS: the tests run inside .build/debug/bcePackageTests.xctest/Contents/MacOS.
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
      directories.append(bundle.bundleURL.deletingLastPathComponent())
    }
    directories.append(Bundle.main.bundleURL)
    let packageRoot = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    directories.append(packageRoot.appendingPathComponent(".build/debug"))
    return directories.map { $0.appendingPathComponent("bce") }
  }()

  static let url: URL? = candidates.first {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory)
      && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: $0.path)
  }
}
