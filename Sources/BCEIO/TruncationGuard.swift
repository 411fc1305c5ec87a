#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Turns the `SIGBUS` that a mapped input raises when its file shrinks mid-run into bce's
/// error line, naming the file (SPEC §6: `bce: error: FILE: ...`), and status 1.
///
/// Every ``MappedFile`` registers its address range with the message to print; the signal
/// handler finds the faulting address (`si_addr`) among them. It only reads a fixed table
/// and calls `write` and `_exit`, which are async-signal-safe. A `SIGBUS` from elsewhere
/// (or one sent with `kill`) gets the message without a file name.
public enum TruncationGuard {
  /// One registered mapping: its address range and its message (NUL-free bytes, owned).
  struct Slot {
    var start: UInt = 0
    var end: UInt = 0
    var message: UnsafeMutablePointer<UInt8>? = nil
    var length = 0
  }

  static let capacity = 64
  /// The table the handler reads. Written only by ``register(_:count:name:)`` and
  /// ``unregister(_:)``, under `lock`, before a mapping's first use and after its last.
  nonisolated(unsafe) static let slots: UnsafeMutablePointer<Slot> = {
    let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
    slots.initialize(repeating: Slot(), count: capacity)
    return slots
  }()
  nonisolated(unsafe) static var lock = pthread_mutex_t()

  static let unnamed: StaticString =
    "bce: error: an input file shrank while bce was reading it (SIGBUS)\n"

  /// The error line for a fault at `address`: the registered file's, or the unnamed one.
  static func message(for address: UInt) -> (UnsafePointer<UInt8>, Int) {
    for i in 0..<capacity {
      let slot = slots[i]
      if let message = slot.message, address >= slot.start, address < slot.end {
        return (UnsafePointer(message), slot.length)
      }
    }
    return (unnamed.utf8Start, unnamed.utf8CodeUnitCount)
  }

  /// Installs the `SIGBUS` handler (the command line does, at start).
  public static func install() {
    _ = slots  // initialized here, never in the handler
    var action = sigaction()
    action.sa_flags = SA_SIGINFO
    action.__sigaction_handler.sa_sigaction = { _, info, _ in
      var address: UInt = 0
      if let info, info.pointee.si_code > 0 {  // raised by the kernel, not sent by a process
        address = UInt(bitPattern: info.pointee._sifields._sigfault.si_addr)
      }
      let (text, length) = TruncationGuard.message(for: address)
      _ = write(2, text, length)
      _exit(1)
    }
    sigaction(SIGBUS, &action, nil)
  }

  /// Registers a mapping; returns its slot, or `nil` when the table is full (the mapping
  /// then faults with the unnamed message).
  static func register(_ base: UnsafeRawPointer, count: Int, name: String) -> Int? {
    let text = Array(
      "bce: error: \(name): the file shrank while bce was reading it (SIGBUS)\n".utf8)
    let message = UnsafeMutablePointer<UInt8>.allocate(capacity: text.count)
    message.initialize(from: text, count: text.count)
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    for i in 0..<capacity where slots[i].message == nil {
      let start = UInt(bitPattern: base)
      slots[i] = Slot(start: start, end: start + UInt(count), message: message, length: text.count)
      return i
    }
    message.deallocate()
    return nil
  }

  /// Forgets a mapping's slot (before it is unmapped).
  static func unregister(_ slot: Int) {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    let message = slots[slot].message
    slots[slot] = Slot()
    message?.deallocate()
  }
}
