import BCECore
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The decompressed bytes of a BGZF file (bgzip's output), inflated on several threads
/// straight into chunks.
///
/// BGZF is a series of gzip members of at most 64 KiB each whose header carries the extra
/// subfield `BC` with BSIZE (the member's size − 1), and whose trailer ends with ISIZE (its
/// decompressed size). So the member boundaries and the exact output sizes are known before
/// inflating anything: the reader walks the headers of the compressed bytes it has read and
/// groups consecutive members into jobs of about a chunk of output each. Each job is
/// inflated on a worker (every member checked — header, CRC-32 and length — exactly as
/// ``GzipReader`` checks it) straight into a chunk, while the reader keeps up to
/// ``jobsInFlight(threads:)`` jobs in flight and hands the chunks over in order: there is
/// no barrier, a worker that finishes early takes the next job.
///
/// A mapped file (``init(mapped:name:backend:threads:pool:chunkSize:crew:)``) is read in place:
/// the members are inflated straight from the mapping, without a `read(2)` into a buffer or
/// a copy of each member into its job.
///
/// It reads only what is plainly BGZF. At the first member that is not (no `BC` subfield, an
/// ISIZE above 64 KiB), that ends beyond the end of the file, that fails to inflate or whose
/// header disagrees with its data, and at the first bytes that are not a member (zero
/// padding, trailing garbage), it stops and hands the rest to a serial ``GzipReader``
/// (``rest``), which reads it — or fails on it — exactly as it would have read the whole
/// file: `cat a.bgz b.gz` is read to the end, a corrupt or truncated member is the same
/// error.
final class BGZFReader {
  /// A member of a job: where it is in the job's compressed bytes.
  struct Member {
    /// Where the member starts.
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

  /// The jobs a reader keeps in flight when they inflate on `threads` threads: twice as
  /// many, so that a thread that finishes a job finds another while the reader waits for
  /// the oldest. With one more than `threads` (2 + 1 at `--threads 2`), a thread often found
  /// none: the reader hands the chunks over in order, and while it waited for a slow oldest
  /// job the jobs after it were done and no new one started.
  static func jobsInFlight(threads: Int) -> Int { 2 * threads }

  /// The largest ISIZE a BGZF member has (the format's 64 KiB limit).
  static let maxDecodedSize = 1 << 16

  /// The input's name in messages.
  let name: String
  private let raw: any ByteSource
  /// The mapped file whose members are inflated in place, or `nil` when the bytes are read
  /// into ``buffer``.
  private let mapped: MappedSource?
  private let backend: InflateBackend
  private let pool: BufferPool
  /// One per job in flight; job `n` uses `inflaters[n % inflaters.count]`, which is free
  /// again by then, since at most `inflaters.count` jobs are in flight.
  private let inflaters: [any MemberInflater]
  /// The threads that inflate the jobs — the run's, shared by its readers, or this
  /// reader's own `threads` — so that no more than that many jobs inflate at once, a job
  /// more in flight waiting for the first thread free (not for a given one, which could
  /// idle others).
  private let crew: InflationCrew
  /// Whether ``crew`` is this reader's own, to finish when it ends.
  private let ownsCrew: Bool
  /// Bytes kept free before a chunk's inflated bytes for the partial record carried over
  /// from the chunk before, so that it usually needs no other copy.
  let reserve: Int
  /// Decompressed bytes per job (a job holds at least one member, whatever its size).
  let jobCapacity: Int
  /// Compressed bytes per job, at most (a job holds at least one member).
  private let jobInputCapacity: Int
  /// Bytes read from `raw` at a time.
  private let readSize: Int

  /// Compressed bytes read and not yet given to a job: `input[inputStart..<inputEnd]`. For
  /// a mapped file, `input` is the whole file, read from the start.
  private let input: UnsafeRawBufferPointer
  /// The buffer that `input` is when the bytes are read (`nil` for a mapped file).
  private let buffer: UnsafeMutableRawBufferPointer?
  private var inputStart = 0
  private var inputEnd = 0
  private var sourceEnded = false

  /// Jobs dispatched and not handed over yet, `jobs[jobsStart...]`, in input order.
  private var jobs: [InflationJob] = []
  private var jobsStart = 0
  /// Jobs dispatched so far.
  private var jobCount = 0
  /// Compressed-input buffers of jobs handed over, to reuse.
  private var spareInputs: [UnsafeMutableRawBufferPointer] = []
  /// Members handed over so far (for the serial reader's messages).
  private var membersDone = 0

  /// Where the walk over the member headers stopped for good.
  private enum WalkEnd {
    /// The end of the stream, right after a member.
    case end
    /// Something for the serial reader at `input[inputStart...]`.
    case serial
  }
  private var walkEnd: WalkEnd? = nil
  /// Every chunk has been handed over; ``rest`` is set.
  private var over = false
  /// After ``nextChunk()`` returned `nil`: the serial reader of the rest of the stream, or
  /// `nil` when the stream ended cleanly after the last BGZF member.
  private(set) var rest: (any ByteSource)? = nil

  /// Compressed-input buffers that the BGZF readers of one reader thread pass on, input
  /// after input, instead of each making its own.
  ///
  /// A reader's buffers are about a chunk each, made when it starts and freed when it ends:
  /// with several reader threads, each reading one input after another, glibc left the
  /// freed ones in the threads' heaps, fragmented, and peak RSS over 80 BGZF inputs with
  /// `--threads 2` was 44–63 MiB instead of 35. Not `Sendable`: one thread's readers only.
  final class Buffers {
    /// The walk's input buffer of the last reader that ended.
    fileprivate var input: UnsafeMutableRawBufferPointer? = nil
    /// Job input buffers (of any size: a reader takes those of its own size).
    fileprivate var jobInputs: [UnsafeMutableRawBufferPointer] = []

    init() {}

    deinit {
      input?.deallocate()
      for buffer in jobInputs { buffer.deallocate() }
    }
  }

  /// Where this reader's buffers go when it ends, if anywhere.
  private let buffers: Buffers?

  /// Where the compressed bytes come from.
  private enum Origin {
    /// `prefix` + `raw`, `prefix` being bytes of `raw` already read.
    case stream(prefix: [UInt8], raw: any ByteSource)
    /// A mapped file, from its start.
    case mapped(MappedSource)
  }

  /// Reads the BGZF stream `prefix` + `raw` (`prefix` being bytes of `raw` already read).
  ///
  /// - Parameters:
  ///   - threads: members are inflated on this many threads (with as many more jobs
  ///     waiting, ``jobsInFlight(threads:)``).
  ///   - pool: where the chunks come from; the reader holds at most
  ///     ``jobsInFlight(threads:)`` of them.
  ///   - chunkSize: about how many decompressed bytes each chunk receives.
  ///   - buffers: buffers that an earlier reader on this thread left, to use and leave in
  ///     turn; `nil` to make and free them.
  ///   - crew: the threads to inflate on, shared with other readers; `nil` to start
  ///     `threads` of its own.
  /// - Throws: a usage error when `backend` is not in this build.
  convenience init(
    prefix: [UInt8], raw: any ByteSource, name: String, backend: InflateBackend, threads: Int,
    pool: BufferPool, chunkSize: Int, buffers: Buffers? = nil, crew: InflationCrew? = nil
  ) throws(BCEError) {
    try self.init(
      origin: .stream(prefix: prefix, raw: raw), name: name, backend: backend,
      threads: threads, pool: pool, chunkSize: chunkSize, buffers: buffers, crew: crew)
  }

  /// Reads the BGZF stream of a mapped file, whose members it inflates in place; what it
  /// does not read itself, ``rest`` reads from `mapped` (see ``MappedSource``).
  ///
  /// The parameters are those of
  /// ``init(prefix:raw:name:backend:threads:pool:chunkSize:buffers:crew:)``; no buffer is
  /// made for the compressed bytes.
  convenience init(
    mapped: MappedSource, name: String, backend: InflateBackend, threads: Int,
    pool: BufferPool, chunkSize: Int, crew: InflationCrew? = nil
  ) throws(BCEError) {
    try self.init(
      origin: .mapped(mapped), name: name, backend: backend, threads: threads, pool: pool,
      chunkSize: chunkSize, buffers: nil, crew: crew)
  }

  private init(
    origin: Origin, name: String, backend: InflateBackend, threads: Int, pool: BufferPool,
    chunkSize: Int, buffers: Buffers?, crew: InflationCrew?
  ) throws(BCEError) {
    precondition(threads >= 1 && chunkSize >= 1, "threads and chunk size ≥ 1")
    self.name = name
    self.backend = backend
    self.pool = pool
    var inflaters: [any MemberInflater] = []
    for _ in 0..<BGZFReader.jobsInFlight(threads: threads) {
      inflaters.append(try backend.makeInflater(name: name))
    }
    self.inflaters = inflaters
    self.crew = crew ?? InflationCrew(threads: threads, name: "bce-inflate")
    ownsCrew = crew == nil
    reserve = min(chunkSize / 16, 16 * 1024)
    jobCapacity = max(chunkSize - reserve, 1)
    jobInputCapacity = jobCapacity + 2 * BGZFReader.maxDecodedSize
    readSize = 1 << 20
    self.buffers = buffers
    switch origin {
    case .stream(let prefix, let raw):
      self.raw = raw
      mapped = nil
      let capacity = max(readSize + 2 * BGZFReader.maxDecodedSize, prefix.count)
      let owned: UnsafeMutableRawBufferPointer
      if let kept = buffers?.input, kept.count >= capacity {
        owned = kept
        buffers!.input = nil
      } else {
        owned = .allocate(byteCount: capacity, alignment: 64)
      }
      owned.copyBytes(from: prefix)
      buffer = owned
      input = UnsafeRawBufferPointer(owned)
      inputEnd = prefix.count
      if let buffers {
        let size = jobInputCapacity
        spareInputs = buffers.jobInputs.filter { $0.count == size }
        buffers.jobInputs.removeAll { $0.count == size }
      }
    case .mapped(let source):
      raw = source
      mapped = source
      buffer = nil
      input = UnsafeRawBufferPointer(start: source.file.base, count: source.file.count)
      inputEnd = input.count
      sourceEnded = true
    }
  }

  deinit {
    if ownsCrew { crew.finish() }  // its threads end after the jobs given
    // Jobs still in flight write into their chunks and read their buffers: wait for them.
    for job in jobs[jobsStart...] {
      job.done.wait()
      pool.give(job.chunk)
      if let spare = job.buffer { spareInputs.append(spare) }
    }
    if let buffers {
      buffers.jobInputs += spareInputs
      if let buffer {
        buffers.input?.deallocate()
        buffers.input = buffer
      }
    } else {
      for spare in spareInputs { spare.deallocate() }
      buffer?.deallocate()
    }
  }

  /// The next inflated chunk, in order, or `nil` when the BGZF members are over (then
  /// ``rest`` reads what follows).
  ///
  /// The chunk comes from the pool; its bytes are `storage[recordsStart..<filled]`, with
  /// ``reserve`` bytes or more free before them. The caller owns it from then on.
  ///
  /// - Throws: a data error when the file cannot be read (corrupt data is left to ``rest``).
  func nextChunk() throws(BCEError) -> ChunkBuffer? {
    while !over {
      while walkEnd == nil && jobs.count - jobsStart < inflaters.count {
        guard let job = try plan() else { break }
        dispatch(job)
      }
      guard jobsStart < jobs.count else {
        try handOver()
        return nil
      }
      let job = jobs[jobsStart]
      jobsStart += 1
      if jobsStart > 64 {
        jobs.removeFirst(jobsStart)
        jobsStart = 0
      }
      job.done.wait()
      let chunk = job.chunk!
      let good = job.failure ?? job.members.count
      let decoded = job.members[..<good].reduce(0) { $0 + $1.decodedSize }
      membersDone += good
      if let failure = job.failure {
        // The serial reader takes over at the failed member, and reports the error (or
        // reads what the header misdescribed).
        try handOver(at: (job, job.members[failure].offset))
      } else {
        mapped?.pass(offset(of: job) + job.inputCount)
      }
      if let spare = job.buffer { spareInputs.append(spare) }
      if decoded == 0 {
        pool.give(chunk)
        continue
      }
      chunk.recordsStart = reserve
      chunk.filled = reserve + decoded
      return chunk
    }
    return nil
  }

  /// Starts inflating `job` on a worker, into a chunk from the pool.
  private func dispatch(_ job: InflationJob) {
    let chunk = pool.take()
    chunk.reserveEmpty(capacity: reserve + job.members.reduce(0) { $0 + $1.decodedSize })
    job.chunk = chunk
    job.inflater = inflaters[jobCount % inflaters.count]
    jobCount += 1
    jobs.append(job)
    let reserve = reserve
    crew.run { job.run(reserve: reserve) }
  }

  /// Where `job`'s compressed bytes start in `input` (for a mapped file: in the file).
  private func offset(of job: InflationJob) -> Int {
    input.baseAddress!.distance(to: job.base)
  }

  /// Ends the parallel part: `rest` reads from `failed` on (a job and the offset in its
  /// bytes of the member that failed) or, without one, from the first byte not given to a
  /// job; that is, the rest of the failed job, then the bytes of the jobs still in flight,
  /// then the unread input and the rest of the file.
  private func handOver(at failed: (job: InflationJob, offset: Int)? = nil) throws(BCEError) {
    over = true
    var bytes: [UInt8] = []
    if let failed, mapped == nil {
      bytes += UnsafeRawBufferPointer(
        start: failed.job.base + failed.offset, count: failed.job.inputCount - failed.offset)
    }
    for job in jobs[jobsStart...] {
      job.done.wait()
      pool.give(job.chunk)
      if let spare = job.buffer {
        bytes += UnsafeRawBufferPointer(start: job.base, count: job.inputCount)
        spareInputs.append(spare)
      }
    }
    jobs.removeAll()
    jobsStart = 0
    if let mapped {
      // The same bytes, read in place: they follow each other in the file.
      let restart = failed.map { offset(of: $0.job) + $0.offset } ?? inputStart
      mapped.pass(restart)
      if walkEnd == .end && restart == input.count { return }  // a clean end
      mapped.seek(to: restart)
      rest = try GzipReader(
        resuming: mapped, name: name, backend: backend, membersBefore: membersDone)
      return
    }
    if walkEnd == .end && bytes.isEmpty { return }  // a clean end after the last member
    bytes += UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
    inputStart = inputEnd
    rest = try GzipReader(
      resuming: PrefixedSource(prefix: bytes, rest: raw), name: name, backend: backend,
      membersBefore: membersDone)
  }

  /// The next job: consecutive members of about ``jobCapacity`` decompressed bytes, copied
  /// out of the input (or left in place in a mapped file); `nil` when no member follows
  /// (then `walkEnd` says why).
  private func plan() throws(BCEError) -> InflationJob? {
    let job = InflationJob(
      buffer: mapped != nil
        ? nil : spareInputs.popLast() ?? .allocate(byteCount: jobInputCapacity, alignment: 64),
      inPlace: input.baseAddress! + inputStart)
    var decoded = 0
    while true {
      let available = inputEnd - inputStart
      if available == 0 && sourceEnded {
        walkEnd = .end
        break
      }
      let bytes = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
      var size = 0
      switch BGZFReader.scanHeader(bytes) {
      case .other:
        walkEnd = .serial
      case .incomplete:
        break
      case .bgzf(let memberSize):
        size = memberSize
      }
      if walkEnd != nil { break }
      guard size > 0 && size <= available else {
        // The member (or its header) continues past the bytes read so far.
        if sourceEnded {
          walkEnd = .serial  // a truncated member: the serial reader says so
          break
        }
        compact()
        try readMore()
        continue
      }
      let decodedSize = Int(
        UnsafeRawBufferPointer(rebasing: bytes[(size - 4)..<size])
          .loadUnaligned(as: UInt32.self).littleEndian)
      if decodedSize > BGZFReader.maxDecodedSize {
        walkEnd = .serial
        break
      }
      if !job.members.isEmpty
        && (decoded + decodedSize > jobCapacity || job.inputCount + size > jobInputCapacity)
      {
        break
      }
      if let copy = job.buffer {
        (copy.baseAddress! + job.inputCount).copyMemory(from: bytes.baseAddress!, byteCount: size)
      }
      job.members.append(Member(offset: job.inputCount, size: size, decodedSize: decodedSize))
      job.inputCount += size
      decoded += decodedSize
      inputStart += size
    }
    if job.members.isEmpty {
      if let spare = job.buffer { spareInputs.append(spare) }
      return nil
    }
    return job
  }

  /// Moves the unread input to the front of the buffer.
  private func compact() {
    guard inputStart > 0, let buffer else { return }
    let unread = inputEnd - inputStart
    if unread > 0 {
      buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + inputStart, byteCount: unread)
    }
    inputStart = 0
    inputEnd = unread
  }

  /// Reads up to `readSize` more bytes after the input.
  private func readMore() throws(BCEError) {
    let room = min(readSize, input.count - inputEnd)
    let n = try raw.read(
      into: UnsafeMutableRawBufferPointer(rebasing: buffer![inputEnd..<(inputEnd + room)]))
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

/// One job: consecutive BGZF members, their compressed bytes copied out (or in place in a
/// mapped file), inflated on a worker into one chunk.
///
/// Why `@unchecked Sendable` is sound: the reader's thread fills every field before
/// dispatching the job; then only the worker writes (the chunk's bytes and `failure`) until
/// it signals `done`, which orders its writes before the reader's reads after `wait()`. A
/// mapping's bytes are never written.
private final class InflationJob: @unchecked Sendable {
  /// The buffer the compressed bytes are copied into, or `nil` when they are read in place.
  let buffer: UnsafeMutableRawBufferPointer?
  /// The compressed bytes are `base[..<inputCount]`: in `buffer`, or in the mapped file.
  let base: UnsafeRawPointer
  var inputCount = 0
  var members: [BGZFReader.Member] = []
  var chunk: ChunkBuffer! = nil
  var inflater: (any MemberInflater)! = nil
  /// The index of the first member that did not inflate exactly as its header said, or
  /// `nil` when every member did.
  var failure: Int? = nil
  let done = DispatchSemaphore(value: 0)

  /// A job whose bytes are copied into `buffer`, or without one read in place from `inPlace`.
  init(buffer: UnsafeMutableRawBufferPointer?, inPlace: UnsafeRawPointer) {
    self.buffer = buffer
    base = buffer.map { UnsafeRawPointer($0.baseAddress!) } ?? inPlace
  }

  /// Inflates every member into `chunk`, from `reserve` on, and sets the chunk's
  /// ``ChunkBuffer/quoteFree``; signals `done`.
  func run(reserve: Int) {
    var out = reserve
    // Each member's bytes are looked at for a `"` right after they are inflated, while
    // they are still in this core's cache: a scan of the whole chunk by the reader (the
    // CSV record split's) read them again from memory, 1 % of the CPU of a BGZF file.
    var quoteFree = true
    for (index, member) in members.enumerated() {
      guard inflate(member, at: out) else {
        failure = index
        quoteFree = false
        break
      }
      if quoteFree {
        quoteFree =
          memchr(chunk.storage + out, Int32(UInt8(ascii: "\"")), member.decodedSize) == nil
      }
      out += member.decodedSize
    }
    chunk.quoteFree = quoteFree
    done.signal()
  }

  /// Inflates one member into `chunk` at `offset`.
  ///
  /// - Returns: whether the member inflated and checked, used exactly its `size` bytes and
  ///   gave exactly its `decodedSize` bytes.
  private func inflate(_ member: BGZFReader.Member, at offset: Int) -> Bool {
    // A member that says less than it holds may write past its decodedSize, into the room
    // of the members after it in the same chunk: it fails below either way.
    let counts = inflater.inflateWhole(
      UnsafeRawBufferPointer(start: base + member.offset, count: member.size),
      into: UnsafeMutableRawBufferPointer(
        start: chunk.storage + offset, count: chunk.capacity - offset))
    return counts?.consumed == member.size && counts?.produced == member.decodedSize
  }
}
