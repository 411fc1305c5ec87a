import Synchronization

/// Counters of a running evaluation that another thread may read at any time, for a
/// progress display.
///
/// The reader thread adds the bytes it reads; the reducer stores the records it has merged
/// after each batch. Reads are relaxed: a display needs recent values, not a snapshot.
public final class EvaluationProgress: Sendable {
  private let read = Atomic<Int>(0)
  private let decoded = Atomic<Int>(0)
  private let merged = Atomic<Int>(0)

  public init() {}

  /// Bytes taken from the inputs so far (compressed bytes for gzip).
  public var bytesRead: Int { read.load(ordering: .relaxed) }
  /// Bytes of records after decompression so far.
  public var bytesDecompressed: Int { decoded.load(ordering: .relaxed) }
  /// Records evaluated and merged so far.
  public var records: Int { merged.load(ordering: .relaxed) }

  func addRead(_ bytes: Int) { read.add(bytes, ordering: .relaxed) }
  func addDecoded(_ bytes: Int) { decoded.add(bytes, ordering: .relaxed) }
  func storeRecords(_ records: Int) { merged.store(records, ordering: .relaxed) }
}
