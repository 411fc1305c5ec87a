import BCECore
import CZlib

/// libFuzzer target for ``GzipReader``: the gzip decoding of any bytes, read in any pieces.
///
/// Input layout: byte 0 chooses the size of the pieces the source hands out (1 byte ... all
/// at once), byte 1 the sequence of output buffer sizes and whether the bytes go through
/// `DecodedInput.open` (gzip recognised by its magic bytes, BGZF by its first header, as the
/// pipeline does; BGZF chunks are read back in order) or straight into a `GzipReader`; the
/// rest is the stream.
///
/// Invariants (a violation is a crash):
/// - no crash, no hang (libFuzzer's `-timeout`), no AddressSanitizer report;
/// - `read` returns at most the buffer's size, and 0 forever once it returned 0; a clean end
///   has consumed the whole input;
/// - the only error is a ``BCEError`` of kind `.data` that names the input;
/// - the result is what an independent decoder says (zlib called directly on the whole
///   stream at once, with the README's rules: every member to the end, zero padding after
///   the last member, nothing else after it): a valid stream gives exactly its bytes and
///   member count, an invalid one an error, after a prefix of its bytes. So the result does
///   not depend on how the input was cut into pieces.
/// - bytes that do not start with the gzip magic come out of `DecodedInput.open` unchanged;
/// - BGZF inflated in parallel gives what the serial reader gives (the same reference).
@_cdecl("LLVMFuzzerTestOneInput")
public func gzipReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  var input = FuzzInput(data, size)
  let pieceSizes = [1, 2, 3, 5, 8, 13, 64, 511, 4096, Int.max]
  let pieceSize = pieceSizes[Int(input.byte()) % pieceSizes.count]
  let shape = input.byte()
  let viaDecoding = shape & 0x80 != 0
  let outputSizes = [1, 2, 3, 7, 64, 1000, 4096, 65_536]
  var sizes: [Int] = []
  var k = Int(shape & 7)
  for _ in 0..<4 {
    sizes.append(outputSizes[k])
    k = (k + 1 + Int(shape >> 3 & 3)) % outputSizes.count
  }
  let stream = Array(input.rest)

  let name = "fuzz.gz"
  let limit = GzipFuzz.outputLimit
  var produced: ReaderRun
  let isGzip = stream.count >= 2 && stream[0] == 0x1F && stream[1] == 0x8B
  let source = MemorySource(stream, pieceSize: pieceSize)
  do throws(BCEError) {
    let reader: any ByteSource =
      viaDecoding
      ? try decoded(source, name: name)
      : try GzipReader(source: source, name: name)
    produced = ReaderRun(reader, sizes: sizes, limit: limit)
  } catch {
    produced = ReaderRun(failure: error)
  }
  require(source.bytesConsumed <= stream.count, "consumed \(source.bytesConsumed) bytes")
  if let error = produced.error {
    require(error.kind == .data, "a \(error.kind) error from the gzip reader: \(error)")
    require(error.place == name, "the error does not name the input: \(error)")
  }

  if viaDecoding && !isGzip {
    require(produced.error == nil, "plain bytes failed: \(produced.error!)")
    require(produced.bytes == stream, "plain bytes were changed")
    return 0
  }

  let expected = ReferenceInflate(stream, limit: limit)
  let common = min(produced.bytes.count, expected.bytes.count)
  require(
    produced.bytes[..<common] == expected.bytes[..<common],
    "the reader's bytes differ from zlib's at or before byte \(common)")
  if produced.capped || expected.capped { return 0 }
  if expected.valid {
    require(
      produced.error == nil,
      "a valid stream (\(expected.members) members, \(expected.bytes.count) bytes) failed: "
        + "\(produced.error!)")
    require(produced.bytes.count == expected.bytes.count, "a valid stream was cut short")
    require(
      source.bytesConsumed == stream.count,
      "a clean end after \(source.bytesConsumed) of \(stream.count) compressed bytes")
    if let gzip = produced.gzip {
      require(gzip.members == expected.members, "\(gzip.members) members, not \(expected.members)")
    }
  } else {
    // Bug gzip-padding-then-member (fixed in 1b67624) broke this for zeros then a member.
    require(
      produced.error != nil,
      "an invalid stream (\(expected.problem)) was accepted as \(produced.bytes.count) bytes")
  }
  return 0
}

enum GzipFuzz {
  /// Decompressed bytes beyond which neither side is compared (a small input can inflate a
  /// thousandfold).
  static let outputLimit = 8 << 20
  /// Output buffers stay at the fuzzed (possibly tiny) sizes up to here, then are 64 KiB.
  static let smallBufferBytes = 64 << 10
}

