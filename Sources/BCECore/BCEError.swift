/// An error `bce` reports to its user: what went wrong and where.
///
/// The description is the message the command line prints after `bce: error: `, starting
/// with the place — `FILE:LINE` for a record, `FILE` for a stream — when there is one.
public struct BCEError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Which kind of failure this is; the command line maps it to an exit status (SPEC §6).
  public enum Kind: Sendable, Equatable {
    /// A bad command line or a column that does not exist: status 2.
    case usage
    /// Unreadable or corrupt input, an invalid record, or no records: status 1.
    case data
  }

  public let kind: Kind
  /// `FILE` or `FILE:LINE`, or `nil` when the error has no place.
  public let place: String?
  public let message: String

  public init(_ kind: Kind, place: String? = nil, _ message: String) {
    self.kind = kind
    self.place = place
    self.message = message
  }

  /// A data error in the record starting on `line` of `input`.
  public static func record(_ input: String, line: Int, _ message: String) -> BCEError {
    BCEError(.data, place: "\(input):\(line)", message)
  }

  public var description: String {
    guard let place else { return message }
    return "\(place): \(message)"
  }
}
