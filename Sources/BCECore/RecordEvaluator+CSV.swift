extension RecordEvaluator {
  /// Splits CSV records (see ``CSVScanner`` for the grammar) and evaluates them.
  func evaluateCSV(
    _ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8,
    spans: UnsafeMutableBufferPointer<FieldSpan>, predictions: UnsafeMutableBufferPointer<Double>,
    tally: inout Tally, summary: inout ChunkSummary
  ) {
    let n = bytes.count
    let delimiterWord = CSVScanner.broadcast(delimiter)
    let fieldsNeeded = layout.fieldsNeeded
    var position = 0
    var lines = 0
    let roles = fastPlan?.roles ?? []
    var fastMisses = 0
    var recent = RecentGroups()
    roles.withUnsafeBufferPointer { roles in
      while position < n {
        if !roles.isEmpty && fastMisses < 8 {
          let next = evaluateCSVFast(
            bytes, from: position, roles: roles, delimiter: delimiter,
            delimiterWord: delimiterWord, predictions: predictions, recent: &recent,
            tally: &tally, lines: &lines)
          // A chunk whose records keep needing the general path stops trying the fast one.
          fastMisses = next == position ? fastMisses + 1 : 0
          position = next
          if position == n { break }
        }
        let recordLine = lines
        // Blank lines (LF or CRLF, or a lone CR at the very end) are skipped.
        let first = bytes[position]
        if first == CSVScanner.newline {
          position += 1
          lines += 1
          continue
        }
        if first == CSVScanner.carriageReturn {
          if position + 1 == n {
            position = n
            continue
          }
          if bytes[position + 1] == CSVScanner.newline {
            position += 2
            lines += 1
            continue
          }
        }

        // Split the leading fields that the layout needs.
        var problem: String? = nil
        var field = 0
        var p = position
        var recordEnded = false
        while field < fieldsNeeded {
          if bytes[p] == CSVScanner.quote {
            var q = p + 1
            var escaped = false
            var closed = false
            while q < n {
              let byte = bytes[q]
              if byte == CSVScanner.quote {
                if q + 1 < n && bytes[q + 1] == CSVScanner.quote {
                  escaped = true
                  q += 2
                  continue
                }
                closed = true
                break
              }
              if byte == CSVScanner.newline { lines += 1 }
              q += 1
            }
            if !closed {
              problem = "a quoted field is not closed before the end of the input"
              p = n
              recordEnded = true
              break
            }
            spans[field] = .text(p + 1, q, escapedQuotes: escaped)
            field += 1
            p = q + 1
            if p == n {
              recordEnded = true
              break
            }
            let next = bytes[p]
            if next == delimiter {
              p += 1
              if p == n {  // a trailing delimiter at the very end: one more, empty, field
                if field < fieldsNeeded {
                  spans[field] = .text(p, p)
                  field += 1
                }
                recordEnded = true
                break
              }
              continue
            }
            if next == CSVScanner.newline {
              p += 1
              lines += 1
              recordEnded = true
              break
            }
            if next == CSVScanner.carriageReturn
              && (p + 1 == n || bytes[p + 1] == CSVScanner.newline)
            {
              p = min(p + 2, n)
              if bytes[p - 1] == CSVScanner.newline { lines += 1 }
              recordEnded = true
              break
            }
            problem = "text after the closing quote of field \(field): \(excerpt(bytes, p, p + 1))"
            break
          }
          // Unquoted field: up to the delimiter, the line end or the end of the input.
          let q = CSVScanner.nextDelimiterOrNewline(bytes, from: p, delimiter: delimiterWord)
          if q == n {
            var end = q
            if end > p && bytes[end - 1] == CSVScanner.carriageReturn { end -= 1 }
            spans[field] = .text(p, end)
            field += 1
            p = n
            recordEnded = true
            break
          }
          if bytes[q] == CSVScanner.newline {
            var end = q
            if end > p && bytes[end - 1] == CSVScanner.carriageReturn { end -= 1 }
            spans[field] = .text(p, end)
            field += 1
            p = q + 1
            lines += 1
            recordEnded = true
            break
          }
          spans[field] = .text(p, q)
          field += 1
          p = q + 1
          if p == n {  // a trailing delimiter at the very end: one more, empty, field
            if field < fieldsNeeded {
              spans[field] = .text(p, p)
              field += 1
            }
            recordEnded = true
            break
          }
        }
        if !recordEnded {
          // Skip the fields after the last needed one (or the rest of a malformed record).
          p = CSVScanner.recordEnd(bytes, from: p, delimiter: delimiter, newlines: &lines)
        }
        position = p

        if problem == nil && field < fieldsNeeded {
          problem = tooFewFields(field)
        }
        guard
          finishRecord(
            bytes, spans: spans, predictions: predictions, problem: problem, line: recordLine,
            tally: &tally,
            summary: &summary)
        else { return }
      }
      summary.lines = lines
    }
  }
}
