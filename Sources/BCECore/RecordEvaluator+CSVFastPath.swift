/// What one field of a CSV record is to the fast path (``CSVFastPlan``).
enum FastFieldRole: Equatable {
  /// A field before the last needed one that no role reads: only its end is looked for.
  case skip
  case label
  case prediction(Int)
  case weight
  case group
}

/// The roles of a record's leading fields, for evaluating the common shape of a CSV record
/// in one pass over its bytes.
///
/// The general path splits the needed fields into spans, then parses each span; the fast
/// path parses a number field while it looks for its end, and reads a `0`/`1` label without
/// a parser call. It takes only records whose needed fields are all unquoted and plainly
/// spelled, and leaves every other record — quotes, spaces, words such as `true` or `inf`,
/// too few fields, invalid values, blank lines — to the general path, untouched, so both
/// paths give the same tally and the same messages for every input.
struct CSVFastPlan: Sendable, Equatable {
  /// The role of field `i`, for every field up to the last needed one.
  let roles: [FastFieldRole]
  /// One prediction column, no weight, no group and no bins: the fast path then keeps its
  /// sums in locals (``UnitWeightedSums``).
  let unitWeighted: Bool
  /// One prediction column, no weight and no bins, with a group column: the fast path then
  /// adds each batch of records to their groups' tallies in a loop of its own.
  let groupedUnitWeighted: Bool
  /// The needed fields in order, for the layouts of ``unitWeighted`` and
  /// ``groupedUnitWeighted``.
  let steps: FastSteps?

  /// The plan for `layout` and `rules` with `delimiter`, or `nil` when only the general
  /// path can read such records: when labels are tokens, when a field has two roles
  /// (`-p s -w s`), or when the delimiter could be part of a number (`.`, a digit, …).
  init?(layout: ColumnLayout, rules: RecordRules, delimiter: UInt8) {
    guard case .numeric = rules.labels,
      !"0123456789.+-eE\"\r\n".utf8.contains(delimiter)
    else { return nil }
    var roles = Array(repeating: FastFieldRole.skip, count: layout.fieldsNeeded)
    func assign(_ field: Int, _ role: FastFieldRole) -> Bool {
      guard roles[field] == .skip else { return false }
      roles[field] = role
      return true
    }
    guard assign(layout.label, .label) else { return nil }
    for (k, field) in layout.predictions.enumerated() {
      guard assign(field, .prediction(k)) else { return nil }
    }
    if let weight = layout.weight, !assign(weight, .weight) { return nil }
    if let group = layout.group, !assign(group, .group) { return nil }
    self.roles = roles
    let plain = layout.predictions.count == 1 && layout.weight == nil && rules.binCount == 0
    unitWeighted = plain && layout.group == nil
    groupedUnitWeighted = plain && layout.group != nil
    steps = plain ? FastSteps(roles) : nil
  }
}

/// The needed fields of a record with one prediction column and no weight — the label, the
/// prediction and maybe the group: 2 or 3 fields — in the order they come, each with the
/// number of fields before it that no role reads. The fast path's reader for these layouts
/// (``RecordEvaluator/fastStepFields(_:at:steps:delimiter:delimiterWord:kernel:label:prediction:groupSpan:lines:)``)
/// skips such fields in a loop of their own and dispatches on a role 2 or 3 times per
/// record, where the reader for any layout dispatches on every field's role.
struct FastSteps: Sendable, Equatable {
  static let label: UInt8 = 1
  static let prediction: UInt8 = 2
  static let group: UInt8 = 3

  let count: Int
  let gap0: Int
  let role0: UInt8
  let gap1: Int
  let role1: UInt8
  let gap2: Int
  let role2: UInt8

