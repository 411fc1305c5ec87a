#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One ``PredictionTally`` per prediction column for every distinct value of the group-by
/// column, found by the value's bytes.
///
/// The table is open addressing over an arena of key bytes, so finding the group of a record
/// allocates nothing unless the group is new. Memory per group: its key bytes, 36 bytes of
/// table and index, and one ``PredictionTally`` (304 bytes while its sums stay in their
/// window) per prediction column.
public struct GroupTallies: Sendable {
  /// Prediction columns per group.
  public let predictionColumns: Int
  /// The keys, one after another; group `g` is `keyBytes[keyStarts[g]..<keyStarts[g + 1]]`.
  private var keyBytes: [UInt8] = []
  private var keyStarts: [Int] = [0]
  private var hashes: [UInt64] = []
  /// Group `g`, column `k` is `tallies[g · predictionColumns + k]`.
  private(set) var tallies: [PredictionTally] = []
  /// Group index + 1 per slot, 0 for an empty slot; the count is a power of two.
  private var slots: [Int32] = Array(repeating: 0, count: 16)

  /// An empty table.
  public init(predictionColumns: Int) {
    self.predictionColumns = predictionColumns
  }

  /// The number of groups.
  public var count: Int { hashes.count }

  /// The index of the group whose key is `count` bytes at `start`, made if new.
  ///
  /// - Complexity: O(key length) expected.
  mutating func group(forKey start: UnsafePointer<UInt8>, count: Int) -> Int {
    let hash = GroupTallies.hash(start, count)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = Int(slots[slot])
      if entry == 0 { break }
      let g = entry - 1
      if hashes[g] == hash && keyEquals(g, start, count) { return g }
      slot = (slot + 1) & mask
    }
    let g = hashes.count
    hashes.append(hash)
    keyBytes.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
    keyStarts.append(keyBytes.count)
    tallies.append(contentsOf: repeatElement(PredictionTally(), count: predictionColumns))
    slots[slot] = Int32(g + 1)
    if hashes.count * 4 > slots.count * 3 { rehash() }
    return g
  }

  /// Adds every group of another table: the tallies of equal keys are merged.
  ///
  /// - Complexity: O(groups of `other` × their key length) expected.
  public mutating func merge(_ other: GroupTallies) {
    precondition(predictionColumns == other.predictionColumns, "tables of different shapes")
    for h in 0..<other.count {
      let g = other.withKey(h) { group(forKey: $0, count: $1) }
      for k in 0..<predictionColumns {
        tallies[g * predictionColumns + k].merge(other.tallies[h * predictionColumns + k])
      }
    }
  }

  /// Adds `tallies` (one per prediction column) to the group with key `key`, made if new.
  public mutating func merge(key: [UInt8], tallies: [PredictionTally]) {
    precondition(tallies.count == predictionColumns, "one tally per prediction column")
    var bytes = key
    bytes.append(0)  // a valid pointer for the empty key
    let g = bytes.withUnsafeBufferPointer { group(forKey: $0.baseAddress!, count: key.count) }
    for k in 0..<predictionColumns { self.tallies[g * predictionColumns + k].merge(tallies[k]) }
  }

  /// Adds one record's terms to column `column` of group `group`.
  mutating func add(
    group: Int, column: Int, weight: Double, label: Double, probability: Double, loss: Double,
    clipped: Bool
  ) {
    let i = group * predictionColumns + column
    tallies[i].add(weight: weight, label: label, probability: probability, loss: loss)
    if clipped { tallies[i].clipped += 1 }
  }

  /// Calls `body` with every group's tallies (group `g`, column `k` at
  /// `g · predictionColumns + k`); `body` must not add groups.
  mutating func withTallies<R>(_ body: (UnsafeMutableBufferPointer<PredictionTally>) -> R) -> R {
    tallies.withUnsafeMutableBufferPointer { body($0) }
  }

  /// The key of group `group`.
  public func key(_ group: Int) -> [UInt8] {
    Array(keyBytes[keyStarts[group]..<keyStarts[group + 1]])
  }

  /// The tally of column `column` in group `group`.
  public func tally(group: Int, column: Int) -> PredictionTally {
    tallies[group * predictionColumns + column]
  }

  /// The group indexes in ascending byte order of their keys.
  ///
  /// - Complexity: O(g log g) comparisons of keys.
  public func sortedGroups() -> [Int] {
    keyBytes.withUnsafeBufferPointer { bytes in
      (0..<count).sorted { a, b in
        let left = bytes[keyStarts[a]..<keyStarts[a + 1]]
        let right = bytes[keyStarts[b]..<keyStarts[b + 1]]
        return left.lexicographicallyPrecedes(right)
      }
    }
  }

  /// Calls `body` with the bytes of group `group`'s key (a valid pointer even when empty).
  func withKey<R>(_ group: Int, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    let from = keyStarts[group]
    let count = keyStarts[group + 1] - from
    return keyBytes.withUnsafeBufferPointer { bytes in
      guard let base = bytes.baseAddress else {
        var empty: UInt8 = 0
        return body(&empty, 0)
      }
      return body(base + from, count)
    }
  }

  private func keyEquals(_ g: Int, _ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let from = keyStarts[g]
    guard keyStarts[g + 1] - from == count else { return false }
    if count == 0 { return true }
    return keyBytes.withUnsafeBufferPointer { bytes in
      memcmp(bytes.baseAddress! + from, start, count) == 0
    }
  }

  private mutating func rehash() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for g in 0..<hashes.count {
      var slot = Int(truncatingIfNeeded: hashes[g]) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(g + 1)
    }
  }

  /// A 64-bit hash of a key: 8 bytes at a time, multiply and fold. The last 1–7 bytes are
  /// read as two overlapping 4-byte words, or as the first, middle and last byte, so every
  /// byte counts and no byte outside the key is read.
  @inline(__always)
  static func hash(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
    var i = 0
    let raw = UnsafeRawPointer(start)
    while i &+ 8 <= count {
      h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      i &+= 8
    }
    let rest = count &- i
    if rest >= 4 {
      let low = raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)
      let high = raw.loadUnaligned(fromByteOffset: i &+ rest &- 4, as: UInt32.self)
      h = mix(h ^ (UInt64(low) | UInt64(high) << 32))
    } else if rest > 0 {
      let word =
        UInt64(start[i]) | UInt64(start[i &+ rest &>> 1]) << 8 | UInt64(start[i &+ rest &- 1]) << 16
      h = mix(h ^ word)
    }
    return mix(h)
  }

  private static func mix(_ x: UInt64) -> UInt64 {
    let product = x.multipliedFullWidth(by: 0xBF58_476D_1CE4_E5B9)
    return product.high ^ product.low
  }
}

extension GroupTallies: Equatable {
  /// Two tables are equal when they have the same keys with equal tallies, in any order.
  public static func == (lhs: GroupTallies, rhs: GroupTallies) -> Bool {
    guard lhs.predictionColumns == rhs.predictionColumns, lhs.count == rhs.count else {
      return false
    }
    var rhs = rhs
    for g in 0..<lhs.count {
      let before = rhs.count
      let h = lhs.withKey(g) { rhs.group(forKey: $0, count: $1) }
      if rhs.count != before { return false }
      for k in 0..<lhs.predictionColumns
      where lhs.tally(group: g, column: k) != rhs.tally(group: h, column: k) {
        return false
      }
    }
    return true
  }
}
