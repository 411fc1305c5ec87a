import BCECore
import Dispatch

/// The decompressed bytes of a BGZF file (bgzip's output), inflated on several threads
/// straight into chunks.
///
/// BGZF is a series of gzip members of at most 64 KiB each whose header carries the extra
/// subfield `BC` with BSIZE (the member's size − 1), and whose trailer ends with ISIZE (its
/// decompressed size). So the member boundaries and the exact output sizes are known before
/// inflating anything: the reader walks the headers of the compressed bytes it has read,
/// groups consecutive members into jobs of about a chunk of output each, inflates a batch of
/// jobs in parallel (one ``MemberInflater`` per thread, each member checked — header, CRC-32
/// and length — exactly as ``GzipReader`` checks it), and hands the chunks over in order.
///
/// It reads only what is plainly BGZF. At the first member that is not (no `BC` subfield, an
/// ISIZE above 64 KiB), that ends beyond the end of the file, that fails to inflate or whose
/// header disagrees with its data, and at the first bytes that are not a member (zero
/// padding, trailing garbage), it stops and hands the rest to a serial ``GzipReader``
/// (``rest``), which reads it — or fails on it — exactly as it would have read the whole
/// file: `cat a.bgz b.gz` is read to the end, a corrupt or truncated member is the same
/// error.
final class BGZFReader {
  /// A member found in the compressed input.
  struct Member {
    /// Where the member starts in the input buffer.
    var offset: Int
    /// Its compressed size (BSIZE + 1).
    var size: Int
    /// Its decompressed size (ISIZE).
    var decodedSize: Int
  }

  /// What the header at the start of some bytes is.
  enum HeaderScan: Equatable {
    /// A gzip member header with a BGZF `BC` subfield: the member is `memberSize` bytes.
    case bgzf(memberSize: Int)
    /// Too few bytes to tell.
    case incomplete
    /// Anything else: another gzip header, zero padding, garbage.
    case other
  }

  /// The largest ISIZE a BGZF member has (the format's 64 KiB limit).
  static let maxDecodedSize = 1 << 16

  /// The input's name in messages.
  let name: String
  private let raw: any ByteSource
  private let backend: InflateBackend
  private let pool: BufferPool
  /// Inflation threads: jobs per batch, and inflaters.
  private let threads: Int
  private let inflaters: [any MemberInflater]
  /// Bytes kept free before a chunk's inflated bytes for the partial record carried over
  /// from the chunk before, so that it usually needs no other copy.
  let reserve: Int
  /// Decompressed bytes per job (a job holds at least one member, whatever its size).
  let jobCapacity: Int
  /// Bytes read from `raw` at a time.
  private let readSize: Int

  /// Compressed bytes; the unread part is `input[inputStart..<inputEnd]`.
  private let input: UnsafeMutableRawBufferPointer
  private var inputStart = 0
  private var inputEnd = 0
  private var sourceEnded = false

  /// Chunks inflated and not handed over yet: `ready[readyStart...]`, in order.
  private var ready: [ChunkBuffer] = []
  private var readyStart = 0
  /// Members inflated and handed over so far (for the serial reader's messages).
  private var membersDone = 0
  /// No member follows the ready chunks.
  private var over = false
  /// After ``nextChunk()`` returned `nil`: the serial reader of the rest of the stream, or
  /// `nil` when the stream ended cleanly after the last BGZF member.
  private(set) var rest: (any ByteSource)? = nil

