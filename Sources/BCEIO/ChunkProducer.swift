import BCECore
import Synchronization

/// The reader stage: opens inputs, decompresses them, reads their headers, and cuts their
/// bytes into record-aligned chunks for the evaluator.
///
/// Each of the reader threads runs ``run()``: it reads one input at a time, the next one
/// the ``ReaderSchedule`` admits, so that several inputs are read and inflated at the same
/// time, and reading overlaps with the evaluation of the chunks already handed over.
final class ChunkProducer: Sendable {
  let inputs: [EvaluationInput]
  let options: EvaluationOptions
  let pool: BufferPool
  let queue: ChunkQueue
  /// Which input a reader reads next, and which are cancelled (a reader stops a cancelled
  /// input at its next chunk).
  let schedule: ReaderSchedule
  /// Where the bytes read are counted.
  let progress: EvaluationProgress
  /// The threads that inflate the BGZF readers' jobs, shared by all of them (`nil`: each
  /// reader starts its own).
  let crew: InflationCrew?

  init(
    inputs: [EvaluationInput], options: EvaluationOptions, pool: BufferPool, queue: ChunkQueue,
    schedule: ReaderSchedule, progress: EvaluationProgress, crew: InflationCrew? = nil
  ) {
    self.inputs = inputs
    self.options = options
    self.pool = pool
    self.queue = queue
    self.schedule = schedule
    self.progress = progress
    self.crew = crew
  }

  /// One reader thread: reads the inputs the schedule admits to it, one after another,
  /// handing over each one's chunks and then `.inputEnd` or `.inputFailure` (nothing for an
  /// input cancelled while it was read); ends with `.readerEnd`.
  func run() {
    let buffers = BGZFReader.Buffers()  // this thread's, passed from input to input
    while let index = schedule.admitNext() {
      var kept = schedule.ceiling
      do throws(BCEError) {
        try produce(input: index, kept: &kept, buffers: buffers)
        // Cancellation only ever grows: an input not cancelled now was read to its end.
        if !schedule.isCancelled(index) { queue.put(.inputEnd(index)) }
      } catch {
        queue.put(.inputFailure(index, error))
        schedule.cancel(from: index + 1)  // what follows a failed input is never reported
      }
      schedule.finish(input: index, kept: kept)
    }
    queue.put(.readerEnd)
  }

  /// Reads input `index` to its end, or until it is cancelled.
  ///
  /// - Parameter kept: the credits the input commits (see ``ReaderSchedule``): set to its
  ///   kind's once it is known. Every chunk taken from the pool has been handed over or
  ///   given back when this returns or throws.
  /// - Parameter buffers: the BGZF reader's buffers, kept from one input to the next.
  private func produce(input index: Int, kept: inout Int, buffers: BGZFReader.Buffers)
    throws(BCEError)
  {
    let input = inputs[index]
    var raw = try input.open()
    var inPlace: DecodedInput? = nil
    if options.mapFiles, let file = raw as? FileSource, let mapped = file.map() {
      if !mapped.isGzip {
        kept = ReaderSchedule.commitment(mapped: true, blocks: false, threads: options.threads)
        schedule.settle(keeping: kept)
        try produce(mapped: mapped, input: index)
        return
      }
      // BGZF is inflated straight from the mapping; other gzip streams are read (their
      // serial inflater takes 256 KiB at a time, and the mapping is dropped here).
      if mapped.isBGZF {
        let source = MappedSource(mapped)
        inPlace = .blocks(
          try BGZFReader(
            mapped: source, name: input.name, backend: options.inflate,
            threads: options.threads, pool: pool, chunkSize: options.chunkSize, crew: crew))
        raw = source
      }
    }
    let decoded: DecodedInput
    if let inPlace {
      decoded = inPlace
    } else {
      decoded = try DecodedInput.open(
        raw, name: input.name, options: options, pool: pool, buffers: buffers, crew: crew)
    }
    var blocks = false
    if case .blocks = decoded { blocks = true }
    kept = ReaderSchedule.commitment(mapped: false, blocks: blocks, threads: options.threads)
    schedule.settle(keeping: kept)
    var reader = Fill(decoded: decoded, raw: raw, producer: self)
    defer { reader.close() }
    var chunk = pool.take()
    do throws(BCEError) {
      try produce(from: &reader, input: index, chunk: &chunk)
    } catch {
      pool.give(chunk)  // the chunk being filled: the pool is shared with other inputs
      throw error
    }
  }

