import Foundation
import TensorCore

/// Where a run's progress goes: events (a stage started, advanced, finished; a warning)
/// on standard error, as lines for people or as JSON lines for programs.
///
/// Lines: one per finished stage with the count done, the time so far and an estimate
/// of what remains (`ran     gen@model=vae (3.21 s)  [23/92, 1:02 elapsed, ~3:40 left]`):
/// each stage's cost estimate (`CostEstimate`, from its rows, columns and model) corrected by
/// how the finished stages of its type compared with theirs, or else the mean time of its type
/// so far; a warning, once, when more than ten minutes seem left, naming the stage type that
/// dominates and why;
/// for long stages a live bar on a terminal, or otherwise a plain line every 10 seconds
/// once a stage has run for 10. Stages skipped because an input failed are named at the
/// end in pipeline order, together when there are more than a few. JSON lines: one object per event,
/// `{"event": "stage_finished", "stage", "status", "seconds", "done", "total",
/// "elapsed", "remaining_estimate", "error"}`, `{"event": "progress", "stage",
/// "fraction"}` (at most once a second per stage), `{"event": "warning", "message"}`.
public final class ProgressReporter: @unchecked Sendable {
    public enum Style: Sendable { case quiet, lines, json }

    /// Skipped stages named one per line up to this many; beyond, in one summary line.
    static let skippedLinesShown = 5
    private let style: Style
    private let terminal: Bool
    private let lock = NSLock()
    /// Held through each finished stage's count and line, so lines come in count order.
    private let finishing = NSLock()
    private var lastPlainLine: [String: Date] = [:]
    private var lastPercent: [String: Int] = [:]
    private var started = Date()
    private var total = 0
    private var done = 0
    private var skipped: [RunSummary.StageOutcome] = []
    private var order: [String] = []
    /// Each stage's type, and the seconds of the stages of each type that ran.
    private var types: [String: String] = [:]
    private var secondsByType: [String: [Double]] = [:]
    private var unfinished: Set<String> = []
    /// The latest cost estimate of each stage (one core's seconds), and per type the
    /// estimated and actual seconds of the stages that ran with one.
    private var estimates: [String: StageEstimate] = [:]
    private var measuredByType: [String: (estimated: Double, actual: Double)] = [:]
    /// What this run was told when it looked long (said once).
    private(set) var longRunMessage: String?
    /// Time left beyond which a run is said to look long, with what dominates it.
    static let longRun: TimeInterval = 600

    public init(style: Style) {
        self.style = style
        terminal = style == .lines && isatty(STDERR_FILENO) != 0
    }

    /// Lines, or nothing when `quiet`.
    public convenience init(quiet: Bool) { self.init(style: quiet ? .quiet : .lines) }

    private func write(_ text: String) {
        guard style != .quiet else { return }
        lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }

    private func event(_ fields: [String: Any]) {
        guard style == .json, let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        lock.withLock { FileHandle.standardError.write(data + Data("\n".utf8)) }
    }

    /// A run of these stages (in pipeline order, with their types) begins.
    func begin(stages: [(id: String, type: String)]) {
        lock.withLock {
            (started, total, done, skipped, order) = (Date(), stages.count, 0, [], stages.map(\.id))
            types = Dictionary(stages.map { ($0.id, $0.type) }, uniquingKeysWith: { first, _ in first })
            secondsByType = [:]
            unfinished = Set(stages.map(\.id))
            (estimates, measuredByType) = ([:], [:])
        }
    }

    /// The stages' latest cost estimates (those not estimated keep the mean of their type).
    /// Warns at once when they say the run looks long.
    func estimated(_ latest: [String: StageEstimate]) {
        let long = lock.withLock { () -> String? in
            estimates.merge(latest) { _, new in new }
            return longRunWarning(remaining: remainingEstimate(elapsed: Date().timeIntervalSince(started), done: done))
        }
        if let long { warning(long) }
    }

    /// How the estimates of `type` compare with the time its stages took (all types' when
    /// none of its own ran with an estimate yet; 1 before any).
    private func correction(_ type: String) -> Double {
        if let own = measuredByType[type], own.estimated > 0 { return own.actual / own.estimated }
        let all = measuredByType.values.reduce((0.0, 0.0)) { ($0.0 + $1.estimated, $0.1 + $1.actual) }
        return all.0 > 0 ? all.1 / all.0 : 1
    }

    /// One unfinished stage's expected seconds: its estimate corrected, else its type's mean
    /// so far, else `overall`; nil when nothing tells.
    private func expected(_ id: String, overall: Double?) -> Double? {
        let type = types[id] ?? ""
        if let estimate = estimates[id] { return estimate.seconds * correction(type) }
        if let seconds = secondsByType[type] { return seconds.reduce(0, +) / Double(seconds.count) }
        return overall
    }

    /// The stage type with the most work left: its name, its stages left, their mean expected
    /// seconds, and why the largest costs what it does (when estimated); nil before anything tells.
    private func dominantWork() -> (type: String, left: Int, mean: TimeInterval, why: String?)? {
        var work: [String: [String]] = [:]
        for id in unfinished where expected(id, overall: nil) != nil { work[types[id] ?? "", default: []].append(id) }
        let total = { (ids: [String]) in ids.reduce(0.0) { $0 + (self.expected($1, overall: nil) ?? 0) } }
        guard let (type, ids) = work.max(by: { (total($0.value), $1.key) < (total($1.value), $0.key) }) else { return nil }
        let largest = ids.max { (expected($0, overall: nil)!, $1) < (expected($1, overall: nil)!, $0) }
        return (type, ids.count, total(ids) / Double(ids.count), largest.flatMap { id in estimates[id].map { "\(id): \($0.why)" } })
    }

