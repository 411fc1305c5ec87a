import Synchronization

/// Counters of a running evaluation that another thread may read at any time, for a
/// progress display.
///
/// The reader threads add the bytes they read; the workers add the records of each chunk
/// they evaluate. Reads are relaxed: a display needs recent values, not a snapshot.
public final class EvaluationProgress: Sendable {
  private let read = Atomic<Int>(0)
  private let decoded = Atomic<Int>(0)
  private let merged = Atomic<Int>(0)

  public init() {}

  /// Bytes taken from the inputs so far (compressed bytes for gzip).
  public var bytesRead: Int { read.load(ordering: .relaxed) }
  /// Bytes of records after decompression so far.
  public var bytesDecompressed: Int { decoded.load(ordering: .relaxed) }
  /// Records evaluated so far.
  public var records: Int { merged.load(ordering: .relaxed) }

  func addRead(_ bytes: Int) { read.add(bytes, ordering: .relaxed) }
  func addDecoded(_ bytes: Int) { decoded.add(bytes, ordering: .relaxed) }
  func addRecords(_ records: Int) { merged.add(records, ordering: .relaxed) }
}
