import ArgumentParser
import BCECore
import BCEIO

extension InputFormat: ExpressibleByArgument {}
extension ClipPreset: ExpressibleByArgument {}
extension InflateBackend: ExpressibleByArgument {}

/// A report format of `--output`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
  case text, json, prometheus
}

/// A byte count with an optional binary suffix: `65536`, `64K`, `4M`, `1G` (also `KiB`…).
struct ByteCount: ExpressibleByArgument {
  let bytes: Int

  init?(argument: String) {
    var text = argument.uppercased()
    if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
    var scale = 1
    switch text.last {
    case "K": scale = 1 << 10
    case "M": scale = 1 << 20
    case "G": scale = 1 << 30
    default: break
    }
    if scale > 1 { text.removeLast() }
    guard let value = Int(text), value >= 1 else { return nil }
    let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
    guard !overflow else { return nil }
    self.bytes = bytes
  }
}

/// A one-byte field separator: any single ASCII character, or `tab` / `\t`.
struct Delimiter: ExpressibleByArgument {
  let byte: UInt8

  init?(argument: String) {
    if argument == "tab" || argument == "\\t" {
      byte = 0x09
      return
    }
    let bytes = Array(argument.utf8)
    guard bytes.count == 1, bytes[0] < 0x80 else { return nil }
    // These bytes have a meaning of their own in CSV.
    guard bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D else { return nil }
    byte = bytes[0]
  }
}

/// The two label tokens of `--labels NEG,POS`.
struct LabelTokens: ExpressibleByArgument {
  let negative: [UInt8]
  let positive: [UInt8]

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] != parts[1] else {
      return nil
    }
    negative = Array(parts[0].utf8)
    positive = Array(parts[1].utf8)
  }
}

extension ColumnSelector: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}