  /// The steps of `roles`, which hold one label, one prediction, at most one group, and
  /// skipped fields.
  init(_ roles: [FastFieldRole]) {
    var gaps: [Int] = []
    var codes: [UInt8] = []
    var previous = -1
    for (field, role) in roles.enumerated() {
      let code: UInt8
      switch role {
      case .skip: continue
      case .label: code = FastSteps.label
      case .prediction: code = FastSteps.prediction
      case .group: code = FastSteps.group
      case .weight: preconditionFailure("no weight in a layout with steps")
      }
      gaps.append(field - previous - 1)
      codes.append(code)
      previous = field
    }
    precondition((2...3).contains(codes.count))
    count = codes.count
    gap0 = gaps[0]
    role0 = codes[0]
    gap1 = gaps[1]
    role1 = codes[1]
    gap2 = count == 3 ? gaps[2] : 0
    role2 = count == 3 ? codes[2] : 0
  }
}

/// The sums of the records that the fast path takes for the plainest layout — one
/// prediction column, no weight, no group, no bins — kept in locals and folded into the
/// tally once per run of records (``PredictionTally/addUnitWeighted(_:)``).
struct UnitWeightedSums {
  var records = 0
  var positives = 0
  var clipped = 0
  /// Σ y over labels other than 0 and 1.
  var softLabels = ExactSum()
  /// The losses and probabilities: complete only after ``flush()``.
  var loss = ExactSum()
  var probability = ExactSum()
  private var fixedLoss = FixedPointSum()
  private var fixedProbability = FixedPointSum()

  /// Adds one record's terms (but not its label).
  @inline(__always)
  mutating func add(_ terms: (loss: Double, probability: Double, clipped: Bool)) {
    clipped &+= terms.clipped ? 1 : 0
    fixedLoss.add(terms.loss, spillingInto: &loss)
    fixedProbability.add(terms.probability, spillingInto: &probability)
  }

  /// Moves the fixed-point sums into ``loss`` and ``probability``.
  mutating func flush() {
    fixedLoss.flush(into: &loss)
    fixedProbability.flush(into: &probability)
  }
}

extension RecordEvaluator {
  /// Evaluates records from `position` on the fast path (see ``CSVFastPlan``) for as long
  /// as they have the common shape, adding their terms to `tally`.
  ///
  /// - Parameter recent: the group keys looked up so far in this chunk (the caller keeps
  ///   it across calls: a chunk that mixes fast and general records calls this often).
  /// - Returns: the position of the first record the fast path did not take (`bytes.count`
  ///   when it took them all); that record is left to the general path.
  func evaluateCSVFast(
    _ bytes: UnsafeBufferPointer<UInt8>, from position: Int,
    roles: UnsafeBufferPointer<FastFieldRole>, delimiter: UInt8, delimiterWord: UInt64,
    predictions: UnsafeMutableBufferPointer<Double>, recent: inout RecentGroups,
    tally: inout Tally, lines: inout Int
  ) -> Int {
    let n = bytes.count
    var p = position
    var label = 0.0
    var weight = 1.0
    var groupSpan = FieldSpan.text(0, 0)
    if fastPlan!.unitWeighted {
      // The plainest layout: a loop of its own (see `evaluateUnitWeighted`), specialized for
      // the clamp rule of the default preset.
      if let kernel = rules.formula.clampKernel {
        return evaluateUnitWeighted(
          bytes, from: p, delimiter: delimiter, delimiterWord: delimiterWord, kernel: kernel,
          tally: &tally, lines: &lines)
      }
      return evaluateUnitWeighted(
        bytes, from: p, delimiter: delimiter, delimiterWord: delimiterWord,
        kernel: rules.formula, tally: &tally, lines: &lines)
    }
    if fastPlan!.groupedUnitWeighted {
      if let kernel = rules.formula.clampKernel {
        return evaluateGroupedUnitWeighted(
          bytes, from: p, delimiter: delimiter, delimiterWord: delimiterWord, kernel: kernel,
          recent: &recent, tally: &tally, lines: &lines)
      }
      return evaluateGroupedUnitWeighted(
        bytes, from: p, delimiter: delimiter, delimiterWord: delimiterWord,
        kernel: rules.formula, recent: &recent, tally: &tally, lines: &lines)
    }
    while p < n,
      let next = fastCSVFields(
        bytes, at: p, roles: roles, delimiter: delimiter, delimiterWord: delimiterWord,
        predictions: predictions, kernel: rules.formula, label: &label, weight: &weight,
        groupSpan: &groupSpan, lines: &lines)
    {
      p = next
      var group = -1
      if layout.group != nil {
        // A text field always has a group: found or added.
        group = findGroup(bytes, groupSpan, in: &tally.groups!)!
      }
      addTerms(label: label, weight: weight, group: group, predictions: predictions, to: &tally)
      tally.records &+= 1
    }
    return p
  }

