#if arch(x86_64)
  import _Builtin_intrinsics.intel
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Record boundaries and field splitting for RFC 4180 CSV with any one-byte delimiter.
///
/// The grammar, byte by byte: a record is fields separated by the delimiter and ended by
/// `\n` (a `\r` right before it belongs to the line end) or by the end of the input. A field
/// that starts with `"` is quoted: it runs to the next `"` that is not doubled (`""` stands
/// for one `"`), and may hold the delimiter, `\r` and `\n`. A `"` anywhere else is an
/// ordinary byte. Text between a closing quote and the next delimiter or line end is
/// malformed: the record evaluator rejects the record, and the boundary scan treats that
/// text as an unquoted continuation so that it still finds the same record ends as the
/// evaluator.
///
/// All offsets are into one buffer that starts at a record boundary, outside any quotes.
public enum CSVScanner {
  static let quote = UInt8(ascii: "\"")
  static let newline = UInt8(ascii: "\n")
  static let carriageReturn = UInt8(ascii: "\r")

  /// `byte` in each of the 8 bytes of a word.
  static func broadcast(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

  /// The first position at or after `start` that holds the delimiter or `\n`, or
  /// `bytes.count` if none does.
  ///
  /// Reads 8 bytes at a time (SWAR): a byte of `word ^ broadcast(d)` is zero exactly where
  /// `word` has `d`, and `(v − 0x01…01) & ~v & 0x80…80` marks the lowest zero byte of `v`
  /// exactly (bytes above it may be marked too, but only the lowest is used).
  ///
  /// - Parameter delimiter: the delimiter broadcast to a word (``broadcast(_:)``).
  @inline(__always)
  static func nextDelimiterOrNewline(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt64
  ) -> Int {
    let n = bytes.count
    let raw = UnsafeRawPointer(bytes.baseAddress!)
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let newlines = broadcast(newline)
    var q = start
    #if arch(x86_64)
      // 16 bytes at a time with SSE2 (every x86-64 processor has it): two byte compares and
      // a mask of the bytes that matched.
      let delimiters = _mm_set1_epi8(CChar(bitPattern: UInt8(truncatingIfNeeded: delimiter)))
      let lineEnds = _mm_set1_epi8(CChar(bitPattern: newline))
      while q &+ 16 <= n {
        let v = _mm_loadu_si128(raw.advanced(by: q).assumingMemoryBound(to: __m128i.self))
        let found = _mm_movemask_epi8(
          _mm_or_si128(_mm_cmpeq_epi8(v, delimiters), _mm_cmpeq_epi8(v, lineEnds)))
        if found != 0 { return q &+ Int(found.trailingZeroBitCount) }
        q &+= 16
      }
    #endif
    while q &+ 8 <= n {
      let word = raw.loadUnaligned(fromByteOffset: q, as: UInt64.self)
      let a = word ^ delimiter
      let b = word ^ newlines
      let found = ((a &- ones) & ~a | (b &- ones) & ~b) & highs
      if found != 0 { return q &+ found.trailingZeroBitCount &>> 3 }
      q &+= 8
    }
    let d = UInt8(truncatingIfNeeded: delimiter)
    while q < n {
      let byte = bytes[q]
      if byte == d || byte == newline { return q }
      q &+= 1
    }
    return n
  }

  /// Where a scan is, relative to the quoting of the current field.
  enum State {
    case fieldStart, unquoted, quoted, quoteInQuoted
  }

  /// The end (one past the `\n`) of the last complete record in `buffer`, or `nil` when the
  /// buffer holds no complete record.
  ///
  /// - Parameter quoteFree: the caller knows that `buffer` holds no `"`; then it is not
  ///   scanned for one.
  /// - Complexity: O(n), with a `memchr` fast path when the buffer has no quotes; O(1) for
  ///   short records when `quoteFree`.
  public static func lastRecordEnd(
    in buffer: UnsafeRawBufferPointer, delimiter: UInt8, quoteFree: Bool = false
  ) -> Int? {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    if quoteFree || memchr(base, Int32(quote), buffer.count) == nil {
      // Records are short, so the last line end is a few bytes from the end.
      var i = buffer.count
      while i > 0 {
        i -= 1
        if bytes[i] == newline { return i + 1 }
      }
      return nil
    }
    var state = State.fieldStart
    var lastEnd: Int? = nil
    for i in 0..<buffer.count {
      if step(&state, bytes[i], delimiter: delimiter) { lastEnd = i + 1 }
    }
    return lastEnd
  }

  /// Advances the quoting state over one byte; returns whether the byte ends a record.
  @inline(__always)
  static func step(_ state: inout State, _ byte: UInt8, delimiter: UInt8) -> Bool {
    switch state {
    case .fieldStart, .unquoted:
      if byte == newline {
        state = .fieldStart
        return true
      }
      if byte == delimiter {
        state = .fieldStart
      } else if byte == quote && state == .fieldStart {
        state = .quoted
      } else {
        state = .unquoted
      }
    case .quoted:
      if byte == quote { state = .quoteInQuoted }
    case .quoteInQuoted:
      if byte == quote {
        state = .quoted
      } else if byte == newline {
        state = .fieldStart
        return true
      } else if byte == delimiter {
        state = .fieldStart
      } else {
        state = .unquoted
      }
    }
    return false
  }

  /// The end of the record that continues at `start` (at the start of a field, outside
  /// quotes): one past its `\n`, or `bytes.count` when it runs to the end of the buffer.
  ///
  /// - Parameter newlines: incremented by every `\n` passed, the record's own included.
  static func recordEnd(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt8, newlines: inout Int
  ) -> Int {
    var complete = false
    return recordEnd(
      bytes, from: start, delimiter: delimiter, newlines: &newlines, complete: &complete)
  }

  /// ``recordEnd(_:from:delimiter:newlines:)`` that also tells whether the record ended at
  /// its own `\n` (`complete`) rather than at the end of the buffer, perhaps inside quotes.
  static func recordEnd(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt8, newlines: inout Int,
    complete: inout Bool
  ) -> Int {
    complete = true
    let base = bytes.baseAddress!
    var i = start
    // Fast path: no quote before the next newline.
    if let nl = memchr(base + i, Int32(newline), bytes.count - i) {
      let end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base
      if memchr(base + i, Int32(quote), end - i) == nil {
        newlines += 1
        return end + 1
      }
    } else if memchr(base + i, Int32(quote), bytes.count - i) == nil {
      complete = false
      return bytes.count
    }
    var state = State.fieldStart
    while i < bytes.count {
      let byte = bytes[i]
      i += 1
      if byte == newline {
        newlines += 1
        if step(&state, byte, delimiter: delimiter) { return i }
      } else {
        _ = step(&state, byte, delimiter: delimiter)
      }
    }
    complete = false
    return i
  }

  /// The fields of one record (a header), unquoted, as strings.
  ///
  /// - Parameter record: the record's bytes without its line end.
  public static func fields(of record: UnsafeRawBufferPointer, delimiter: UInt8) -> [String] {
    var fields: [String] = []
    var current: [UInt8] = []
    var state = State.fieldStart
    for byte in record {
      switch state {
      case .fieldStart, .unquoted:
        if byte == delimiter {
          fields.append(String(decoding: current, as: UTF8.self))
          current.removeAll(keepingCapacity: true)
          state = .fieldStart
        } else if byte == quote && state == .fieldStart {
          state = .quoted
        } else {
          current.append(byte)
          state = .unquoted
        }
      case .quoted:
        if byte == quote { state = .quoteInQuoted } else { current.append(byte) }
      case .quoteInQuoted:
        if byte == quote {
          current.append(byte)
          state = .quoted
        } else if byte == delimiter {
          fields.append(String(decoding: current, as: UTF8.self))
          current.removeAll(keepingCapacity: true)
          state = .fieldStart
        } else {
          current.append(byte)
          state = .unquoted
        }
      }
    }
    // The CR of a CRLF line end, which is not part of the last field (unless quoted).
    if current.last == carriageReturn && state == .unquoted { current.removeLast() }
    fields.append(String(decoding: current, as: UTF8.self))
    return fields
  }

  /// Where the first record of an input lies.
  public enum FirstRecord: Equatable {
    /// The record, after any blank lines: its first byte, the end of its content (before
    /// the `\n`; a CR before it is left for ``fields(of:delimiter:)`` to drop), its end
    /// (after the `\n`), and the line ends up to its end.
    case found(start: Int, contentEnd: Int, end: Int, lines: Int)
    /// The buffer ends inside the first record, or before any record: read more.
    case incomplete
    /// The input (which has ended) holds blank lines at most.
    case none
  }

  /// Finds the first record in `bytes[start...]`, skipping blank lines.
  ///
  /// - Parameter atEnd: whether the buffer holds the rest of the input, so that a record
  ///   without a line end is complete.
  public static func firstRecord(
    in bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt8, atEnd: Bool
  ) -> FirstRecord {
    var start = start
    var lines = 0
    while start < bytes.count {
      if bytes[start] == newline {
        start += 1
        lines += 1
      } else if bytes[start] == carriageReturn && start + 1 < bytes.count
        && bytes[start + 1] == newline
      {
        start += 2
        lines += 1
      } else if bytes[start] == carriageReturn && start + 1 == bytes.count && atEnd {
        start += 1  // a lone CR at the very end is a blank line, as for the evaluator
      } else {
        break
      }
    }
    if start == bytes.count { return atEnd ? .none : .incomplete }
    var terminated = false
    let end = recordEnd(
      bytes, from: start, delimiter: delimiter, newlines: &lines, complete: &terminated)
    if !terminated && !atEnd { return .incomplete }
    return .found(start: start, contentEnd: terminated ? end - 1 : end, end: end, lines: lines)
  }
}