  /// Reads the header of a decoded input into `chunk`, the first chunk of the input, then
  /// its records into chunks, handing them over.
  ///
  /// - Parameter chunk: the chunk the reader holds; when this throws, the caller gives it
  ///   back (every other chunk has been handed over or given back).
  private func produce(from reader: inout Fill, input index: Int, chunk: inout ChunkBuffer)
    throws(BCEError)
  {
    let input = inputs[index]
    let format = options.format ?? InputFormat.inferred(fromName: input.name)
    chunk.input = index
    chunk.startsInput = true
    try reader.fill(chunk)
    while chunk.filled < 3 && !reader.ended {  // enough bytes to see a byte-order mark
      if chunk.filled == chunk.capacity { chunk.grow() }
      try reader.fill(chunk)
    }
    // A UTF-8 byte-order mark at the very start is skipped.
    if chunk.filled >= 3
      && chunk.storage.load(as: (UInt8, UInt8, UInt8).self) == (0xEF, 0xBB, 0xBF)
    {
      chunk.recordsStart = 3
    }

    let evaluator: RecordEvaluator
    switch format {
    case .jsonl:
      evaluator = try makeEvaluator(format: format, input: input, header: [])
    case .csv, .tsv:
      let delimiter = options.delimiter(format)
      guard let first = try firstRecord(of: chunk, delimiter: delimiter, reader: &reader) else {
        pool.give(chunk)  // an empty input (or blank lines only): no records, no columns
        return
      }
      let fields = CSVScanner.fields(
        of: UnsafeRawBufferPointer(
          start: chunk.storage + first.start, count: first.contentEnd - first.start),
        delimiter: delimiter)
      evaluator = try makeEvaluator(format: format, input: input, header: fields)
      if options.hasHeader {
        chunk.linesBefore = first.lines
        chunk.recordsStart = first.end
      }
    }
    chunk.evaluator = evaluator

    while true {
      if schedule.isCancelled(index) {
        pool.give(chunk)
        return
      }
      if reader.hasBlocks {
        // BGZF: the next chunk was inflated on its own; the partial record at the end of this
        // one goes in front of it, into the room kept there.
        guard let next = try reader.nextBlock() else { continue }  // then read as a stream
        let pending = UnsafeRawBufferPointer(
          start: chunk.storage + chunk.recordsStart, count: chunk.filled - chunk.recordsStart)
        guard let end = evaluator.format.lastRecordEnd(in: pending, quoteFree: chunk.quoteFree)
        else {
          // One record longer than the chunk: the next block's bytes join it.
          chunk.append(
            UnsafeRawBufferPointer(
              start: next.storage + next.recordsStart, count: next.filled - next.recordsStart))
          chunk.quoteFree = chunk.quoteFree && next.quoteFree
          pool.give(next)
          continue
        }
        chunk.recordsEnd = chunk.recordsStart + end
        next.prependTail(of: chunk)
        next.input = index
        next.evaluator = evaluator
        queue.put(.chunk(chunk))
        chunk = next
        continue
      }
      try reader.fill(chunk)
      if reader.ended {
        chunk.recordsEnd = chunk.filled
        if chunk.recordsEnd > chunk.recordsStart {
          queue.put(.chunk(chunk))
        } else {
          pool.give(chunk)
        }
        return
      }
      let pending = UnsafeRawBufferPointer(
        start: chunk.storage + chunk.recordsStart, count: chunk.filled - chunk.recordsStart)
      guard let end = evaluator.format.lastRecordEnd(in: pending) else {
        chunk.grow()  // one record longer than the chunk: make room for the rest of it
        continue
      }
      chunk.recordsEnd = chunk.recordsStart + end
      let next = pool.take()
      next.takeTail(of: chunk)
      next.input = index
      next.evaluator = evaluator
      queue.put(.chunk(chunk))
      chunk = next
    }
  }

