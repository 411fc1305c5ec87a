import BCECore
import BCETestSupport
import Foundation
import Testing

@testable import BCEIO

/// A CSV log whose records straddle BGZF blocks in every way: quoted fields holding commas,
/// doubled quotes and line breaks (LF and CRLF), CRLF line ends, blank lines, and optionally
/// one record of `longRecord` bytes in the middle.
private func csvLog(records: Int, seed: UInt64, longRecord: Int = 0) -> [UInt8] {
  var rng = SplitMix64(seed: seed)
  let notes = ["plain", "\"has, comma\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", "", "\"a\r\nb\""]
  let labels = ["0", "1", "1", "0", "0.25", "true"]
  let predictions = ["0.1", "0.9", ".5", "0.35", "2.5e-3", "1E-1", "0", "1", "\"0.75\""]
  var text = "id,label,note,pred\n"
  for i in 0..<records {
    var note = notes[Int(rng.next() % UInt64(notes.count))]
    if i == records / 2 && longRecord > 0 {
      note = "\"" + String(repeating: "long,\n\"\"x\"\" ", count: longRecord / 13 + 1) + "\""
    }
    let label = labels[Int(rng.next() % UInt64(labels.count))]
    let pred = predictions[Int(rng.next() % UInt64(predictions.count))]
    text += "\(i),\(label),\(note),\(pred)" + (rng.next() % 4 == 0 ? "\r\n" : "\n")
    if i % 11 == 7 { text += "\n" }
  }
  return Array(text.utf8)
}

/// The same bytes, but with the first block's `BC` subfield renamed, so that they are read by
/// the serial ``GzipReader``: the reference the parallel reader must agree with exactly.
private func serialTwin(_ file: [UInt8]) -> [UInt8] {
  var twin = file
  if twin.count > 13 && twin[12] == UInt8(ascii: "B") && twin[13] == UInt8(ascii: "C") {
    twin[13] = UInt8(ascii: "D")
  }
  return twin
}

/// The report of evaluating `bytes` as one input, or the error.
private func evaluate(
  _ bytes: [UInt8], name: String = "in.csv.bgz", chunkSize: Int = 1 << 20, threads: Int = 2,
  pieceSize: Int = .max, backend: InflateBackend = .zlib
) -> Result<Report, BCEError> {
  var options = EvaluationOptions()
  options.columns = ColumnSelection(label: .name("label"), predictions: [.name("pred")])
  options.chunkSize = chunkSize
  options.threads = threads
  options.inflate = backend
  return Result { () throws(BCEError) in
    try Evaluation.run(
      inputs: [.bytes(bytes, name: name, pieceSize: pieceSize)], options: options
    ).report
  }
}

/// Every chunk the BGZF reader hands over, concatenated, and whether a serial reader took over.
private func readBlocks(
  _ file: [UInt8], threads: Int, chunkSize: Int, pieceSize: Int = .max,
  backend: InflateBackend = .zlib
) throws(BCEError) -> (bytes: [UInt8], handedOver: Bool) {
  // The jobs in flight, and the chunk in hand.
  let pool = BufferPool(
    count: BGZFReader.jobsInFlight(threads: threads) + 1, capacity: chunkSize)
  let reader = try BGZFReader(
    prefix: [], raw: MemorySource(file, pieceSize: pieceSize), name: "r.bgz", backend: backend,
    threads: threads, pool: pool, chunkSize: chunkSize)
  var out: [UInt8] = []
  while let chunk = try reader.nextChunk() {
    #expect(chunk.recordsStart >= reader.reserve)
    out += UnsafeRawBufferPointer(
      start: chunk.storage + chunk.recordsStart, count: chunk.filled - chunk.recordsStart)
    pool.give(chunk)
  }
  return (out, reader.rest != nil)
}

