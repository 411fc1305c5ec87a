import BCECore
import BCEIO
import BCETestSupport
import CZlib
import Testing

/// Everything a gzip stream decodes to, read `outputSize` bytes at a time from a source that
/// hands out `pieceSize` bytes at a time.
private func inflate(
  _ gzip: [UInt8], name: String = "test.gz", pieceSize: Int = .max, outputSize: Int = 4096,
  backend: InflateBackend = .zlib
) throws(BCEError) -> [UInt8] {
  let reader = try GzipReader(
    source: MemorySource(gzip, pieceSize: pieceSize), name: name, backend: backend)
  var out: [UInt8] = []
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 1)
  defer { buffer.deallocate() }
  while true {
    let n = try reader.read(into: buffer)
    if n == 0 { return out }
    out += buffer[..<n]
  }
}

/// `member` with FEXTRA (one empty subfield), FNAME and FCOMMENT set and filled in its
/// header; the data and trailer are unchanged.
private func named(_ member: [UInt8]) -> [UInt8] {
  var header = Array(member[..<10])
  header[3] |= 0x04 | 0x08 | 0x10
  let extra: [UInt8] = [4, 0, UInt8(ascii: "a"), UInt8(ascii: "b"), 0, 0]
  return header + extra + Array("predictions.csv\0".utf8) + Array("a comment\0".utf8)
    + member[10...]
}

/// `named(member)` with FHCRC too: the header's CRC-32, low 16 bits, after its other fields.
private func withHeaderCRC(_ member: [UInt8]) -> [UInt8] {
  var full = named(member)
  full[3] |= 0x02
  let headerEnd = full.count - (member.count - 10)
  let crc = full[..<headerEnd].withUnsafeBufferPointer {
    crc32(0, $0.baseAddress, uInt($0.count))
  }
  return Array(full[..<headerEnd]) + [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF)]
    + member[10...]
}

/// The error that inflating `gzip` throws, or `nil` when it succeeds.
private func inflateError(_ gzip: [UInt8], name: String = "test.gz") -> BCEError? {
  do throws(BCEError) {
    _ = try inflate(gzip, name: name)
    return nil
  } catch {
    return error
  }
}

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var rng = SplitMix64(seed: seed)
  return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}

/// Text-like bytes that compress well (so that a member has long back-references).
private func textBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var rng = SplitMix64(seed: seed)
  let words = ["label", "pred", "0", "1", "0.25", ",", "\n", "score", "model_a", "\"x, y\""]
  var out: [UInt8] = []
  while out.count < count { out += words[Int(rng.next() % UInt64(words.count))].utf8 }
  return Array(out[..<count])
}

