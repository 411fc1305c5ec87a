import BCECore

/// A gzip decoder to choose at run time (`--inflate`).
public enum InflateBackend: String, CaseIterable, Sendable {
  /// zlib: always built.
  case zlib
  /// ISA-L's igzip: about twice as fast; built only with the package trait `ISAL`.
  case isal

  /// The backends this build includes.
  public static var available: [InflateBackend] {
    #if ISAL
      return [.zlib, .isal]
    #else
      return [.zlib]
    #endif
  }
}

/// What one call of a ``MemberInflater`` did.
struct InflateStep {
  var consumed: Int
  var produced: Int
  /// The member's trailer was read and checked: what follows is another member or the end.
  var memberEnded: Bool
}

/// Inflates gzip members, one at a time: the part of gzip reading that differs between
/// zlib and ISA-L. ``GzipReader`` keeps the rest (buffers, member boundaries, truncation).
protocol MemberInflater: AnyObject {
  /// Inflates from `input` into `output`, checking the member's header, CRC-32 and length.
  ///
  /// Makes no progress only when it needs more input (or more room).
  ///
  /// - Throws: a data error naming the input for corrupt data.
  func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    throws(BCEError) -> InflateStep

  /// Starts over for the next member.
  func reset() throws(BCEError)

  /// Inflates one whole member at once: `input` holds all of it, `output` has room for all
  /// of its bytes. Checks what ``inflate(_:into:)`` checks, but keeps no history for a next
  /// call, so the decoder writes straight into `output` and copies nothing (zlib's window,
  /// ISA-L's 64 KiB staging buffer). Needs no ``reset()`` before it; a member read with
  /// ``inflate(_:into:)`` afterwards needs ``reset()`` first, as every new member does.
  ///
  /// - Returns: the bytes consumed and produced, or `nil` when the member did not inflate
  ///   and check completely within `input` and `output`.
  func inflateWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
    -> (consumed: Int, produced: Int)?
}

extension InflateBackend {
  /// A decoder of this backend for the input named `name`.
  func makeInflater(name: String) throws(BCEError) -> any MemberInflater {
    switch self {
    case .zlib:
      return try ZlibInflater(name: name)
    case .isal:
      #if ISAL
        return IsalInflater(name: name)
      #else
        throw BCEError(
          .usage,
          "this bce was built without ISA-L: use --inflate zlib, or build with --traits ISAL")
      #endif
    }
  }
}
