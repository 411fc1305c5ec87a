/// A column as the user named it: a header name or a 1-based index.
///
/// This is the first of two phases of column selection; ``ColumnLayout`` is the second, the
/// selection resolved against one input's header. A selector made of digits only is an index
/// (`3` is the third column); anything else is a name, compared with the header byte for byte.
public enum ColumnSelector: Sendable, Hashable, CustomStringConvertible {
  case name(String)
  /// A 1-based index, as typed.
  case index(Int)

  /// Reads what the user typed: digits make a 1-based index (≥ 1), anything else a name.
  ///
  /// - Returns: `nil` for an empty selector or an index of 0.
  public init?(_ text: String) {
    if text.isEmpty { return nil }
    if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
      guard let index = Int(text), index >= 1 else { return nil }
      self = .index(index)
    } else {
      self = .name(text)
    }
  }

  public var description: String {
    switch self {
    case .name(let name): return "'\(name)'"
    case .index(let index): return "#\(index)"
    }
  }

  /// The 0-based position of this column among `header`'s names (or among `fieldCount`
  /// unnamed fields when `header` is `nil`).
  ///
  /// This is the one place where a 1-based index becomes 0-based.
  func resolve(header: [String]?, fieldCount: Int) -> Int? {
    switch self {
    case .index(let index):
      return index <= fieldCount ? index - 1 : nil
    case .name(let name):
      // Byte for byte: String equality would also match canonically equivalent names.
      return header?.firstIndex { $0.utf8.elementsEqual(name.utf8) }
    }
  }
}
