import BCECore

extension MappedFile {
  /// Whether the file starts with the gzip magic bytes (then it is read through the
  /// decoder, not mapped).
  var isGzip: Bool {
    count >= 2 && base.load(as: UInt8.self) == 0x1F
      && base.load(fromByteOffset: 1, as: UInt8.self) == 0x8B
  }

  /// Whether the file starts with a BGZF member header (then its members are inflated in
  /// place, see ``BGZFReader/init(mapped:name:backend:threads:pool:chunkSize:crew:)``).
  var isBGZF: Bool {
    if case .bgzf = BGZFReader.scanHeader(UnsafeRawBufferPointer(start: base, count: count)) {
      return true
    }
    return false
  }
}

extension ChunkProducer {
  /// Cuts a mapped plain file into record-aligned chunks that are views of the mapping:
  /// the header is read in place, and no byte is copied.
  ///
  /// Each chunk ends at the last record end within a chunk-sized window (a window grown for
  /// a record longer than a chunk), as when reading; exact sums make the results the same
  /// whichever way the input is cut.
  func produce(mapped: MappedFile, input index: Int) throws(BCEError) {
    let input = inputs[index]
    let format = options.format ?? InputFormat.inferred(fromName: input.name)
    let bytes = UnsafeBufferPointer(
      start: mapped.base.assumingMemoryBound(to: UInt8.self), count: mapped.count)
    var start = 0
    // A UTF-8 byte-order mark at the very start is skipped.
    if mapped.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
    var linesBefore = 0
    let evaluator: RecordEvaluator
    switch format {
    case .jsonl:
      evaluator = try makeEvaluator(format: format, input: input, header: [])
    case .csv, .tsv:
      let delimiter = options.delimiter(format)
      guard
        case .found(let first, let contentEnd, let end, let lines) = CSVScanner.firstRecord(
          in: bytes, from: start, delimiter: delimiter, atEnd: true)
      else {
        progress.addRead(mapped.count)
        progress.addDecoded(mapped.count)
        return  // an empty input (or blank lines only): no records, no columns
      }
      let fields = CSVScanner.fields(of: mapped[first..<contentEnd], delimiter: delimiter)
      evaluator = try makeEvaluator(format: format, input: input, header: fields)
      if options.hasHeader {
        linesBefore = lines
        start = end
      }
    }
    progress.addRead(start)
    progress.addDecoded(start)

    var first = true
    while start < mapped.count {
      if schedule.isCancelled(index) { return }
      var end = min(start + options.chunkSize, mapped.count)
      while end < mapped.count {
        if let cut = evaluator.format.lastRecordEnd(in: mapped[start..<end]) {
          end = start + cut
          break
        }
        end = min(start + 2 * (end - start), mapped.count)  // one record longer than a chunk
      }
      let chunk = pool.take()
      chunk.view(mapped, start..<end)
      chunk.input = index
      chunk.evaluator = evaluator
      if first {
        chunk.startsInput = true
        chunk.linesBefore = linesBefore
        first = false
      }
      progress.addRead(end - start)
      progress.addDecoded(end - start)
      queue.put(.chunk(chunk))
      start = end
    }
  }
}