  /// Reads the BGZF stream `prefix` + `raw` (`prefix` being bytes of `raw` already read).
  ///
  /// - Parameters:
  ///   - threads: members are inflated on this many threads, with one inflater each.
  ///   - pool: where the chunks come from.
  ///   - chunkSize: about how many decompressed bytes each chunk receives.
  /// - Throws: a usage error when `backend` is not in this build.
  init(
    prefix: [UInt8], raw: any ByteSource, name: String, backend: InflateBackend, threads: Int,
    pool: BufferPool, chunkSize: Int
  ) throws(BCEError) {
    precondition(threads >= 1 && chunkSize >= 1, "threads and chunk size ≥ 1")
    self.name = name
    self.raw = raw
    self.backend = backend
    self.pool = pool
    self.threads = threads
    var inflaters: [any MemberInflater] = []
    for _ in 0..<threads { inflaters.append(try backend.makeInflater(name: name)) }
    self.inflaters = inflaters
    reserve = min(chunkSize / 16, 16 * 1024)
    jobCapacity = max(chunkSize - reserve, 1)
    readSize = 1 << 20
    // Room for two batches of compressed jobs and a read: a batch then rarely needs to move
    // the bytes it has planned (see `compact`). A member always fits.
    let batchBytes = threads * (jobCapacity + BGZFReader.maxDecodedSize)
    let capacity = max(2 * batchBytes + readSize, prefix.count, 4 * BGZFReader.maxDecodedSize)
    input = .allocate(byteCount: capacity, alignment: 64)
    input.copyBytes(from: prefix)
    inputEnd = prefix.count
  }

  deinit {
    for chunk in ready[readyStart...] { pool.give(chunk) }
    input.deallocate()
  }

  /// The bytes taken from the underlying file so far (compressed bytes).
  var bytesConsumed: Int { raw.bytesConsumed }

  /// The next inflated chunk, in order, or `nil` when the BGZF members are over (then
  /// ``rest`` reads what follows).
  ///
  /// The chunk comes from the pool; its bytes are `storage[recordsStart..<filled]`, with
  /// ``reserve`` bytes or more free before them. The caller owns it from then on.
  ///
  /// - Throws: a data error when the file cannot be read (corrupt data is left to ``rest``).
  func nextChunk() throws(BCEError) -> ChunkBuffer? {
    while true {
      if readyStart < ready.count {
        let chunk = ready[readyStart]
        readyStart += 1
        return chunk
      }
      ready.removeAll(keepingCapacity: true)
      readyStart = 0
      if over { return nil }
      try inflateBatch()
    }
  }

  /// What a walk over the member headers stopped at.
  private enum Stop {
    /// Enough jobs, or the input buffer is full: more members follow.
    case more
    /// The end of the stream, right after a member.
    case end
    /// Something for the serial reader at this offset.
    case serial(Int)
  }

  /// Plans a batch of up to `threads` jobs from the compressed input, inflates them in
  /// parallel, and appends the good chunks to `ready`.
  private func inflateBatch() throws(BCEError) {
    if inputStart >= input.count / 2 { compact() }
    var members: [Member] = []
    var jobs: [Range<Int>] = []  // ranges of `members`
    var jobStart = 0
    var jobDecoded = 0
    var position = inputStart
    var stop = Stop.more
    walk: while true {
      let available = inputEnd - position
      if available == 0 && sourceEnded {
        stop = .end
        break
      }
      let bytes = UnsafeRawBufferPointer(rebasing: input[position..<inputEnd])
      var member: Member? = nil
      switch BGZFReader.scanHeader(bytes) {
      case .other:
        stop = .serial(position)
        break walk
      case .incomplete:
        break
      case .bgzf(let size):
        if size <= available {
          let decodedSize = Int(
            UnsafeRawBufferPointer(rebasing: bytes[(size - 4)..<size]).loadUnaligned(
              as: UInt32.self
            ).littleEndian)
          if decodedSize > BGZFReader.maxDecodedSize {
            stop = .serial(position)
            break walk
          }
          member = Member(offset: position, size: size, decodedSize: decodedSize)
        }
      }
      guard let member else {
        // The member (or its header) continues past the bytes read so far.
        if sourceEnded {
          stop = .serial(position)  // a truncated member: the serial reader says so
          break
        }
        if inputEnd == input.count {
          if inputStart == 0 { break }  // the buffer is full of this batch: inflate it first
          let shift = compact()
          position -= shift
          for i in members.indices { members[i].offset -= shift }
        }
        try readMore()
        continue
      }
      if jobStart < members.count && jobDecoded + member.decodedSize > jobCapacity {
        jobs.append(jobStart..<members.count)
        jobStart = members.count
        jobDecoded = 0
        if jobs.count == threads { break }
      }
      members.append(member)
      jobDecoded += member.decodedSize
      position += member.size
    }
    if jobStart < members.count { jobs.append(jobStart..<members.count) }

    let batch = InflationBatch(
      input: UnsafeRawPointer(input.baseAddress!), members: members, jobs: jobs,
      reserve: reserve, inflaters: inflaters, pool: pool)
    batch.run()

    // Hand over every chunk up to the first member that failed; the serial reader takes
    // over from there (and reports the error, or reads what the walk could not).
    var failedMember: Int? = nil
    let failures = batch.failures
    for (index, chunk) in batch.chunks.enumerated() {
      if failedMember != nil {
        pool.give(chunk)
        continue
      }
      let job = jobs[index]
      let good = failures[index].map { job.lowerBound + $0 } ?? job.upperBound
      if good < job.upperBound { failedMember = good }
      let decoded = members[job.lowerBound..<good].reduce(0) { $0 + $1.decodedSize }
      if decoded > 0 {
        chunk.recordsStart = reserve
        chunk.filled = reserve + decoded
        ready.append(chunk)
      } else {
        pool.give(chunk)
      }
    }
    if let failedMember {
      membersDone += failedMember
      stop = .serial(members[failedMember].offset)
    } else {
      membersDone += members.count
      inputStart = position
    }
    switch stop {
    case .more:
      break
    case .end:
      over = true
    case .serial(let offset):
      over = true
      let unread = Array(UnsafeRawBufferPointer(rebasing: input[offset..<inputEnd]))
      inputStart = inputEnd
      rest = try GzipReader(
        resuming: PrefixedSource(prefix: unread, rest: raw), name: name, backend: backend,
        membersBefore: membersDone)
    }
  }