/// Everything a byte source produced until its end, its error, or the output limit.
/// `source` as the pipeline decodes it, as one byte source: a stream as it comes, BGZF as
/// its chunks in order, then the stream that follows the BGZF members, if any.
func decoded(_ source: any ByteSource, name: String) throws(BCEError) -> any ByteSource {
  let pool = BufferPool(count: 4, capacity: 4096)
  var options = EvaluationOptions()
  options.chunkSize = 4096
  switch try DecodedInput.open(source, name: name, options: options, pool: pool) {
  case .stream(let stream): return stream
  case .blocks(let blocks): return BlocksSource(blocks: blocks, pool: pool)
  }
}

/// BGZF chunks read back in order as a byte source.
final class BlocksSource: ByteSource {
  private let blocks: BGZFReader
  private let pool: BufferPool
  private var chunk: ChunkBuffer? = nil
  private var rest: (any ByteSource)? = nil
  private var membersEnded = false

  init(blocks: BGZFReader, pool: BufferPool) {
    self.blocks = blocks
    self.pool = pool
  }

  var bytesConsumed: Int { 0 }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(BCEError) -> Int {
    while true {
      if let current = chunk {
        let available = current.filled - current.recordsStart
        if available > 0 {
          let n = min(available, buffer.count)
          buffer.baseAddress!.copyMemory(from: current.storage + current.recordsStart, byteCount: n)
          current.recordsStart += n
          return n
        }
        pool.give(current)
        chunk = nil
      }
      if membersEnded { return try rest?.read(into: buffer) ?? 0 }
      if let next = try blocks.nextChunk() {
        chunk = next
      } else {
        membersEnded = true
        rest = blocks.rest
      }
    }
  }
}

struct ReaderRun {
  var bytes: [UInt8] = []
  var error: BCEError? = nil
  var capped = false
  var gzip: GzipReader? = nil

  init(failure: BCEError) { error = failure }

  init(_ source: any ByteSource, sizes: [Int], limit: Int) {
    gzip = source as? GzipReader
    var i = 0
    var ended = false
    while !ended {
      if bytes.count >= limit {
        capped = true
        return
      }
      let size = bytes.count < GzipFuzz.smallBufferBytes ? sizes[i % sizes.count] : 65_536
      i += 1
      // A buffer of exactly `size` bytes: AddressSanitizer catches any write past it.
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
      defer { buffer.deallocate() }
      do throws(BCEError) {
        let n = try source.read(into: buffer)
        require(n >= 0 && n <= size, "read returned \(n) for a buffer of \(size)")
        if n == 0 {
          ended = true
        } else {
          bytes.append(contentsOf: buffer[..<n])
        }
      } catch {
        self.error = error
        return
      }
    }
    // The end is the end: reading again gives nothing, and no error.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
    defer { buffer.deallocate() }
    do throws(BCEError) {
      let again = try source.read(into: buffer)
      require(again == 0, "read returned \(again) bytes after the end")
    } catch {
      require(false, "read threw after the end: \(error)")
    }
  }
}

/// The README's gzip rules applied with zlib directly, to the whole stream at once: every
/// member is inflated to its end (zlib checks each CRC-32 and length); after a member comes
/// another member (`1f 8b`), the end of the input, or zero bytes up to the end of the input;
/// anything else, or an input that ends inside a member, makes the stream invalid.
struct ReferenceInflate {
  var bytes: [UInt8] = []
  var valid = false
  var members = 0
  var capped = false
  var problem = ""

  init(_ stream: [UInt8], limit: Int) {
    let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    z.initialize(to: z_stream())
    defer {
      inflateEnd(z)
      z.deinitialize(count: 1)
      z.deallocate()
    }
    precondition(bce_inflate_init_gzip(z) == Z_OK, "inflateInit2 failed")
    let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 65_536)
    defer { out.deallocate() }
    stream.withUnsafeBufferPointer { input in
      var position = 0
      while true {
        // Inflate one member from `position`.
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + position })
        z.pointee.avail_in = uInt(input.count - position)
        var status: Int32
        repeat {
          z.pointee.next_out = out
          z.pointee.avail_out = 65_536
          status = inflate(z, Z_NO_FLUSH)
          let n = 65_536 - Int(z.pointee.avail_out)
          bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: n))
          if bytes.count >= limit {
            capped = true
            return
          }
        } while status == Z_OK
        position = input.count - Int(z.pointee.avail_in)
        z.pointee.next_in = nil
        z.pointee.next_out = nil
        guard status == Z_STREAM_END else {
          problem =
            status == Z_BUF_ERROR
            ? "ends inside member \(members + 1)" : "zlib status \(status) in member \(members + 1)"
          return
        }
        members += 1
        let rest = input[position...]
        if rest.allSatisfy({ $0 == 0 }) {
          valid = true
          return
        }
        if rest.count >= 2 && rest[position] == 0x1F && rest[position + 1] == 0x8B {
          precondition(inflateReset(z) == Z_OK, "inflateReset failed")
          continue
        }
        problem = "trailing data after member \(members) at byte \(position)"
        return
      }
    }
  }
}