    /// Said once, when the time left first exceeds `longRun`: how long, what dominates, and
    /// what shortens it.
    func longRunWarning(remaining: TimeInterval) -> String? {
        guard longRunMessage == nil, remaining > Self.longRun, let (type, left, mean, why) = dominantWork() else { return nil }
        longRunMessage = "this run looks long: about \(Self.clock(remaining)) left, mostly \(type) (\(left) stages left, about \(Self.clock(mean)) each"
            + (why.map { "; the largest, \($0)" } ?? " so far") + "); "
            + "fewer folds or models (--set on a matrix axis), a smaller max_steps, or more cores shorten it"
        return longRunMessage
    }

    /// What the unfinished stages should take (`expected`), shared over the stages that run at
    /// once. Steadier than the elapsed time per stage.
    func remainingEstimate(elapsed: TimeInterval, done: Int) -> TimeInterval {
        let all = secondsByType.values.joined()
        let overall = all.isEmpty ? nil : all.reduce(0, +) / Double(all.count)
        guard overall != nil || !estimates.isEmpty else { return done > 0 ? elapsed / Double(done) * Double(unfinished.count) : 0 }
        let work = unfinished.reduce(0.0) { $0 + (expected($1, overall: overall) ?? 0) }
        // Stage seconds add up to more than the wall clock when stages overlap (at most one per
        // core); before any ran, the estimates' one-core seconds spread over the cores.
        let overlap = all.isEmpty ? Double(Parallelism.threads)
            : min(max(1, all.reduce(0, +) / max(elapsed, 1e-9)), Double(Parallelism.availableCores))
        return work / overlap
    }

    /// The run has ended: the stages skipped because an input failed are named, in pipeline
    /// order — each on its line when there are few, together when there are many.
    func end() {
        let (outcomes, order) = lock.withLock { (skipped, self.order) }
        guard style == .lines, !outcomes.isEmpty else { return }
        let sorted = outcomes.sorted { (order.firstIndex(of: $0.id) ?? .max) < (order.firstIndex(of: $1.id) ?? .max) }
        guard sorted.count > Self.skippedLinesShown else {
            for outcome in sorted { write("skipped \(outcome.id)\(outcome.error.map { ": \($0)" } ?? "")\n") }
            return
        }
        let shown = sorted.prefix(Self.skippedLinesShown).map(\.id).joined(separator: ", ")
        write("skipped \(sorted.count) stages whose inputs did not finish: \(shown), … (\(sorted.count - Self.skippedLinesShown) more; `--json` lists each)\n")
    }

    func stageStarted(_ id: String) {
        lock.withLock { lastPlainLine[id] = Date() }
        if style == .json { event(["event": "stage_started", "stage": id]) } else if !terminal { write("run     \(id) ...\n") }
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
            return
        }
        let now = Date(), interval: TimeInterval = style == .json ? 1 : 10
        let due = lock.withLock { () -> Bool in
            guard now.timeIntervalSince(lastPlainLine[id] ?? .distantPast) >= interval else { return false }
            lastPlainLine[id] = now
            return true
        }
        guard due else { return }
        if style == .json { event(["event": "progress", "stage": id, "fraction": Double(percent) / 100]) } else { write("        \(id): \(percent)%\n") }
    }

    func stageFinished(_ outcome: RunSummary.StageOutcome) {
        finishing.lock()
        defer { finishing.unlock() }
        let (count, of, elapsed, remaining, long) = lock.withLock { () -> (Int, Int, TimeInterval, TimeInterval, String?) in
            done += 1
            unfinished.remove(outcome.id)
            if outcome.status == .skipped { skipped.append(outcome) }
            if outcome.status == .ran, let type = types[outcome.id] {
                secondsByType[type, default: []].append(outcome.seconds)
                if let estimate = estimates[outcome.id], estimate.seconds > 0 {
                    let sums = measuredByType[type] ?? (0, 0)
                    measuredByType[type] = (sums.estimated + estimate.seconds, sums.actual + outcome.seconds)
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            let remaining = remainingEstimate(elapsed: elapsed, done: done)
            return (done, max(total, done), elapsed, remaining, longRunWarning(remaining: remaining))
        }
        if let long { warning(long) }
        if style == .json {
            var fields: [String: Any] = ["event": "stage_finished", "stage": outcome.id, "status": outcome.status.rawValue,
                                         "seconds": outcome.seconds, "done": count, "total": of, "elapsed": elapsed,
                                         "remaining_estimate": remaining]
            if let error = outcome.error { fields["error"] = error }
            event(fields)
            return
        }
        if outcome.status == .skipped { return }  // named at the end, in pipeline order
        let clear = terminal ? "\r\u{1B}[K" : ""
        let detail = outcome.error.map { ": \($0)" } ?? ""
        let place = of > 1 ? "  [\(count)/\(of), \(Self.clock(elapsed)) elapsed\(count < of ? ", ~\(Self.clock(remaining)) left" : "")]" : ""
        write(clear + "\(outcome.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(outcome.id) (\(String(format: "%.2f", outcome.seconds)) s)\(detail)\(place)\n")
    }

    /// A warning: `warning: …`, or a JSON line.
    public func warning(_ message: String) {
        if style == .json { event(["event": "warning", "message": message]) } else { write("warning: \(message)\n") }
    }

    /// A line of its own (e.g. a scheduler's progress).
    public func note(_ message: String) {
        if style == .json { event(["event": "note", "message": message]) } else { write(message + "\n") }
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    public static func clock(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