  /// Moves the unread input to the front of the buffer.
  ///
  /// - Returns: how far the bytes moved.
  @discardableResult
  private func compact() -> Int {
    let shift = inputStart
    guard shift > 0 else { return 0 }
    let unread = inputEnd - inputStart
    if unread > 0 {
      input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: unread)
    }
    inputStart = 0
    inputEnd = unread
    return shift
  }

  /// Reads up to `readSize` more bytes after the input (at least one, unless the file ended).
  private func readMore() throws(BCEError) {
    let room = min(readSize, input.count - inputEnd)
    let n = try raw.read(
      into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd..<(inputEnd + room)]))
    if n == 0 { sourceEnded = true }
    inputEnd += n
  }

  /// Whether `bytes` start with a gzip member header that has a BGZF `BC` subfield, and the
  /// member's size if so.
  ///
  /// Accepts: 1f 8b 08, FLG with FEXTRA set, then anywhere in the extra field a subfield
  /// `B` `C` with SLEN 2, whose BSIZE + 1 is at least the header's fixed part, the extra field
  /// and the trailer. It does not look further (FNAME, FCOMMENT, FHCRC and the data are left
  /// to the inflater, which checks them).
  static func scanHeader(_ bytes: UnsafeRawBufferPointer) -> HeaderScan {
    let magic: [UInt8] = [0x1F, 0x8B, 0x08]
    for i in 0..<min(3, bytes.count) where bytes[i] != magic[i] { return .other }
    if bytes.count > 3 && bytes[3] & 0x04 == 0 { return .other }
    guard bytes.count >= 12 else { return .incomplete }
    let extraEnd = 12 + (Int(bytes[10]) | Int(bytes[11]) << 8)
    guard bytes.count >= extraEnd else { return .incomplete }
    var i = 12
    while i + 4 <= extraEnd {
      let length = Int(bytes[i + 2]) | Int(bytes[i + 3]) << 8
      if bytes[i] == UInt8(ascii: "B") && bytes[i + 1] == UInt8(ascii: "C") && length == 2
        && i + 6 <= extraEnd
      {
        let size = (Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8) + 1
        return size >= extraEnd + 8 ? .bgzf(memberSize: size) : .other
      }
      i += 4 + length
    }
    return .other
  }
}

