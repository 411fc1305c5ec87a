import BCEIO
import Dispatch
import Foundation

/// A single progress line on stderr, rewritten in place every quarter second and cleared
/// at the end: bytes read of the total (compressed bytes for gzip), MB/s, records, elapsed
/// time and an estimate of the time left; without a known total (standard input) a running
/// count only.
final class ProgressLine: @unchecked Sendable {
  // @unchecked: `timer` is touched only by `start` and `finish`, on the calling thread; the
  // timer's handler reads only `progress` (atomics) and immutable properties.
  private let progress: EvaluationProgress
  private let totalBytes: Int?
  private let started = ContinuousClock.now
  private var timer: DispatchSourceTimer?

  /// - Parameter totalBytes: the size of every input, when all are regular files.
  init(progress: EvaluationProgress, totalBytes: Int?) {
    self.progress = progress
    self.totalBytes = totalBytes
  }

  /// Draws the line now and then every 250 ms until `finish`.
  func start() {
    let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "bce.progress"))
    timer.schedule(deadline: .now(), repeating: .milliseconds(250))
    timer.setEventHandler { [self] in
      StandardStream.error.write("\r" + line() + "\u{1B}[K")
    }
    timer.resume()
    self.timer = timer
  }

  /// Stops updating and erases the line.
  func finish() {
    guard let timer else { return }
    // Wait for a handler that may be running, so that nothing is drawn after the erase.
    let done = DispatchSemaphore(value: 0)
    timer.setCancelHandler { done.signal() }
    timer.cancel()
    done.wait()
    self.timer = nil
    StandardStream.error.write("\r\u{1B}[K")
  }

  /// The text of the line, for the current counters.
  func line() -> String {
    let elapsed = started.duration(to: .now)
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let read = Double(progress.bytesRead)
    let rate = seconds > 0 ? read / seconds / 1e6 : 0
    var text = "bce: "
    if let totalBytes, totalBytes > 0 {
      let fraction = min(1, read / Double(totalBytes))
      text += String(
        format: "%.1f/%.1f MB (%.0f%%)", read / 1e6, Double(totalBytes) / 1e6, fraction * 100)
    } else {
      text += String(format: "%.1f MB", read / 1e6)
    }
    text += String(format: "  %.0f MB/s  ", rate) + ProgressLine.count(progress.records)
    text += " records  " + ProgressLine.clock(seconds) + " elapsed"
    if let totalBytes, totalBytes > 0, read > 0, read < Double(totalBytes) {
      let left = seconds * (Double(totalBytes) - read) / read
      text += "  " + ProgressLine.clock(left) + " left"
    }
    return text
  }

  /// 1234567 as 1.2M, 12345 as 12.3k.
  static func count(_ n: Int) -> String {
    if n >= 1_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
    if n >= 1_000 { return String(format: "%.1fk", Double(n) / 1e3) }
    return String(n)
  }

  /// Seconds as m:ss (or h:mm:ss).
  static func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
    return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
  }

  /// The total size of `paths` when every one is a regular file, else `nil`.
  static func totalSize(of paths: [String]) -> Int? {
    var total = 0
    for path in paths {
      guard path != "-",
        let attributes = try? FileManager.default.attributesOfItem(atPath: path),
        attributes[.type] as? FileAttributeType == .typeRegular,
        let size = attributes[.size] as? Int
      else { return nil }
      total += size
    }
    return total
  }
}