  /// ``evaluateCSVFast(_:from:roles:delimiter:delimiterWord:predictions:recent:tally:lines:)`` for
  /// the plainest layout: one prediction, every weight 1, sums in locals
  /// (``UnitWeightedSums``) folded into the tally once per run of records.
  ///
  /// A loop of its own, not a branch in the general loop: one loop with the branch measured
  /// 3 % more CPU on the 20M-row bench file (`--threads 1`, 3 runs each). A function of its
  /// own too, not inlined into `evaluateCSV`: at commit 093a1da `scripts/instructions.sh`
  /// counted 442.6 instructions per record against 457.4 inlined (and 520.4 against 527.0
  /// with `-g model`, whose loop stays inlined: on its own it took 564.9, and 566.5 written
  /// without the `readFastBatch` closure, no faster in time).
  @inline(never)
  func evaluateUnitWeighted<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, from position: Int, delimiter: UInt8,
    delimiterWord: UInt64, kernel: Kernel, tally: inout Tally, lines: inout Int
  ) -> Int {
    var p = position
    var sums = UnitWeightedSums()
    // Two passes per batch of records: read the fields of up to `batch` records, then add
    // their terms. A record's critical path — scan, parse, logarithm, sum — is longer than
    // the processor's reorder window reaches, so in one pass the logarithm of one record can
    // hardly overlap with the next; the second pass is short enough that several logarithms
    // run at once. The first pass also sorts the predictions by label, without a branch, so
    // that the second never guesses between `log` and `log1p` (labels are coin flips to the
    // branch predictor); the sums are exact, so the order of the terms does not matter.
    let batch = 64
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * batch) { buffer in
      let positives = buffer.baseAddress!
      let negatives = positives + batch
      let softLabels = negatives + batch
      let softValues = softLabels + batch
      var more = true
      while more {
        var positiveCount = 0
        var negativeCount = 0
        var softCount = 0
        let count = readFastBatch(
          bytes, from: &p, upTo: batch, delimiter: delimiter, delimiterWord: delimiterWord,
          kernel: kernel, more: &more, lines: &lines
        ) { _, label, value, _ in
          // 0 exactly for the labels 0 and 1 (1 − label is exact near 1): one compare,
          // where `label == 0 || label == 1` branches on the label.
          if label * (1 - label) == 0 {
            // Written to both; only one count moves.
            positives[positiveCount] = value
            negatives[negativeCount] = value
            let one = label == 1 ? 1 : 0
            positiveCount &+= one
            negativeCount &+= 1 &- one
          } else {
            softLabels[softCount] = label
            softValues[softCount] = value
            softCount &+= 1
          }
        }
        for i in 0..<positiveCount {
          sums.add(kernel.terms(label: 1, prediction: positives[i]))
        }
        for i in 0..<negativeCount {
          sums.add(kernel.terms(label: 0, prediction: negatives[i]))
        }
        for i in 0..<softCount {
          sums.add(kernel.terms(label: softLabels[i], prediction: softValues[i]))
          sums.softLabels.add(softLabels[i])
        }
        sums.records &+= count
        sums.positives &+= positiveCount
      }
    }
    if sums.records > 0 {
      sums.flush()
      tally.records &+= sums.records
      tally.predictions[0].addUnitWeighted(sums)
    }
    return p
  }

  /// ``evaluateCSVFast(_:from:roles:delimiter:delimiterWord:predictions:recent:tally:lines:)`` for
  /// one prediction, every weight 1, and a group column: in batches, like
  /// ``evaluateUnitWeighted(_:from:delimiter:delimiterWord:kernel:tally:lines:)``.
  /// The first pass reads each record, finds its group (``RecentGroups`` first, then the
  /// table) and sorts it by label; the second adds the terms to the groups' tallies.
  @inline(__always)
  func evaluateGroupedUnitWeighted<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, from position: Int, delimiter: UInt8,
    delimiterWord: UInt64, kernel: Kernel, recent: inout RecentGroups, tally: inout Tally,
    lines: inout Int
  ) -> Int {
    let n = bytes.count
    let base = bytes.baseAddress!
    var p = position
    let batch = 64
    // With at most `slotCount` groups in the table, group g's records are summed in
    // `sums[g]` as the ungrouped loop sums its records (``UnitWeightedSums``), and folded
    // into its tally at the end; with more, each record goes to its group's tally at once.
    let slotCount = 16
    withUnsafeTemporaryAllocation(of: UnitWeightedSums.self, capacity: slotCount) { sums in
      sums.initialize(repeating: UnitWeightedSums())
      defer { sums.deinitialize() }
      var slotsUsed = 0
      // The first pass sorts the records by label, without a branch, as the ungrouped loop
      // does: predictions and groups of positives, of negatives, and of soft labels.
      withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * batch) { doubles in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * batch) { ints in
          let positives = doubles.baseAddress!
          let negatives = positives + batch
          let softLabels = negatives + batch
          let softValues = softLabels + batch
          let positiveGroups = ints.baseAddress!
          let negativeGroups = positiveGroups + batch
          let softGroups = negativeGroups + batch
          var more = true
          while more {
            var positiveCount = 0
            var negativeCount = 0
            var softCount = 0
            let count = readFastBatch(
              bytes, from: &p, upTo: batch, delimiter: delimiter, delimiterWord: delimiterWord,
              kernel: kernel, more: &more, lines: &lines
            ) { _, label, value, groupSpan in
              // The fast path takes no quoted field, so the key is the field's bytes as they
              // are.
              let g = recent.group(
                base + groupSpan.start, count: groupSpan.count, readable: n &- groupSpan.start,
                in: &tally.groups!)
              if label * (1 - label) == 0 {  // 0 or 1: written to both, one count moves
                positives[positiveCount] = value
                positiveGroups[positiveCount] = g
                negatives[negativeCount] = value
                negativeGroups[negativeCount] = g
                let one = label == 1 ? 1 : 0
                positiveCount &+= one
                negativeCount &+= 1 &- one
              } else {
                softLabels[softCount] = label
                softValues[softCount] = value
                softGroups[softCount] = g
                softCount &+= 1
              }
            }
            tally.records &+= count
            if tally.groups!.count <= slotCount {
              slotsUsed = tally.groups!.count
              for i in 0..<positiveCount {
                let g = positiveGroups[i]
                sums[g].add(kernel.terms(label: 1, prediction: positives[i]))
                sums[g].records &+= 1
                sums[g].positives &+= 1
              }
              for i in 0..<negativeCount {
                let g = negativeGroups[i]
                sums[g].add(kernel.terms(label: 0, prediction: negatives[i]))
                sums[g].records &+= 1
              }
              for i in 0..<softCount {
                let g = softGroups[i]
                sums[g].add(kernel.terms(label: softLabels[i], prediction: softValues[i]))
                sums[g].records &+= 1
                sums[g].softLabels.add(softLabels[i])
              }
            } else {
              tally.groups!.withTallies { tallies in
                for i in 0..<positiveCount {
                  addGroupedTerms(
                    kernel.terms(label: 1, prediction: positives[i]), label: 1,
                    to: &tallies[positiveGroups[i]])
                }
                for i in 0..<negativeCount {
                  addGroupedTerms(
                    kernel.terms(label: 0, prediction: negatives[i]), label: 0,
                    to: &tallies[negativeGroups[i]])
                }
                for i in 0..<softCount {
                  addGroupedTerms(
                    kernel.terms(label: softLabels[i], prediction: softValues[i]),
                    label: softLabels[i], to: &tallies[softGroups[i]])
                }
              }
            }
          }
        }
      }
      if slotsUsed > 0 {
        tally.groups!.withTallies { tallies in
          for g in 0..<slotsUsed where sums[g].records > 0 {
            sums[g].flush()
            tallies[g].addUnitWeighted(sums[g])
          }
        }
      }
    }
    return p
  }

  /// Adds one record's terms and label to its group's tally.
  @inline(__always)
  func addGroupedTerms(
    _ terms: (loss: Double, probability: Double, clipped: Bool), label: Double,
    to tally: inout PredictionTally
  ) {
    tally.addUnitWeight(label: label, probability: terms.probability, loss: terms.loss)
    tally.clipped &+= terms.clipped ? 1 : 0
  }

  /// Reads up to `batch` records from `position` on the fast path, in the layouts with one
  /// prediction column and no weight, and calls `record` with each one's index in the batch,
  /// label, prediction and group field.
  ///
  /// - Parameter more: set to `false` when the fast path stopped before `batch` records (at
  ///   the end of the bytes, or at a record it leaves to the general path).
  /// - Returns: the number of records read; `position` is moved past them.
  @inline(__always)
  func readFastBatch<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, from position: inout Int, upTo batch: Int,
    delimiter: UInt8, delimiterWord: UInt64, kernel: Kernel, more: inout Bool,
    lines: inout Int, _ record: (Int, Double, Double, FieldSpan) -> Void
  ) -> Int {
    let steps = fastPlan!.steps!
    var label = 0.0
    var prediction = 0.0
    var groupSpan = FieldSpan.text(0, 0)
    var count = 0
    while count < batch {
      guard position < bytes.count,
        let next = fastStepFields(
          bytes, at: position, steps: steps, delimiter: delimiter, delimiterWord: delimiterWord,
          kernel: kernel, label: &label, prediction: &prediction, groupSpan: &groupSpan,
          lines: &lines)
      else {
        more = false
        break
      }
      position = next
      record(count, label, prediction, groupSpan)
      count &+= 1
    }
    return count
  }

  /// ``fastCSVFields(_:at:roles:delimiter:delimiterWord:predictions:kernel:label:weight:groupSpan:lines:)``
  /// for the layouts with one prediction column and no weight, by ``FastSteps``: the same
  /// records, values and line counts.
  ///
  /// Its label and prediction cases (in ``fastStep(_:from:gap:role:last:delimiter:delimiterWord:kernel:label:prediction:groupSpan:lines:)``)
  /// repeat those of `fastCSVFields` on purpose: shared through helpers that return an
  /// optional value and end, both readers took about 6 % more time on the bench's plain
  /// file, with and without `-g model` (by hand, 11 interleaved runs, 2026-12-06). The test
  /// `theStepReaderReadsEveryRecordAsTheFieldReaderDoes` keeps the two the same; the record's
  /// end after its last field is shared (``fastRecordEnd(_:after:delimiter:lines:)``).
  @inline(__always)
  func fastStepFields<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: Int, steps: FastSteps, delimiter: UInt8,
    delimiterWord: UInt64, kernel: Kernel, label: inout Double, prediction: inout Double,
    groupSpan: inout FieldSpan, lines: inout Int
  ) -> Int? {
    var p = position
    let first = fastStep(
      bytes, from: &p, gap: steps.gap0, role: steps.role0, last: steps.count == 1,
      delimiter: delimiter, delimiterWord: delimiterWord, kernel: kernel, label: &label,
      prediction: &prediction, groupSpan: &groupSpan, lines: &lines)
    guard first == 0 else { return nil }
    let second = fastStep(
      bytes, from: &p, gap: steps.gap1, role: steps.role1, last: steps.count == 2,
      delimiter: delimiter, delimiterWord: delimiterWord, kernel: kernel, label: &label,
      prediction: &prediction, groupSpan: &groupSpan, lines: &lines)
    if steps.count == 2 { return second > 0 ? second : nil }
    guard second == 0 else { return nil }
    let third = fastStep(
      bytes, from: &p, gap: steps.gap2, role: steps.role2, last: true, delimiter: delimiter,
      delimiterWord: delimiterWord, kernel: kernel, label: &label, prediction: &prediction,
      groupSpan: &groupSpan, lines: &lines)
    return third > 0 ? third : nil
  }

  /// One step of ``fastStepFields(_:at:steps:delimiter:delimiterWord:kernel:label:prediction:groupSpan:lines:)``:
  /// skips `gap` fields from `p`, then reads the next field in its `role`.
  ///
  /// - Parameter last: it is the record's last needed field.
  /// - Returns: −1 when the record needs the general path (`lines` unchanged); otherwise,
  ///   for the last field, the position after the record (after its line end, or the end of
  ///   the bytes), and for another, 0 with `p` at the next field.
  @inline(__always)
  func fastStep<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, from p: inout Int, gap: Int, role: UInt8, last: Bool,
    delimiter: UInt8, delimiterWord: UInt64, kernel: Kernel, label: inout Double,
    prediction: inout Double, groupSpan: inout FieldSpan, lines: inout Int
  ) -> Int {
    let n = bytes.count
    let base = bytes.baseAddress!
    // p < n here, and after each skipped field: the record's first byte, or the byte after
    // a delimiter that is not the buffer's last.
    var skips = gap
    while skips > 0 {
      if bytes[p] == CSVScanner.quote { return -1 }
      let q = CSVScanner.nextDelimiterOrNewline(bytes, from: p, delimiter: delimiterWord)
      guard q < n && bytes[q] == delimiter else { return -1 }
      p = q &+ 1
      if p == n { return -1 }  // a trailing delimiter at the very end
      skips &-= 1
    }
    var q: Int
    switch role {
    case FastSteps.label:
      let byte = bytes[p]
      // `byte | 1 == "1"`: '0' or '1', in one compare.
      if byte | 1 == UInt8(ascii: "1")
        && (p &+ 1 == n || bytes[p &+ 1] == delimiter || bytes[p &+ 1] == CSVScanner.newline
          || bytes[p &+ 1] == CSVScanner.carriageReturn)
      {
        // The value without a branch: labels are coin flips to the branch predictor.
        label = Double(byte & 1)
        q = p &+ 1
      } else {
        guard let (value, count) = DecimalParser.parsePrefix(base + p, limit: n &- p),
          value >= 0 && value <= 1
        else { return -1 }
        label = value
        q = p &+ count
      }
    case FastSteps.prediction:
      var parsed: (value: Double, count: Int)? = nil
      if n &- p >= DecimalParser.zeroPointFractionReach
        && UnsafeRawPointer(base + p).loadUnaligned(as: UInt16.self) == 0x2E30  // "0."
      {
        parsed = DecimalParser.parseZeroPointFraction(base + p)
      }
      if parsed == nil { parsed = DecimalParser.parsePrefix(base + p, limit: n &- p) }
      guard let (value, count) = parsed, kernel.accepts(prediction: value) else { return -1 }
      prediction = value
      q = p &+ count
    default:  // the group
      if bytes[p] == CSVScanner.quote { return -1 }
      q = CSVScanner.nextDelimiterOrNewline(bytes, from: p, delimiter: delimiterWord)
      // As the general path: a CR before the line end (or the input's end) is not part of
      // the field. (Only the last field can end there: any other must end at a delimiter.)
      var end = q
      if last && end > p && (q == n || bytes[q] == CSVScanner.newline)
        && bytes[end &- 1] == CSVScanner.carriageReturn
      {
        end &-= 1
      }
      groupSpan = .text(p, end)
    }
    if !last {
      guard q < n && bytes[q] == delimiter else { return -1 }
      p = q &+ 1
      return p == n ? -1 : 0  // a trailing delimiter at the very end
    }
    return fastRecordEnd(bytes, after: q, delimiter: delimiter, lines: &lines) ?? -1
  }

  /// Reads the needed fields of the record at `position` on the fast path: its label, its
  /// weight (1 without a weight column), its group field and each prediction.
  ///
  /// - Returns: the position after the record (after its line end), or `nil` when the
  ///   record needs the general path; then `lines` is unchanged.
  @inline(__always)
  func fastCSVFields<Kernel: FastLossKernel>(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: Int,
    roles: UnsafeBufferPointer<FastFieldRole>,
    delimiter: UInt8, delimiterWord: UInt64, predictions: UnsafeMutableBufferPointer<Double>,
    kernel: Kernel, label: inout Double, weight: inout Double, groupSpan: inout FieldSpan,
    lines: inout Int
  ) -> Int? {
    let n = bytes.count
    let base = bytes.baseAddress!
    var p = position
    let last = roles.count &- 1
    for f in 0...last {
      // p < n here: the record's first byte, or the byte after a delimiter that is not the
      // buffer's last.
      var q: Int
      switch roles[f] {
      case .skip, .group:
        if bytes[p] == CSVScanner.quote { return nil }
        q = CSVScanner.nextDelimiterOrNewline(bytes, from: p, delimiter: delimiterWord)
        if roles[f] == .group {
          // As the general path: a CR before the line end (or the input's end) is not
          // part of the field.
          var end = q
          if end > p && (q == n || bytes[q] == CSVScanner.newline)
            && bytes[end &- 1] == CSVScanner.carriageReturn
          {
            end &-= 1
          }
          groupSpan = .text(p, end)
        }
      case .label:
        let byte = bytes[p]
        // `byte | 1 == "1"`: '0' or '1', in one compare.
        if byte | 1 == UInt8(ascii: "1")
          && (p &+ 1 == n || bytes[p &+ 1] == delimiter || bytes[p &+ 1] == CSVScanner.newline
            || bytes[p &+ 1] == CSVScanner.carriageReturn)
        {
          // '0' or '1' alone; whether what follows ends the record is checked below. The
          // value without a branch: labels are coin flips to the branch predictor.
          label = Double(byte & 1)
          q = p &+ 1
        } else {
          guard let (value, count) = DecimalParser.parsePrefix(base + p, limit: n &- p),
            value >= 0 && value <= 1
          else { return nil }
          label = value
          q = p &+ count
        }
      case .prediction(let k):
        // A probability spelled `0.…` first, without the general scan's loops.
        var parsed: (value: Double, count: Int)? = nil
        if n &- p >= DecimalParser.zeroPointFractionReach
          && UnsafeRawPointer(base + p).loadUnaligned(as: UInt16.self) == 0x2E30  // "0."
        {
          parsed = DecimalParser.parseZeroPointFraction(base + p)
        }
        if parsed == nil { parsed = DecimalParser.parsePrefix(base + p, limit: n &- p) }
        guard let (value, count) = parsed, kernel.accepts(prediction: value)
        else { return nil }
        predictions[k] = value
        q = p &+ count
      case .weight:
        guard let (value, count) = DecimalParser.parsePrefix(base + p, limit: n &- p),
          value.isFinite && value >= 0
        else { return nil }
        weight = value
        q = p &+ count
      }
      if f < last {
        guard q < n && bytes[q] == delimiter else { return nil }
        p = q &+ 1
        if p == n { return nil }  // a trailing delimiter at the very end
        continue
      }
      return fastRecordEnd(bytes, after: q, delimiter: delimiter, lines: &lines)
    }
    return nil  // not reached: the loop returns at its last field
  }

  /// Where the record ends after its last needed field, which ends at `q`, for both
  /// readers: that end must be the record's end, or a delimiter before fields that no role
  /// reads. The position after the record (after its line end, counted in `lines`), or
  /// `nil` for the general path (`lines` unchanged).
  @inline(__always)
  func fastRecordEnd(
    _ bytes: UnsafeBufferPointer<UInt8>, after q: Int, delimiter: UInt8, lines: inout Int
  ) -> Int? {
    let n = bytes.count
    if q == n { return n }
    let byte = bytes[q]
    if byte == CSVScanner.newline {
      lines &+= 1
      return q &+ 1
    }
    if byte == CSVScanner.carriageReturn && q &+ 1 < n && bytes[q &+ 1] == CSVScanner.newline {
      lines &+= 1
      return q &+ 2
    }
    if byte == delimiter && q &+ 1 < n {
      return CSVScanner.recordEnd(bytes, from: q &+ 1, delimiter: delimiter, newlines: &lines)
    }
    return nil
  }
}

