import Foundation

/// Prints a line per stage (ran/cached/failed, seconds) on standard error; for long
/// stages a live bar on a terminal, or otherwise a plain line every 10 seconds once a
/// stage has run for 10; nothing when quiet.
public final class ProgressReporter: @unchecked Sendable {
    private let quiet: Bool
    private let terminal: Bool
    private let lock = NSLock()
    private var lastPlainLine: [String: Date] = [:]
    private var lastPercent: [String: Int] = [:]

    public init(quiet: Bool) {
        self.quiet = quiet
        terminal = isatty(STDERR_FILENO) != 0
    }

    private func write(_ text: String) {
        guard !quiet else { return }
        lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }

    func stageStarted(_ id: String) {
        lock.withLock { lastPlainLine[id] = Date() }
        if !terminal { write("run     \(id) ...\n") }
    }

    func progress(_ id: String, _ fraction: Double) {
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded())
        let changed = lock.withLock { () -> Bool in
            defer { lastPercent[id] = percent }
            return lastPercent[id] != percent
        }
        guard changed else { return }
        if terminal {
            let filled = percent / 5
            write("\r\(id) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 20 - filled))] \(percent)%")
        } else {
            let now = Date()
            let due = lock.withLock { () -> Bool in
                guard now.timeIntervalSince(lastPlainLine[id] ?? .distantPast) >= 10 else { return false }
                lastPlainLine[id] = now
                return true
            }
            if due { write("        \(id): \(percent)%\n") }
        }
    }

    func stageFinished(_ outcome: RunSummary.StageOutcome) {
        let clear = terminal ? "\r\u{1B}[K" : ""
        let detail = outcome.error.map { ": \($0)" } ?? ""
        write(clear + "\(outcome.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(outcome.id) (\(String(format: "%.2f", outcome.seconds)) s)\(detail)\n")
    }

    func warning(_ message: String) { write("warning: \(message)\n") }

    /// A line of its own (e.g. a scheduler's progress).
    public func note(_ message: String) { write(message + "\n") }
}