/// One batch of BGZF jobs, inflated in parallel: each job's members into its own chunk.
///
/// Each job takes its chunk from the pool when a worker starts it, not before: so a job can
/// start as soon as the evaluator gives back one chunk, while it still evaluates the others.
///
/// Why `@unchecked Sendable` is sound: during ``run()`` the input bytes, members
/// and jobs are only read; slot `j` of `chunks` and of `failures` is written only by the one
/// worker that claims job `j` (raw slots, not arrays, so that no two workers write the same
/// variable), and inflater `w` is used only by iteration `w`. The end of `concurrentPerform`
/// orders those writes before the reader's thread reads them.
private final class InflationBatch: @unchecked Sendable {
  let input: UnsafeRawPointer
  let members: [BGZFReader.Member]
  let jobs: [Range<Int>]
  let reserve: Int
  /// One per worker.
  let inflaters: [any MemberInflater]
  private let pool: BufferPool
  /// One chunk per job, from the pool.
  private let chunkSlots: UnsafeMutableBufferPointer<ChunkBuffer?>
  /// Per job: the index (within the job) of the first member that did not inflate exactly
  /// as its header said, or `nil` when every member did.
  private let failureSlots: UnsafeMutableBufferPointer<Int?>

  init(
    input: UnsafeRawPointer, members: [BGZFReader.Member], jobs: [Range<Int>], reserve: Int,
    inflaters: [any MemberInflater], pool: BufferPool
  ) {
    self.inflaters = inflaters
    self.input = input
    self.members = members
    self.jobs = jobs
    self.reserve = reserve
    self.pool = pool
    chunkSlots = .allocate(capacity: jobs.count)
    chunkSlots.initialize(repeating: nil)
    failureSlots = .allocate(capacity: jobs.count)
    failureSlots.initialize(repeating: nil)
  }

  deinit {
    chunkSlots.deinitialize()
    chunkSlots.deallocate()
    failureSlots.deinitialize()
    failureSlots.deallocate()
  }

  /// One chunk per job, after ``run()``.
  var chunks: [ChunkBuffer] { chunkSlots.map { $0! } }
  /// Per job, after ``run()``: the index (within the job) of the first member that did not
  /// inflate exactly as its header said, or `nil` when every member did.
  var failures: [Int?] { Array(failureSlots) }

  /// Inflates every job, on up to `inflaters.count` threads.
  func run() {
    let workers = min(inflaters.count, jobs.count)
    if workers <= 1 {
      for index in jobs.indices { inflate(job: index, with: inflaters[0]) }
      return
    }
    let claim = ChunkClaim()
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      while true {
        let index = claim.next()
        if index >= jobs.count { return }
        inflate(job: index, with: inflaters[worker])
      }
    }
  }

  private func inflate(job index: Int, with inflater: any MemberInflater) {
    let chunk = pool.take()
    chunk.reserveEmpty(capacity: reserve + members[jobs[index]].reduce(0) { $0 + $1.decodedSize })
    chunkSlots[index] = chunk
    var out = reserve
    for (position, member) in members[jobs[index]].enumerated() {
      guard inflate(member, into: chunk, at: out, with: inflater) else {
        failureSlots[index] = position
        return
      }
      out += member.decodedSize
    }
  }

  /// Inflates one member into `chunk` at `offset`.
  ///
  /// - Returns: whether the member inflated and checked, used exactly its `size` bytes and
  ///   gave exactly its `decodedSize` bytes.
  private func inflate(
    _ member: BGZFReader.Member, into chunk: ChunkBuffer, at offset: Int,
    with inflater: any MemberInflater
  ) -> Bool {
    do throws(BCEError) {
      try inflater.reset()
      var consumed = 0
      var produced = 0
      while true {
        // A member that says less than it holds may write past its decodedSize, into the
        // room of the members after it in the same chunk: it fails below either way.
        let step = try inflater.inflate(
          UnsafeRawBufferPointer(
            start: input + member.offset + consumed, count: member.size - consumed),
          into: UnsafeMutableRawBufferPointer(
            start: chunk.storage + offset + produced, count: chunk.capacity - offset - produced))
        consumed += step.consumed
        produced += step.produced
        if step.memberEnded { return consumed == member.size && produced == member.decodedSize }
        if step.consumed == 0 && step.produced == 0 { return false }
      }
    } catch {
      return false
    }
  }
}
