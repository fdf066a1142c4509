import Dispatch

/// How many cores the kernels may use.
///
/// Set once at start-up (the CLI's `--threads`); every kernel reads it. Results
/// depend only on this setting, not on timing: work is split into fixed chunks.
public enum Parallelism {
    nonisolated(unsafe) private static var configuredThreads = 1

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