  /// The evaluator for one input: its format, and its columns resolved against the fields
  /// of its first record (`header`, a header only when `options.hasHeader`; unused for
  /// JSON Lines, whose columns are keys).
  func makeEvaluator(format: InputFormat, input: EvaluationInput, header fields: [String])
    throws(BCEError) -> RecordEvaluator
  {
    switch format {
    case .jsonl:
      let (layout, keys) = try options.columns.resolveKeys(input: input.name)
      return RecordEvaluator(format: .jsonLines(keys: keys), layout: layout, rules: options.rules)
    case .csv, .tsv:
      let layout = try options.columns.resolve(
        header: options.hasHeader ? fields : nil, fieldCount: fields.count, input: input.name)
      return RecordEvaluator(
        delimiter: options.delimiter(format), layout: layout, rules: options.rules)
    }
  }

  /// The first record of the input (see ``CSVScanner/firstRecord(in:from:delimiter:atEnd:)``),
  /// reading more and growing the chunk until it is complete; `nil` for an input without one.
  private func firstRecord(of chunk: ChunkBuffer, delimiter: UInt8, reader: inout Fill)
    throws(BCEError) -> (start: Int, contentEnd: Int, end: Int, lines: Int)?
  {
    while true {
      let bytes = UnsafeBufferPointer(
        start: chunk.storage.assumingMemoryBound(to: UInt8.self), count: chunk.filled)
      switch CSVScanner.firstRecord(
        in: bytes, from: chunk.recordsStart, delimiter: delimiter, atEnd: reader.ended)
      {
      case .found(let start, let contentEnd, let end, let lines):
        return (start, contentEnd, end, lines)
      case .none:
        return nil
      case .incomplete:
        if chunk.filled == chunk.capacity { chunk.grow() }
        try reader.fill(chunk)
      }
    }
  }

  /// Fills chunks from one decoded input and keeps the byte counts.
  ///
  /// A BGZF input comes as chunks (``nextBlock()``, for the producer's loop), or is copied
  /// into a chunk by ``fill(_:)`` (for the first chunk, whose header is read in place). When
  /// the BGZF members end, what follows is read as a stream.
  private struct Fill {
    private var source: (any ByteSource)?
    private var blocks: BGZFReader?
    /// A block partly copied by ``fill(_:)``; its unread bytes are
    /// `storage[recordsStart..<filled]`.
    private var pending: ChunkBuffer? = nil
    let raw: any ByteSource
    let producer: ChunkProducer
    private(set) var ended = false
    private var rawCounted = 0

    init(decoded: DecodedInput, raw: any ByteSource, producer: ChunkProducer) {
      switch decoded {
      case .stream(let source): self.source = source
      case .blocks(let blocks): self.blocks = blocks
      }
      self.raw = raw
      self.producer = producer
    }

    /// Whether the input still comes as BGZF chunks.
    var hasBlocks: Bool { blocks != nil }

    /// The next BGZF chunk (a chunk from the pool, owned by the caller from then on), or `nil`
    /// when the members have ended: then the input has ended or continues as a stream.
    mutating func nextBlock() throws(BCEError) -> ChunkBuffer? {
      if let block = pending {
        pending = nil
        return block
      }
      let block = try blocks!.nextChunk()
      countRead()
      if let block {
        producer.progress.addDecoded(block.filled - block.recordsStart)
        return block
      }
      source = blocks!.rest
      blocks = nil
      if source == nil { ended = true }
      return nil
    }

    /// Reads into the chunk's free space until it is full or the input ends.
    mutating func fill(_ chunk: ChunkBuffer) throws(BCEError) {
      while hasBlocks && !ended && chunk.filled < chunk.capacity {
        guard let block = try nextBlock() else { break }
        let n = min(block.filled - block.recordsStart, chunk.capacity - chunk.filled)
        chunk.unsafeFreeSpace.baseAddress!.copyMemory(
          from: block.storage + block.recordsStart, byteCount: n)
        chunk.filled += n
        block.recordsStart += n
        if block.recordsStart < block.filled {
          pending = block
        } else {
          producer.pool.give(block)
        }
      }
      guard let source, !ended, chunk.filled < chunk.capacity else { return }
      let n = try source.readFully(into: chunk.unsafeFreeSpace)
      chunk.filled += n
      if chunk.filled < chunk.capacity { ended = true }
      producer.progress.addDecoded(n)
      countRead()
    }

    /// Gives back a block still held (when the reader stops early).
    mutating func close() {
      if let block = pending { producer.pool.give(block) }
      pending = nil
    }

    private mutating func countRead() {
      let consumed = raw.bytesConsumed
      producer.progress.addRead(consumed - rawCounted)
      rawCounted = consumed
    }
  }
}
