import Foundation
import Testing

@testable import BCEIO

#if canImport(Glibc)
  import Glibc
#endif

@Test("a fault inside a mapped file is reported with the file's name, and only while mapped")
func truncationMessageNamesTheMappedFile() throws {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("bce-guard-\(UUID().uuidString).csv").path
  try Data("label,score\n1,0.5\n".utf8).write(to: URL(fileURLWithPath: path))
  defer { try? FileManager.default.removeItem(atPath: path) }
  func text(_ address: UInt) -> String {
    let (bytes, count) = TruncationGuard.message(for: address)
    return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
  }
  let unnamed = "bce: error: an input file shrank while bce was reading it (SIGBUS)\n"
  var start: UInt = 0
  do {
    let descriptor = open(path, O_RDONLY)
    defer { close(descriptor) }
    let mapped = try #require(MappedFile(descriptor: descriptor, name: path))
    start = UInt(bitPattern: mapped.base)
    #expect(
      text(start + 3) == "bce: error: \(path): the file shrank while bce was reading it (SIGBUS)\n")
    #expect(text(start + UInt(mapped.count)) == unnamed)
    #expect(text(0) == unnamed)
  }
  #expect(text(start + 3) == unnamed)  // unregistered when unmapped
}