/// Group keys of up to 16 bytes that a chunk looked up, with their groups, in a
/// direct-mapped cache of 64 entries: a log with a few groups (models, days, countries)
/// finds nearly every record's group here, with a hash of two words and one compare instead
/// of a lookup in ``GroupTallies``.
///
/// Direct-mapped, not a list of the last few keys searched in order: with several groups in
/// random order, where such a search stops is a guess that the branch predictor mostly
/// loses, and here the only branch is "found", which is nearly always taken.
struct RecentGroups {
  /// Entry `i`: the key's first and second 8 bytes (zero-padded), its length, its group;
  /// a length of −1 marks an empty entry.
  private var low = InlineArray<64, UInt64>(repeating: 0)
  private var high = InlineArray<64, UInt64>(repeating: 0)
  private var lengths = InlineArray<64, Int>(repeating: -1)
  private var groups = InlineArray<64, Int>(repeating: 0)

  /// The group of the `count`-byte key at `start`, of which `readable` bytes may be read.
  @inline(__always)
  mutating func group(
    _ start: UnsafePointer<UInt8>, count: Int, readable: Int, in table: inout GroupTallies
  ) -> Int {
    let raw = UnsafeRawPointer(start)
    if count <= 8 && readable >= 8 {
      // A short key (model names, countries, days): one word, hashed and compared alone,
      // its bytes shifted to the top (a longer key cannot match its length). The empty key
      // keeps the 8 bytes after it (a shift by 64 is one by 0): its entry then matches only
      // when they are the same, which costs a table lookup, never a wrong group.
      let a = raw.loadUnaligned(as: UInt64.self) &<< UInt64(64 &- 8 &* count)
      let i = Int(truncatingIfNeeded: ((a ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15) &>> 58)
      if lengths[i] == count && low[i] == a { return groups[i] }
      let g = table.group(forKey: start, count: count)
      low[i] = a
      high[i] = 0
      lengths[i] = count
      groups[i] = g
      return g
    }
    guard count <= 16 && readable >= 16 else { return table.group(forKey: start, count: count) }
    // The key's bytes, and zeros past its end.
    let lowMask: UInt64 = count >= 8 ? ~0 : (1 &<< UInt64(8 &* count)) &- 1
    let highMask: UInt64 =
      count >= 16 ? ~0 : count <= 8 ? 0 : (1 &<< UInt64(8 &* (count &- 8))) &- 1
    let a = raw.loadUnaligned(as: UInt64.self) & lowMask
    let b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & highMask
    // Multiplicative hashing: the top 6 bits of a product mix every bit of the key.
    let hash = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(count)
    let i = Int(truncatingIfNeeded: (hash &* 0x1656_67B1_9E37_79F9) &>> 58)
    if lengths[i] == count && low[i] == a && high[i] == b { return groups[i] }
    let g = table.group(forKey: start, count: count)
    low[i] = a
    high[i] = b
    lengths[i] = count
    groups[i] = g
    return g
  }
}