@Suite("BGZF")
struct BGZFTests {
  @Test("the writer's blocks are what bgzip writes: BSIZE, the BC subfield, the EOF block")
  func writerSanity() throws {
    let data = csvLog(records: 200, seed: 1)
    let file = bgzf(data, blockSize: 1000)
    let offsets = bgzfBlockOffsets(file)
    #expect(offsets.count == (data.count + 999) / 1000 + 1)
    #expect(Array(file.suffix(28)) == bgzfEndOfFile)
    #expect(bgzfBlock([]).count == 28)
    // Any gzip reader reads it.
    let reader = try GzipReader(source: MemorySource(file), name: "w.bgz")
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count + 1, alignment: 1)
    defer { buffer.deallocate() }
    #expect(try reader.readFully(into: buffer) == data.count)
    #expect(Array(buffer[..<data.count]) == data)
  }

  @Test("the parallel reader gives every byte, in order, for any block and chunk size")
  func readerRoundTrip() throws {
    let data = csvLog(records: 3000, seed: 2)
    for blockSize in [1, 100, 4096, 65_280] {
      let file = bgzf(blockSize == 1 ? Array(data[..<3000]) : data, blockSize: blockSize)
      let expected = blockSize == 1 ? Array(data[..<3000]) : data
      for (threads, chunkSize) in [(1, 1 << 20), (2, 1000), (3, 1 << 16), (8, 7)] {
        let read = try readBlocks(file, threads: threads, chunkSize: chunkSize, pieceSize: 999)
        #expect(read.bytes == expected, "blocks of \(blockSize), \(threads) threads")
        #expect(!read.handedOver)
      }
    }
  }

  @Test("BGZF gives the report of the plain file for many block sizes, chunk sizes, threads")
  func sameAsPlain() throws {
    let data = csvLog(records: 1500, seed: 3)
    let plain = try evaluate(data, name: "in.csv").get()
    for blockSize in [1, 2, 7, 13, 100, 999, 4096, 65_280] {
      let file = bgzf(data, blockSize: blockSize)
      for (chunkSize, threads, pieceSize) in [
        (1 << 20, 1, Int.max), (1 << 20, 2, 4096), (64, 3, 7), (1000, 8, Int.max),
        (5000, 2, 65_537), (1, 2, Int.max), (100_000, 3, 1000),
      ] {
        let report = try evaluate(
          file, chunkSize: chunkSize, threads: threads, pieceSize: pieceSize
        ).get()
        let shape = "blocks \(blockSize), chunks \(chunkSize), threads \(threads)"
        #expect(report.results == plain.results, "\(shape)")
        #expect(report.records == plain.records, "\(shape)")
        #expect(report.bytesRead == file.count, "\(shape)")
        #expect(report.bytesDecompressed == data.count, "\(shape)")
      }
    }
  }

  @Test("a record longer than a chunk, and than the room kept before a block")
  func longRecord() throws {
    let data = csvLog(records: 400, seed: 4, longRecord: 70_000)
    let plain = try evaluate(data, name: "in.csv").get()
    for blockSize in [300, 65_280] {
      for (chunkSize, threads) in [(1000, 2), (1 << 16, 3), (1 << 20, 2), (50_000, 1)] {
        let report = try evaluate(
          bgzf(data, blockSize: blockSize), chunkSize: chunkSize, threads: threads
        ).get()
        #expect(report == plain.withIO(of: report), "blocks \(blockSize), chunks \(chunkSize)")
      }
    }
  }

  @Test("a quoted field with line ends and no other quote, over blocks that hold no quote")
  func quotedLineEndsOverQuoteFreeBlocks() throws {
    // The blocks inside the field have line ends and no `"`: a record split that took their
    // last line end, as it may in a block known to be free of quotes, would cut the field.
    var text = "id,label,note,pred\n"
    for i in 0..<300 {
      let note =
        i % 100 == 50 ? "\"" + String(repeating: "long,\nline ", count: 900) + "\"" : "plain"
      text += "\(i),\(i % 2),\(note),0.\(i % 9 + 1)\n"
    }
    let data = Array(text.utf8)
    let plain = try evaluate(data, name: "in.csv").get()
    #expect(plain.records == 300)
    for blockSize in [100, 1000, 65_280] {
      for (chunkSize, threads) in [(500, 2), (3000, 3), (1 << 20, 2)] {
        let report = try evaluate(
          bgzf(data, blockSize: blockSize), chunkSize: chunkSize, threads: threads
        ).get()
        #expect(report == plain.withIO(of: report), "blocks \(blockSize), chunks \(chunkSize)")
      }
    }
  }

  @Test("empty blocks, the EOF block mid-stream, and a file of the EOF block alone")
  func emptyBlocks() throws {
    let data = csvLog(records: 300, seed: 5)
    let plain = try evaluate(data, name: "in.csv").get()
    let half = data.count / 2
    let file =
      bgzfEndOfFile + bgzf(Array(data[..<half]), blockSize: 500) + bgzfBlock([]) + bgzfBlock([])
      + bgzf(Array(data[half...]), blockSize: 777)
    for threads in [1, 2, 8] {
      #expect(try evaluate(file, chunkSize: 2000, threads: threads).get().results == plain.results)
    }
    let empty = evaluate(bgzfEndOfFile)
    #expect(empty.errorDescription == evaluate(serialTwin(bgzfEndOfFile)).errorDescription)
    #expect(empty.errorDescription?.contains("no records") == true)
    #expect(try readBlocks(bgzfEndOfFile, threads: 2, chunkSize: 100) == ([], false))
  }

  @Test("a cut inside a block is a truncated file, a cut between blocks a shorter one, as serially")
  func truncated() throws {
    let data = csvLog(records: 500, seed: 6)
    let file = bgzf(data, blockSize: 700, endOfFile: false)
    let offsets = bgzfBlockOffsets(file)
    var cuts = [offsets[5] + 1, offsets[5] + 17, offsets[5] + 18, offsets[5] + 40, file.count - 1]
    cuts += [offsets[3], offsets[9], file.count - 4]
    for cut in cuts {
      let piece = Array(file[..<cut])
      let serial = evaluate(serialTwin(piece), chunkSize: 1500)
      for threads in [1, 2, 8] {
        let parallel = evaluate(piece, chunkSize: 1500, threads: threads)
        #expect(parallel.comparable == serial.comparable, "cut at \(cut), \(threads) threads")
        let message = parallel.errorDescription ?? ""
        if offsets.contains(cut) {
          // A valid shorter stream, whose last record may be cut short.
          #expect(!message.contains("truncated"), "cut at the block boundary \(cut)")
        } else if offsets.contains(cut - 1) {
          // A lone 1f byte after a member cannot be told from garbage.
          #expect(message.hasPrefix("in.csv.bgz: trailing data"), "cut at \(cut)")
        } else {
          #expect(message.hasPrefix("in.csv.bgz: truncated gzip file"), "cut at \(cut)")
        }
      }
    }
  }

  @Test("a BSIZE that lies is read as the serial reader reads the same bytes")
  func lyingBlockSize() throws {
    let data = csvLog(records: 300, seed: 7)
    let file = bgzf(data, blockSize: 600)
    let offsets = bgzfBlockOffsets(file)
    let last = offsets[offsets.count - 2]  // the last data block, before the EOF block
    var cases: [[UInt8]] = []
    // The last blocks claim to reach past the end of the file.
    for (offset, by) in [(last, 1), (last, 200), (offsets.last!, 1), (offsets[3], 5000)] {
      var bad = file
      let size = Int(bad[offset + 16]) | Int(bad[offset + 17]) << 8 + by
      bad[offset + 16] = UInt8(size & 0xFF)
      bad[offset + 17] = UInt8(size >> 8 & 0xFF)
      cases.append(bad)
    }
    // A block that claims to be shorter than it is, or to decompress to more or less.
    var short = file
    short[offsets[2] + 16] &-= 3
    cases.append(short)
    for delta in [1, 255] as [UInt8] {
      var isize = file
      isize[offsets[4] - 4] &+= delta
      cases.append(isize)
    }
    // ISIZE above the 64 KiB limit: not BGZF, the serial reader checks it.
    var huge = file
    huge[offsets[4] - 2] = 0x7F
    cases.append(huge)
    for (i, bad) in cases.enumerated() {
      let serial = evaluate(serialTwin(bad), chunkSize: 1000)
      for threads in [1, 2, 8] {
        let parallel = evaluate(bad, chunkSize: 1000, threads: threads)
        #expect(parallel.comparable == serial.comparable, "case \(i), \(threads) threads")
      }
    }
    // The EOF block claims a byte past the end of the file, but the gzip stream is whole:
    // the serial reader reads it, and so does the parallel one (by handing it over).
    #expect(try evaluate(cases[2]).get().results == evaluate(data, name: "in.csv").get().results)
  }

  @Test("a corrupt CRC in block k names the file, the same message every run")
  func corruptCRC() throws {
    let data = csvLog(records: 2000, seed: 8)
    let file = bgzf(data, blockSize: 1024)
    let offsets = bgzfBlockOffsets(file)
    for k in [0, 1, 17, offsets.count / 2, offsets.count - 2] {
      var bad = file
      bad[offsets[k + 1] - 8] ^= 0x40  // the CRC-32 in block k's trailer
      let serial = evaluate(serialTwin(bad), chunkSize: 4096)
      #expect(serial.errorDescription?.contains("CRC-32 mismatch") == true)
      for threads in [1, 2, 3, 8] {
        for _ in 0..<5 {
          let parallel = evaluate(bad, chunkSize: 4096, threads: threads)
          #expect(parallel.comparable == serial.comparable, "block \(k), \(threads) threads")
          #expect(parallel.errorDescription?.hasPrefix("in.csv.bgz: ") == true)
        }
      }
    }
    // A corrupt deflate stream inside a block, too.
    var flipped = file
    flipped[offsets[30] + 30] ^= 0xFF
    let serial = evaluate(serialTwin(flipped), chunkSize: 4096)
    #expect(serial.errorDescription != nil)
    #expect(evaluate(flipped, chunkSize: 4096, threads: 3).comparable == serial.comparable)
  }

  @Test(
    "trailing garbage is an error and zero padding is accepted, as for the serial reader",
    arguments: [
      [0x41], [0x0A], [0x1F], [0x1F, 0x8B], [0x1F, 0x8B, 0x08, 0x04], [0, 0, 0x41], [0], [0, 0, 0],
    ] as [[UInt8]])
  func trailingBytes(tail: [UInt8]) throws {
    let data = csvLog(records: 300, seed: 9)
    let file = bgzf(data, blockSize: 900) + tail
    let serial = evaluate(serialTwin(file), chunkSize: 3000)
    if tail.allSatisfy({ $0 == 0 }) {
      #expect(try serial.get().results == evaluate(data, name: "in.csv").get().results)
    } else {
      #expect(serial.errorDescription?.hasPrefix("in.csv.bgz: ") == true)
    }
    for threads in [1, 2, 8] {
      #expect(evaluate(file, chunkSize: 3000, threads: threads).comparable == serial.comparable)
    }
    let padded = bgzf(data) + [UInt8](repeating: 0, count: 300_000)
    #expect(try evaluate(padded).get().results == evaluate(data, name: "in.csv").get().results)
  }

  @Test("BGZF, then plain gzip members, then BGZF again: read to the end (cat a.bgz b.gz c.bgz)")
  func mixedMembers() throws {
    let data = csvLog(records: 900, seed: 10)
    let plain = try evaluate(data, name: "in.csv").get()
    let a = data.count / 3
    let b = 2 * data.count / 3
    let file =
      bgzf(Array(data[..<a]), blockSize: 333) + gzipMember(Array(data[a..<(a + 10)]))
      + gzipMember(Array(data[(a + 10)..<b])) + bgzf(Array(data[b...]), blockSize: 4000)
    for (threads, chunkSize) in [(1, 1 << 20), (2, 500), (8, 64)] {
      let report = try evaluate(file, chunkSize: chunkSize, threads: threads).get()
      #expect(report.results == plain.results)
      #expect(report.bytesRead == file.count)
      #expect(report.bytesDecompressed == data.count)
    }
    let read = try readBlocks(file, threads: 2, chunkSize: 1000)
    #expect(read.bytes == Array(data[..<a]))
    #expect(read.handedOver)
  }

  @Test("a BGZF member whose header has other extra subfields and a file name is still BGZF")
  func otherHeaderFields() throws {
    let data = Array("label,pred\n1,0.5\n0,0.25\n".utf8)
    var block = bgzfBlock(data)
    // Insert a 4-byte subfield "XY" before BC, bump XLEN and BSIZE.
    block.replaceSubrange(12..<12, with: [UInt8(ascii: "X"), UInt8(ascii: "Y"), 0, 0])
    block[10] += 4
    let size = (Int(block[20]) | Int(block[21]) << 8) + 4
    block[20] = UInt8(size & 0xFF)
    block[21] = UInt8(size >> 8)
    let scan = block.withUnsafeBytes { BGZFReader.scanHeader($0) }
    #expect(scan == .bgzf(memberSize: block.count))
    let read = try readBlocks(block + block, threads: 2, chunkSize: 10)
    #expect(read.bytes == data + data)
    #expect(!read.handedOver)
  }

  @Test("a mapped BGZF file is inflated in place, with the report or the error of reading it")
  func mappedInPlace() throws {
    let data = csvLog(records: 1500, seed: 13)
    let file = bgzf(data, blockSize: 800)
    let offsets = bgzfBlockOffsets(file)
    var crc = file
    crc[offsets[7] - 8] ^= 0x40  // block 6's CRC-32
    var longer = file  // the last data block claims to reach past the end of the file
    let last = offsets[offsets.count - 2]
    longer[last + 16] &+= 9
    let third = data.count / 3
    let cases: [(String, [UInt8])] = [
      ("whole", file), ("a corrupt CRC", crc), ("a BSIZE past the end", longer),
      ("cut inside a block", Array(file[..<(offsets[9] + 20)])),
      ("cut between blocks", Array(file[..<offsets[9]])),
      ("trailing garbage", file + [0x41]),
      ("zero padding", file + [UInt8](repeating: 0, count: 5000)),
      (
        "BGZF, gzip, BGZF",
        bgzf(Array(data[..<third]), blockSize: 700, endOfFile: false)
          + gzipMember(Array(data[third..<(2 * third)])) + bgzf(Array(data[(2 * third)...]))
      ),
    ]
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("bce-mapped-bgzf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (k, (name, bytes)) in cases.enumerated() {
      let path = directory.appendingPathComponent("in\(k).csv.bgz").path
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      // The reader itself: every member inflated in place, the rest handed over.
      let pool = BufferPool(count: BGZFReader.jobsInFlight(threads: 2) + 1, capacity: 3000)
      let mapping = try #require(try FileSource(path: path).map())
      #expect(mapping.isBGZF)
      let source = MappedSource(mapping)
      let reader = try BGZFReader(
        mapped: source, name: path, backend: .zlib, threads: 2, pool: pool, chunkSize: 3000)
      var read: [UInt8] = []
      while let chunk = try reader.nextChunk() {
        read += UnsafeRawBufferPointer(
          start: chunk.storage + chunk.recordsStart, count: chunk.filled - chunk.recordsStart)
        pool.give(chunk)
      }
      #expect(!read.isEmpty && read == Array(data[..<read.count]), "\(name)")
      if k == 0 { #expect(read == data && source.bytesConsumed == bytes.count) }
      // Only a stream that ends right after a member ends without a serial reader.
      let clean = name == "whole" || name == "cut between blocks"
      #expect((reader.rest == nil) == clean, "\(name)")
      // Evaluated: the report or the error of reading the file, byte counts included.
      for (threads, chunkSize) in [(1, 1 << 20), (2, 700), (8, 5000)] {
        var options = EvaluationOptions()
        options.columns = ColumnSelection(label: .name("label"), predictions: [.name("pred")])
        options.chunkSize = chunkSize
        options.threads = threads
        options.mapFiles = true
        let inPlace = Result { () throws(BCEError) in
          try Evaluation.run(inputs: [.path(path)], options: options).report
        }
        options.mapFiles = false
        let streamed = Result { () throws(BCEError) in
          try Evaluation.run(inputs: [.path(path)], options: options).report
        }
        let context = "\(name), \(threads) threads, chunk size \(chunkSize)"
        #expect(inPlace.comparable == streamed.comparable, "\(context)")
        if case .success(let a) = inPlace, case .success(let b) = streamed {
          #expect(a.bytesRead == bytes.count && b.bytesRead == bytes.count, "\(context)")
          #expect(a.bytesDecompressed == b.bytesDecompressed, "\(context)")
        }
      }
    }
  }

  @Test("readers that pass their buffers on, one after another, read every byte")
  func buffersPassedOn() throws {
    let data = csvLog(records: 3000, seed: 12)
    let file = bgzf(data, blockSize: 700)
    let buffers = BGZFReader.Buffers()
    // Chunk sizes that change the job buffers' size, and readers dropped with jobs in flight.
    for (k, chunkSize) in [5000, 5000, 100, 5000, 70_000, 100].enumerated() {
      let pool = BufferPool(count: BGZFReader.jobsInFlight(threads: 3) + 1, capacity: chunkSize)
      let reader = try BGZFReader(
        prefix: [], raw: MemorySource(file, pieceSize: 3000), name: "r.bgz", backend: .zlib,
        threads: 3, pool: pool, chunkSize: chunkSize, buffers: buffers)
      var out: [UInt8] = []
      while k % 2 == 0 || out.count < data.count / 2, let chunk = try reader.nextChunk() {
        out += UnsafeRawBufferPointer(
          start: chunk.storage + chunk.recordsStart, count: chunk.filled - chunk.recordsStart)
        pool.give(chunk)
      }
      if k % 2 == 0 {
        #expect(out == data, "reader \(k), chunk size \(chunkSize)")
      } else {
        #expect(out == Array(data[..<out.count]), "reader \(k), dropped mid-way")
      }
    }
  }

  @Test(
    "a whole member inflates in one call, and anything short or corrupt is refused",
    arguments: InflateBackend.available)
  func inflateWhole(backend: InflateBackend) throws {
    let data = csvLog(records: 4000, seed: 12)
    try #require(data.count > 60000)
    /// A member of `bytes` whose header has FCOMMENT, and FHCRC (with its header CRC) when
    /// `headerCRC`: zlib's inflater reads the one raw, the other in gzip mode.
    func withComment(_ bytes: [UInt8], headerCRC: Bool) -> [UInt8] {
      let plain = gzipMember(bytes)
      var header: [UInt8] = [0x1F, 0x8B, 8, headerCRC ? 0x12 : 0x10] + plain[4..<10]
      header += Array("a comment".utf8) + [0]
      if headerCRC {
        let crc = header.withUnsafeBytes { CRC32.update(0, $0) }
        header += [UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8)]
      }
      return header + plain[10...]
    }
    for member in [
      bgzfBlock(Array(data[..<60000])), gzipMember(Array(data[..<5000])),
      bgzfBlock([]), gzipMember(Array(data[..<5000]), level: 0),
      withComment(Array(data[..<3000]), headerCRC: false),
      withComment(Array(data[..<3000]), headerCRC: true),
    ] {
      let decoded = Int(member[member.count - 4]) | Int(member[member.count - 3]) << 8
      let expected = Array(data[..<decoded])
      let inflater = try backend.makeInflater(name: "m.gz")
      /// Inflates `input` into `room` bytes; the output bytes when the call succeeded.
      func run(_ input: [UInt8], room: Int) -> (consumed: Int, output: [UInt8])? {
        var output = [UInt8](repeating: 0xAA, count: room + 1)
        let counts = input.withUnsafeBytes { source in
          output.withUnsafeMutableBytes { target in
            inflater.inflateWhole(
              source, into: UnsafeMutableRawBufferPointer(rebasing: target[..<room]))
          }
        }
        #expect(output[room] == 0xAA, "\(backend): wrote past its room")
        return counts.map { ($0.consumed, Array(output[..<$0.produced])) }
      }
      // Twice with the same inflater: no state is left over from the first call.
      for _ in 0..<2 {
        let whole = run(member, room: decoded + 100)
        #expect(whole?.consumed == member.count && whole?.output == expected, "\(backend)")
      }
      // Another member after it in the input is not read.
      let two = run(member + member, room: 2 * decoded + 100)
      #expect(two?.consumed == member.count && two?.output == expected, "\(backend)")
      #expect(run(Array(member.dropLast()), room: decoded + 100) == nil, "\(backend): cut")
      #expect(run(Array(member.prefix(20)), room: decoded + 100) == nil, "\(backend): cut")
      if decoded > 0 {
        #expect(run(member, room: decoded - 1) == nil, "\(backend): no room")
      }
      for trailerByte in [8, 1] {  // the CRC-32, then ISIZE
        var bad = member
        bad[bad.count - trailerByte] ^= 0x01
        #expect(run(bad, room: decoded + 100) == nil, "\(backend): trailer byte \(trailerByte)")
      }
      // zlib's inflater reads all but the FHCRC header itself, and the data raw.
      let header = member.withUnsafeBytes { ZlibInflater.plainHeaderLength($0) }
      #expect(header == [0x04: 18, 0x00: 10, 0x10: 20, 0x12: nil][member[3]], "\(member[3])")
      if member[3] & 0x02 != 0 {  // a wrong header CRC (bytes 20 and 21)
        var bad = member
        bad[20] ^= 0x01
        #expect(run(bad, room: decoded + 100) == nil, "\(backend): header CRC")
      }
      // The inflater still reads the good member afterwards.
      #expect(run(member, room: decoded)?.output == expected, "\(backend): after errors")
    }
  }

  @Test(
    "ISA-L reads BGZF exactly like zlib, errors included",
    .enabled(if: InflateBackend.available.count > 1))
  func isalAgreesWithZlib() throws {
    let data = csvLog(records: 2000, seed: 11, longRecord: 3000)
    let file = bgzf(data, blockSize: 2000)
    let offsets = bgzfBlockOffsets(file)
    var files = [
      file, bgzfEndOfFile, file + [0, 0], file + [0x41], Array(file[..<(file.count / 2)]),
    ]
    var crc = file
    crc[offsets[7] - 8] ^= 1
    files.append(crc)
    var flip = file
    flip[offsets[5] + 40] ^= 0x10
    files.append(flip)
    files.append(bgzf(Array(data[..<1000])) + gzipMember(Array(data[1000...])))
    for (i, bytes) in files.enumerated() {
      for (threads, chunkSize) in [(1, 1 << 20), (2, 3000), (8, 100)] {
        let zlib = evaluate(bytes, chunkSize: chunkSize, threads: threads, backend: .zlib)
        let isal = evaluate(bytes, chunkSize: chunkSize, threads: threads, backend: .isal)
        switch (zlib, isal) {
        case (.success(let a), .success(let b)):
          #expect(a == b, "file \(i)")
        case (.failure(let a), .failure(let b)):
          #expect(a.kind == b.kind && a.place == b.place, "file \(i): \(a) / \(b)")
        default:
          Issue.record("file \(i): zlib \(zlib), isal \(isal)")
        }
      }
      let read = try? readBlocks(bytes, threads: 2, chunkSize: 4000, backend: .isal)
      let reference = try? readBlocks(bytes, threads: 2, chunkSize: 4000, backend: .zlib)
      #expect(read?.bytes == reference?.bytes, "file \(i)")
    }
  }
}

extension Result where Success == Report, Failure == BCEError {
  /// The error's description, or `nil` on success.
  fileprivate var errorDescription: String? {
    if case .failure(let error) = self { return error.description }
    return nil
  }

  /// The results and record count, or the error: what must not depend on how the bytes were
  /// read (the byte counts may differ, since a serial twin reads the same bytes).
  fileprivate var comparable: String {
    switch self {
    case .success(let report): return "\(report.results) \(report.records)"
    case .failure(let error): return "error \(error.kind) \(error.description)"
    }
  }
}

extension Report {
  /// This report with the byte counts of `other` (the plain file's counts differ from BGZF's).
  fileprivate func withIO(of other: Report) -> Report {
    var copy = self
    copy.inputs = other.inputs
    copy.bytesRead = other.bytesRead
    copy.bytesDecompressed = other.bytesDecompressed
    return copy
  }
}
