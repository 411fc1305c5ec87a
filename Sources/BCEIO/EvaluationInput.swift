import BCECore

/// One input of an evaluation: a name for messages and a way to open its bytes.
///
/// Gzip is recognised by its first bytes when the input is opened, never by its name; the
/// name's extension (after `.gz`) only chooses the record format when none is given.
public struct EvaluationInput: Sendable {
  /// The name in messages and in the report: a path, `-` for standard input, or a label.
  public let name: String
  let open: @Sendable () throws(BCEError) -> any ByteSource
  /// Whether the input is standard input, which several inputs may name (`bce - -`): it is
  /// read by one of them at a time, in input order.
  let readsStandardInput: Bool

  /// An input that opens with `open`, which is called once, on a reader thread.
  ///
  /// Several inputs are read at the same time, each on its own thread: inputs whose `open`
  /// gives the same stream would read it interleaved.
  public init(name: String, open: @escaping @Sendable () throws(BCEError) -> any ByteSource) {
    self.init(name: name, readsStandardInput: false, open: open)
  }

  private init(
    name: String, readsStandardInput: Bool,
    open: @escaping @Sendable () throws(BCEError) -> any ByteSource
  ) {
    self.name = name
    self.readsStandardInput = readsStandardInput
    self.open = open
  }

  /// A file, or standard input for `-`.
  public static func path(_ path: String) -> EvaluationInput {
    EvaluationInput(name: path, readsStandardInput: path == "-") { () throws(BCEError) in
      try FileSource(path: path)
    }
  }

  /// Bytes in memory, read `pieceSize` bytes at a time.
  public static func bytes(_ bytes: [UInt8], name: String, pieceSize: Int = .max)
    -> EvaluationInput
  {
    EvaluationInput(name: name) { MemorySource(bytes, pieceSize: pieceSize) }
  }
}