@Suite("GzipReader")
struct GzipReaderTests {
  @Test("round trip", arguments: [0, 1, 2, 100, 4096, 65_537, 300_000])
  func roundTrip(size: Int) throws {
    for data in [randomBytes(size, seed: UInt64(size)), textBytes(size, seed: UInt64(size))] {
      let gzip = gzipMember(data)
      #expect(try inflate(gzip) == data)
      let reader = try GzipReader(source: MemorySource(gzip), name: "x.gz")
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 400_000, alignment: 1)
      defer { buffer.deallocate() }
      #expect(try reader.readFully(into: buffer) == data.count)
      #expect(reader.members == 1)
      #expect(reader.bytesConsumed == gzip.count)
    }
  }

  @Test("an empty member decodes to nothing")
  func emptyMember() throws {
    #expect(try inflate(gzipMember([])) == [])
  }

  @Test("two members are read to the end")
  func twoMembers() throws {
    let a = textBytes(5000, seed: 1)
    let b = randomBytes(3000, seed: 2)
    #expect(try inflate(gzipMember(a) + gzipMember(b)) == a + b)
  }

  @Test("fifty members, some empty, through every buffer shape")
  func fiftyMembers() throws {
    var rng = SplitMix64(seed: 50)
    var data: [UInt8] = []
    var gzip: [UInt8] = []
    for i in 0..<50 {
      let size = i % 7 == 3 ? 0 : Int(rng.next() % 400)
      let part = i % 2 == 0 ? textBytes(size, seed: UInt64(i)) : randomBytes(size, seed: UInt64(i))
      data += part
      gzip += gzipMember(part, level: Int32(i % 10))
    }
    #expect(try inflate(gzip) == data)
    #expect(try inflate(gzip, pieceSize: 1, outputSize: 1) == data)
    #expect(try inflate(gzip, pieceSize: 13, outputSize: 7) == data)
    let reader = try GzipReader(source: MemorySource(gzip, pieceSize: 5), name: "m.gz")
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count + 10, alignment: 1)
    defer { buffer.deallocate() }
    #expect(try reader.readFully(into: buffer) == data.count)
    #expect(reader.members == 50)
  }

  @Test("tiny output buffers and one-byte input pieces give the same bytes")
  func tinyBuffers() throws {
    let data = textBytes(20_000, seed: 9) + randomBytes(3000, seed: 10)
    let gzip = gzipMember(data)
    for (piece, output) in [(1, 1), (1, 4096), (.max, 1), (3, 2), (256 * 1024 + 1, 1)] {
      #expect(try inflate(gzip, pieceSize: piece, outputSize: output) == data)
    }
  }

  @Test("headers with every optional field, FHCRC too, member after member, in any pieces")
  func everyHeaderField() throws {
    let a = textBytes(70_000, seed: 31)
    let b = randomBytes(3000, seed: 32)
    // zlib reads the first two headers itself and inflates their data raw; the FHCRC one
    // goes to zlib's gzip mode: each member may take either way, whatever came before.
    let stream =
      named(gzipMember(a)) + withHeaderCRC(gzipMember(b)) + gzipMember(a)
      + withHeaderCRC(gzipMember([]))
      + named(gzipMember(b))
    for (piece, output) in [(.max, 4096), (1, 4096), (7, 1), (100_000, 65_536)] {
      #expect(try inflate(stream, pieceSize: piece, outputSize: output) == a + b + a + b)
    }
    var wrong = withHeaderCRC(gzipMember(b))
    wrong[wrong.count - (gzipMember(b).count - 10) - 1] ^= 0x01
    #expect(inflateError(wrong)?.message == "corrupt gzip data: header crc mismatch")
    // A trailer whose CRC-32 or length is wrong, split across one-byte pieces.
    for (offset, message) in [
      (8, "CRC-32 mismatch (incorrect data check)"),
      (1, "length mismatch (incorrect length check)"),
    ] {
      var bad = named(gzipMember(a))
      bad[bad.count - offset] ^= 0x10
      do throws(BCEError) {
        _ = try inflate(bad, pieceSize: 1)
        Issue.record("a wrong trailer passed")
      } catch {
        #expect(error.message == "corrupt gzip data: \(message)")
      }
    }
  }

  @Test("a member cut at every byte offset is a truncated file")
  func truncatedAtEveryOffset() {
    let gzip = gzipMember(textBytes(300, seed: 3))
    for cut in 1..<gzip.count {
      for piece in [Int.max, 1] {
        do throws(BCEError) {
          let out = try inflate(Array(gzip[..<cut]), name: "cut.gz", pieceSize: piece)
          Issue.record("cut at \(cut)/\(gzip.count) succeeded silently with \(out.count) bytes")
        } catch {
          #expect(error.kind == .data)
          #expect(error.place == "cut.gz")
          #expect(error.message.contains("truncated"), "cut at \(cut): \(error)")
        }
      }
    }
  }

  @Test("two members cut at every offset: only the member boundary is a valid shorter stream")
  func twoMembersTruncatedAtEveryOffset() throws {
    let a = textBytes(200, seed: 4)
    let b = textBytes(150, seed: 5)
    let first = gzipMember(a)
    let gzip = first + gzipMember(b)
    for cut in 1..<gzip.count {
      do throws(BCEError) {
        let out = try inflate(Array(gzip[..<cut]), name: "two.gz")
        #expect(cut == first.count, "cut at \(cut) succeeded silently")
        #expect(out == a)
      } catch {
        #expect(cut != first.count, "cut at the member boundary failed: \(error)")
        #expect(error.kind == .data)
        #expect(error.place == "two.gz")
        // A single 1f byte after a member cannot be told from garbage; any later cut can.
        if cut > first.count + 1 {
          #expect(error.message.contains("truncated"), "cut at \(cut): \(error)")
        }
      }
    }
  }

  @Test("an empty stream given to the reader is a truncated file")
  func emptyStream() {
    let error = inflateError([], name: "empty.gz")
    #expect(error?.kind == .data)
    #expect(error?.place == "empty.gz")
  }

  @Test("a corrupted CRC-32 is a data error naming the mismatch")
  func corruptedCRC() {
    let data = textBytes(1000, seed: 6)
    var gzip = gzipMember(data)
    gzip[gzip.count - 8] ^= 0xFF
    let error = inflateError(gzip, name: "crc.gz")
    #expect(error?.kind == .data)
    #expect(error?.place == "crc.gz")
    #expect(error?.message.contains("CRC-32 mismatch") == true, "\(String(describing: error))")
  }

  @Test("a corrupted ISIZE is a data error naming the mismatch")
  func corruptedLength() {
    var gzip = gzipMember(textBytes(1000, seed: 7))
    gzip[gzip.count - 4] ^= 0x01
    let error = inflateError(gzip, name: "len.gz")
    #expect(error?.kind == .data)
    #expect(error?.place == "len.gz")
    #expect(error?.message.contains("length mismatch") == true, "\(String(describing: error))")
  }

  @Test("a corrupted CRC in the second member fails too")
  func corruptedSecondMember() {
    var gzip = gzipMember(textBytes(500, seed: 8))
    let second = gzipMember(textBytes(500, seed: 9))
    gzip += second
    gzip[gzip.count - 6] ^= 0x10
    let error = inflateError(gzip, name: "m2.gz")
    #expect(error?.kind == .data)
    #expect(error?.message.contains("CRC-32 mismatch") == true, "\(String(describing: error))")
  }

  @Test("a flipped bit in the compressed data or trailer never passes as other bytes")
  func flippedByte() {
    let data = randomBytes(200, seed: 11) + textBytes(2000, seed: 12)
    let gzip = gzipMember(data)
    // Bytes 4..<10 (MTIME, XFL, OS) are not checked by gzip; everything after the header is.
    // A flip may also leave the output unchanged (a back-reference moved to an identical
    // copy of the same text): then CRC and length rightly agree. Never other bytes, though.
    for position in 10..<gzip.count {
      var bad = gzip
      bad[position] ^= 0x01
      do throws(BCEError) {
        let out = try inflate(bad, name: "flip.gz")
        #expect(out == data, "flip at \(position) of \(gzip.count) gave other bytes silently")
      } catch {
        #expect(error.kind == .data)
        #expect(error.place == "flip.gz")
      }
    }
    // In the trailer every flip is noticed.
    for position in (gzip.count - 8)..<gzip.count {
      var bad = gzip
      bad[position] ^= 0x01
      #expect(inflateError(bad)?.message.contains("mismatch") == true, "trailer byte \(position)")
    }
    var middle = gzip
    middle[gzip.count / 2] ^= 0xFF
    let error = inflateError(middle, name: "flip.gz")
    #expect(
      error?.message.contains("corrupt gzip data") == true
        || error?.message.contains("mismatch") == true, "\(String(describing: error))")
  }

  @Test(
    "trailing garbage after the last member is an error",
    arguments: [[0x41], [0x0A], [0x1F], [0x1F, 0x8C], [0x00, 0x00, 0x41], [0x1F, 0x8B, 0x00]]
      as [[UInt8]])
  func trailingGarbage(tail: [UInt8]) {
    let data = textBytes(100, seed: 13)
    let error = inflateError(gzipMember(data) + tail, name: "tail.gz")
    #expect(error?.kind == .data)
    #expect(error?.place == "tail.gz")
  }

  @Test("trailing garbage is reported as such")
  func trailingGarbageMessage() {
    let error = inflateError(gzipMember(textBytes(100, seed: 14)) + Array("junk".utf8))
    #expect(error?.message.contains("trailing data") == true, "\(String(describing: error))")
  }

  @Test("trailing zero padding is accepted", arguments: [1, 512, 300_000])
  func zeroPadding(count: Int) throws {
    let data = textBytes(1000, seed: 15)
    let gzip = gzipMember(data) + [UInt8](repeating: 0, count: count)
    #expect(try inflate(gzip) == data)
    #expect(try inflate(gzip, pieceSize: 7, outputSize: 3) == data)
  }

  /// Every other backend (ISA-L, when built with the ISAL trait) against zlib on the same
  /// streams: the same bytes, or a data error naming the input in both — for whole and
  /// multi-member streams, every truncation, corrupted trailers, flipped bits, trailing
  /// garbage and padding, read through small pieces and buffers.
  @Test(
    "every backend decodes like zlib, errors included",
    .enabled(if: InflateBackend.available.count > 1))
  func backendsAgree() {
    // Named headers first decode, with every piece size, to the member's bytes.
    let plain = textBytes(3000, seed: 24)
    for piece in [1, 2, 5, 12, 13, 17, 29, Int.max] {
      for backend in InflateBackend.available {
        #expect(
          (try? inflate(named(gzipMember(plain)), pieceSize: piece, backend: backend)) == plain,
          "\(backend), pieces of \(piece)")
      }
    }
    let text = textBytes(70_000, seed: 21)
    let member = gzipMember(text)
    var streams: [[UInt8]] = [
      member, gzipMember([]), member + gzipMember(randomBytes(5000, seed: 22)) + member,
      member + [0, 0, 0], member + Array("junk".utf8), [], [0x1F, 0x8B],
      // Headers with an extra field, a file name and a comment, as `gzip FILE` writes a
      // name: ISA-L cannot resume a header split inside the name, so the reader must not
      // split one.
      named(member), named(member) + named(gzipMember(randomBytes(3000, seed: 23))),
      Array(named(member)[..<15]),
    ]
    for cut in stride(from: 0, to: member.count, by: 97) { streams.append(Array(member[..<cut])) }
    for position in stride(from: 10, to: member.count, by: 211) {
      var bad = member
      bad[position] ^= 0x10
      streams.append(bad)
    }
    for position in (member.count - 8)..<member.count {
      var bad = member
      bad[position] ^= 0x01
      streams.append(bad)
    }
    for backend in InflateBackend.available where backend != .zlib {
      for (i, stream) in streams.enumerated() {
        for (piece, output) in [(Int.max, 4096), (7, 1000), (1, 65_536)] {
          let expected = Result { () throws(BCEError) in
            try inflate(stream, pieceSize: piece, outputSize: output)
          }
          let actual = Result { () throws(BCEError) in
            try inflate(stream, pieceSize: piece, outputSize: output, backend: backend)
          }
          switch (expected, actual) {
          case (.success(let a), .success(let b)):
            #expect(a == b, "\(backend) stream \(i): other bytes")
          case (.failure(let a), .failure(let b)):
            #expect(b.kind == .data && b.place == a.place, "\(backend) stream \(i): \(b)")
          default:
            Issue.record(
              "\(backend) stream \(i) (\(piece)/\(output)): zlib \(expected), \(backend) \(actual)")
          }
        }
      }
    }
  }
}
