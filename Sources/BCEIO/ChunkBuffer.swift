import BCECore

/// A buffer of input bytes that travels through the pipeline: filled by the reader, evaluated
/// by one worker, reduced, and returned to the pool.
///
/// Ownership rule (why `@unchecked Sendable` is sound): at any moment exactly one stage owns
/// a chunk — the reader thread while it fills it, then the single worker that claims its
/// index in a batch and writes `summary`, then the evaluator's thread, which reduces the
/// summary and gives the chunk back. Handoffs go through ``ChunkQueue``, ``BufferPool`` and
/// the end of `concurrentPerform`, each of which orders the previous owner's writes before
/// the next owner's reads. Nothing reads a chunk while another stage writes it.
final class ChunkBuffer: @unchecked Sendable {
  /// Invariant (unless the chunk is a view of a mapped file, ``mapping``):
  /// `0 ≤ recordsStart ≤ recordsEnd ≤ filled ≤ capacity`; the records to evaluate
  /// are `storage[recordsStart..<recordsEnd]`, whole records only (the last one of an input
  /// may lack its line end); `storage[recordsEnd..<filled]` is at most one partial record
  /// that the reader rolls to the front of the next chunk.
  private(set) var storage: UnsafeMutableRawPointer
  private(set) var capacity: Int
  /// The capacity a chunk returns to after a long record grew it.
  let standardCapacity: Int
  var filled = 0
  var recordsStart = 0
  var recordsEnd = 0
  /// Known to hold no `"` in `storage[recordsStart..<filled]`: then CSV records end at every
  /// `\n`, and the reader finds the last one without a scan for quotes. `false` when not
  /// known.
  var quoteFree = false

  /// Index of the input the records come from.
  var input = 0
  /// Whether this is the first chunk of its input; then `linesBefore` counts the line ends
  /// before `recordsStart` (the byte-order mark, the header).
  var startsInput = false
  var linesBefore = 0
  /// The evaluator for the input's format and columns.
  var evaluator: RecordEvaluator? = nil
  /// Written by the one worker that evaluates this chunk.
  var summary: ChunkSummary? = nil

  init(capacity: Int) {
    self.capacity = capacity
    standardCapacity = capacity
    storage = .allocate(byteCount: capacity, alignment: 64)
  }

  deinit { storage.deallocate() }

  /// The mapped file this chunk is a view of, when it is one (see ``view(_:_:)``); a
  /// view's records are `mapping[recordsStart..<recordsEnd]`, and `storage` is unused.
  private(set) var mapping: MappedFile? = nil

  /// The records to evaluate. The pointer is valid only while the chunk is owned.
  var unsafeRecords: UnsafeRawBufferPointer {
    if let mapping { return mapping[recordsStart..<recordsEnd] }
    return UnsafeRawBufferPointer(start: storage + recordsStart, count: recordsEnd - recordsStart)
  }

  /// Makes this chunk a view of the records `range` of a mapped file: nothing is copied.
  func view(_ mapping: MappedFile, _ range: Range<Int>) {
    self.mapping = mapping
    recordsStart = range.lowerBound
    recordsEnd = range.upperBound
    filled = 0
  }

  /// The space after the filled bytes.
  var unsafeFreeSpace: UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: storage + filled, count: capacity - filled)
  }

  /// The filled bytes.
  var unsafeFilled: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: storage, count: filled)
  }

  /// Doubles the capacity, keeping the filled bytes (for a record longer than a chunk).
  func grow() {
    let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
    bigger.copyMemory(from: storage, byteCount: filled)
    storage.deallocate()
    storage = bigger
    capacity *= 2
  }

  /// Forgets the contents, and gives back memory a long record took. A view lets go of the
  /// mapped pages up to its end (``MappedFile/release(upTo:)``).
  func reset() {
    if let mapping {
      mapping.release(upTo: recordsEnd)
      self.mapping = nil
    }
    if capacity != standardCapacity {
      storage.deallocate()
      storage = .allocate(byteCount: standardCapacity, alignment: 64)
      capacity = standardCapacity
    }
    filled = 0
    recordsStart = 0
    recordsEnd = 0
    startsInput = false
    linesBefore = 0
    quoteFree = false
    evaluator = nil
    summary = nil
  }

  /// Copies the partial record after `recordsEnd` of `previous` to the front of this chunk.
  func takeTail(of previous: ChunkBuffer) {
    let tail = previous.filled - previous.recordsEnd
    while capacity < tail { grow() }
    storage.copyMemory(from: previous.storage + previous.recordsEnd, byteCount: tail)
    filled = tail
  }

  /// Makes room for at least `count` bytes in an empty chunk (one about to be filled at an
  /// offset, such as a BGZF block inflated after the room kept for a carried record).
  func reserveEmpty(capacity count: Int) {
    precondition(filled == 0, "only an empty chunk is resized without copying")
    guard count > capacity else { return }
    storage.deallocate()
    storage = .allocate(byteCount: count, alignment: 64)
    capacity = count
  }

  /// Puts the partial record after `recordsEnd` of `previous` right before this chunk's
  /// records, `storage[recordsStart..<filled]`: into the room left before them when it is
  /// large enough (no other byte moves), else by moving the records after it.
  func prependTail(of previous: ChunkBuffer) {
    let tail = previous.filled - previous.recordsEnd
    let source = previous.storage + previous.recordsEnd
    // The tail is part of the bytes `previous.quoteFree` speaks for.
    quoteFree = quoteFree && (tail == 0 || previous.quoteFree)
    if tail <= recordsStart {
      recordsStart -= tail
      storage.advanced(by: recordsStart).copyMemory(from: source, byteCount: tail)
      return
    }
    // A record longer than the room: one more copy of this chunk's bytes, for long records only.
    let body = filled - recordsStart
    let size = max(capacity, tail + body)
    let moved = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    moved.copyMemory(from: source, byteCount: tail)
    (moved + tail).copyMemory(from: storage + recordsStart, byteCount: body)
    storage.deallocate()
    storage = moved
    capacity = size
    recordsStart = 0
    filled = tail + body
  }

  /// Appends `bytes` after the filled bytes, growing the chunk as needed.
  func append(_ bytes: UnsafeRawBufferPointer) {
    while capacity - filled < bytes.count { grow() }
    if let base = bytes.baseAddress {
      (storage + filled).copyMemory(from: base, byteCount: bytes.count)
    }
    filled += bytes.count
  }
}
