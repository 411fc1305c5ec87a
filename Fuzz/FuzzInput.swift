#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes libFuzzer hands a target, read front to back: option bytes first, then the
/// payload.
///
/// An input shorter than its options reads zeros for the missing ones, so every input, the
/// empty one included, is a valid test case (libFuzzer starts from tiny inputs).
struct FuzzInput {
  let bytes: UnsafeBufferPointer<UInt8>
  private(set) var position = 0

  init(_ data: UnsafePointer<UInt8>, _ size: Int) {
    bytes = UnsafeBufferPointer(start: data, count: size)
  }

  /// The next option byte, or 0 past the end.
  mutating func byte() -> UInt8 {
    guard position < bytes.count else { return 0 }
    defer { position += 1 }
    return bytes[position]
  }

  /// Everything after the option bytes read so far.
  var rest: UnsafeBufferPointer<UInt8> {
    guard position < bytes.count else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(rebasing: bytes[position...])
  }
}

/// A copy of `bytes` in an allocation of exactly their size, so that AddressSanitizer reports
/// any read past the end of what the code under test was given. Deallocate it after use.
func exactCopy(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawBufferPointer {
  let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
  if bytes.count > 0 { copy.copyMemory(from: bytes) }
  return copy
}

/// Known bugs, by name, that a run was asked to tolerate (`BCE_FUZZ_KNOWN_BUGS=a,b`), so that
/// fuzzing can go on past a bug until it is fixed: guard the check that finds it with
/// `if !knownBugs.contains("bug-name")`, and remove the guard with the fix (Fuzz/README.md).
let knownBugs: Set<String> = {
  guard let value = getenv("BCE_FUZZ_KNOWN_BUGS") else { return [] }
  return Set(String(cString: value).split(separator: ",").map(String.init))
}()

/// Stops the run (a crash that libFuzzer reports and saves) when an invariant is violated.
func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}
