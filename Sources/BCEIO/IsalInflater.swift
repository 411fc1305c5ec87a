#if ISAL
  import BCECore
  import CISAL

  /// Gzip members inflated with ISA-L's igzip (`isal_inflate` with `crc_flag = IGZIP_GZIP`,
  /// which parses the header and checks the CRC-32 and length in the trailer).
  final class IsalInflater: MemberInflater {
    private let name: String
    /// ISA-L's state holds its own buffers and pointers; it lives in a stable allocation.
    private let state: UnsafeMutablePointer<inflate_state>

    init(name: String) {
      self.name = name
      state = .allocate(capacity: 1)
      isal_inflate_init(state)
      state.pointee.crc_flag = UInt32(IGZIP_GZIP)
    }

    deinit { state.deallocate() }

    /// The corresponding C call is `isal_inflate`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
      throws(BCEError) -> InflateStep
    {
      state.pointee.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
      state.pointee.avail_in = UInt32(input.count)
      state.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
      state.pointee.avail_out = UInt32(output.count)
      let status = isal_inflate(state)
      let step = InflateStep(
        consumed: input.count - Int(state.pointee.avail_in),
        produced: output.count - Int(state.pointee.avail_out),
        memberEnded: state.pointee.block_state == ISAL_BLOCK_FINISH)
      state.pointee.next_in = nil
      state.pointee.next_out = nil
      guard status >= 0 else {
        throw BCEError(.data, place: name, "corrupt gzip data: \(IsalInflater.describe(status))")
      }
      return step
    }

    /// The corresponding C call is `isal_inflate_stateless` (gzip header, data and trailer in
    /// one call). The stateful `isal_inflate` decodes the first 64 KiB of every member into
    /// its own buffer and copies them out: for BGZF, whose members are at most 64 KiB, that
    /// is every byte.
    func inflateWhole(
      _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> (consumed: Int, produced: Int)? {
      state.pointee.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
      state.pointee.avail_in = UInt32(input.count)
      state.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
      state.pointee.avail_out = UInt32(output.count)
      state.pointee.crc_flag = UInt32(IGZIP_GZIP)
      let status = isal_inflate_stateless(state)
      let counts = (
        consumed: input.count - Int(state.pointee.avail_in),
        produced: output.count - Int(state.pointee.avail_out)
      )
      state.pointee.next_in = nil
      state.pointee.next_out = nil
      return status == ISAL_DECOMP_OK ? counts : nil
    }

    /// The corresponding C call is `isal_inflate_reset`.
    func reset() throws(BCEError) {
      isal_inflate_reset(state)
      state.pointee.crc_flag = UInt32(IGZIP_GZIP)
    }

    private static func describe(_ status: Int32) -> String {
      switch status {
      case ISAL_INCORRECT_CHECKSUM: return "CRC-32 or length mismatch (incorrect checksum)"
      case ISAL_INVALID_WRAPPER: return "invalid gzip header"
      case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method"
      case ISAL_INVALID_BLOCK: return "invalid deflate block"
      case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
      case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
      default: return "ISA-L status \(status)"
      }
    }
  }
#endif
