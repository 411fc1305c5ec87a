import Testing

@testable import BCECore

private func group(_ table: inout GroupTallies, _ key: String) -> Int {
  var bytes = Array(key.utf8)
  bytes.append(0)  // a valid pointer for the empty key
  return bytes.withUnsafeBufferPointer { table.group(forKey: $0.baseAddress!, count: $0.count - 1) }
}

private func addOne(_ table: inout GroupTallies, _ key: String, loss: Double) {
  let g = group(&table, key)
  for k in 0..<table.predictionColumns {
    table.add(
      group: g, column: k, weight: 1, label: 1, probability: 0.5, loss: loss, clipped: false)
  }
}

@Suite struct GroupTalliesTests {
  @Test func findsTheSameGroupForTheSameBytes() {
    var table = GroupTallies(predictionColumns: 2)
    let a = group(&table, "ctr_v1")
    let b = group(&table, "ctr_v2")
    let empty = group(&table, "")
    #expect(a != b && b != empty && a != empty)
    #expect(group(&table, "ctr_v1") == a)
    #expect(group(&table, "") == empty)
    #expect(table.count == 3)
    #expect(table.key(a) == Array("ctr_v1".utf8))
    #expect(table.key(empty) == [])
  }

  @Test func keepsEveryKeyThroughRehashes() {
    var table = GroupTallies(predictionColumns: 1)
    // Keys of every length around the 8-byte hash step, and prefixes of each other.
    let keys = (0..<5000).map { "k\($0)" } + (0..<40).map { String(repeating: "x", count: $0) }
    var indexes: [String: Int] = [:]
    for key in keys { indexes[key] = group(&table, key) }
    #expect(table.count == Set(keys).count)
    for key in keys { #expect(group(&table, key) == indexes[key]) }
    #expect(table.count == Set(keys).count)
  }

  @Test func sortsGroupsByBytes() {
    var table = GroupTallies(predictionColumns: 1)
    // Byte order, not Unicode or numeric order: "B" < "a" < "é" and "10" < "9".
    for key in ["a", "é", "9", "10", "B", "", "a\u{0}", "ab"] { _ = group(&table, key) }
    let sorted = table.sortedGroups().map { String(decoding: table.key($0), as: UTF8.self) }
    #expect(sorted == ["", "10", "9", "B", "a", "a\u{0}", "ab", "é"])
  }

  @Test func mergeAddsTalliesOfEqualKeysAndEqualityIgnoresOrder() {
    var left = GroupTallies(predictionColumns: 2)
    var right = GroupTallies(predictionColumns: 2)
    var whole = GroupTallies(predictionColumns: 2)
    let records: [(String, Double)] = [("a", 0.5), ("b", 1), ("a", 2), ("c", 0.25), ("b", 3)]
    for (i, (key, loss)) in records.enumerated() {
      if i % 2 == 0 { addOne(&left, key, loss: loss) } else { addOne(&right, key, loss: loss) }
    }
    for (key, loss) in records.reversed() { addOne(&whole, key, loss: loss) }
    var merged = left
    merged.merge(right)
    #expect(merged == whole)
    var other = right
    other.merge(left)
    #expect(other == merged)
    let a = group(&merged, "a")
    #expect(merged.tally(group: a, column: 1).lossSum.value == 2.5)
    #expect(merged.tally(group: a, column: 0).count == 2)
    // A different key set or a different tally is not equal.
    addOne(&other, "d", loss: 1)
    #expect(other != merged)
    var changed = left
    addOne(&changed, "a", loss: 0)
    changed.merge(right)
    #expect(changed != merged)
  }

  @Test func overallTallyIsTheSumOfTheGroups() {
    var tally = Tally(predictionColumns: 1, grouped: true)
    for (key, loss) in [("x", 0.1), ("y", 0.2), ("x", 0.3)] {
      addOne(&tally.groups!, key, loss: loss)
    }
    let overall = tally.overall(column: 0)
    #expect(overall.count == 3)
    var expected = ExactSum()
    for loss in [0.1, 0.2, 0.3] { expected.add(loss) }
    #expect(overall.lossSum == expected)
  }
}
