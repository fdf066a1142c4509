import Dispatch
import Foundation

/// How many cores the kernels may use.
///
/// By default every core the process may use (`defaultThreads`); the CLI's `--threads`
/// sets it at start-up, and every kernel reads it. Results do not depend on it: work is
/// split into fixed chunks whose results are the same bits however they are spread.
public enum Parallelism {
    nonisolated(unsafe) private static var configuredThreads = defaultThreads(ProcessInfo.processInfo.environment)

    /// The environment variable that sets the thread count (`--threads` wins over it).
    public static let threadsVariable = "ANOMSYNTH_THREADS"

    /// The threads a process uses unless told otherwise: `ANOMSYNTH_THREADS` when set, else
    /// Slurm's `SLURM_CPUS_PER_TASK` (the CPUs a job was given), else `availableCores`.
    public static func defaultThreads(_ environment: [String: String]) -> Int {
        for name in [threadsVariable, "SLURM_CPUS_PER_TASK"] {
            if let text = environment[name], let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 { return value }
        }
        return availableCores
    }

    /// The cores this process may run on: its CPU affinity (`Cpus_allowed_list`), capped by
    /// a cgroup CPU quota (a container's `--cpus`), not the host's count.
    public static let availableCores: Int = {
        var cores = ProcessInfo.processInfo.activeProcessorCount
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
           let allowed = cpuCount(list: line.dropFirst("Cpus_allowed_list:".count)) {
            cores = min(cores, allowed)
        }
        if let quota = cgroupQuota() { cores = min(cores, quota) }
        return max(1, cores)
    }()

    /// The CPUs of a list such as `0-3,8,10-11`.
    static func cpuCount(list: Substring) -> Int? {
        var count = 0
        for part in list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            switch ends.count {
            case 1: count += 1
            case 2 where ends[1] >= ends[0]: count += ends[1] - ends[0] + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }

    /// A cgroup's CPU quota in whole cores (rounded up), when one is set (v2 `cpu.max`, v1 CFS).
    private static func cgroupQuota() -> Int? {
        func read(_ path: String) -> [Int] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).map { Int($0) ?? -1 }
        }
        var values = read("/sys/fs/cgroup/cpu.max")
        if values.count != 2 { values = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") + read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") }
        guard values.count == 2 else { return nil }
        let quota = values[0], period = values[1]
        guard quota > 0, period > 0 else { return nil }
        return (quota + period - 1) / period
    }

    /// Threads used by large elementwise loops and large matrix products.
    public static var threads: Int {
        get { configuredThreads }
        set { configuredThreads = max(1, newValue) }
    }

    /// Elements below which an elementwise loop stays on one core.
    public static let elementwiseGrain = 1 << 16

    /// Runs `body` over `0..<count` split into at most `threads` contiguous chunks.
    /// - Parameter grain: the smallest count worth splitting.
    @inlinable
    public static func forEachChunk(count: Int, grain: Int = elementwiseGrain, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, count / max(grain, 1))
        if parts <= 1 {
            body(0..<count)
            return
        }
        let chunk = (count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            // With more parts than chunks of `chunk` (e.g. 5 items, 4 parts), the last are empty.
            let start = min(count, part * chunk)
            body(start..<min(count, start + chunk))
        }
    }

    /// Runs `body(part)` for every part in `0..<parts` concurrently and waits for all.
    /// The parts must write disjoint memory (TensorCore builds in Swift 5 mode so that
    /// such closures over raw buffers can be passed, and inlined, without boxing).
    @inlinable
    public static func run(parts: Int, _ body: (Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
}
