import Foundation
import TensorCore

/// Where planned stages run. The runner plans a `StageJob` once its inputs are in the
/// cache and hands it over; the executor returns the cache record once the entry exists,
/// and whether it computed it (or found it computed by another run).
public protocol StageExecutor: Sendable {
    /// Runs `job` to completion (its entry sealed in the cache).
    /// - Throws: the stage's error, with enough to find out what happened (e.g. a log path).
    func execute(_ job: StageJob, progress: @escaping @Sendable (Double) -> Void) throws -> StageJob.Outcome
}

/// Runs jobs in this process (the default).
public struct InProcessExecutor: StageExecutor {
    public init() {}

    public func execute(_ job: StageJob, progress: @escaping @Sendable (Double) -> Void) throws -> StageJob.Outcome {
        try job.run(progress: progress)
    }
}

/// Runs each job in a fresh `anomsynth exec-stage JOB.json` process: what a scheduler does
/// on a cluster node, here on this machine (and the check that a job holds everything).
/// The child stops when this process dies, however it dies (`ANOMSYNTH_DIE_WITH_PARENT`).
public struct ProcessExecutor: StageExecutor {
    /// The `anomsynth` executable.
    public let executable: URL
    /// Where job files and their logs go.
    public let folder: URL

    public init(executable: URL, folder: URL) {
        self.executable = executable
        self.folder = folder
    }

    /// The environment variable that tells `exec-stage` to end when its parent process ends.
    public static let dieWithParentVariable = "ANOMSYNTH_DIE_WITH_PARENT"

    public func execute(_ job: StageJob, progress: @escaping @Sendable (Double) -> Void) throws -> StageJob.Outcome {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let base = folder.appendingPathComponent(job.key)
        let jobFile = base.appendingPathExtension("job.json"), log = base.appendingPathExtension("log")
        let outcomeFile = base.appendingPathExtension("outcome")
        try job.encoded().write(to: jobFile)
        try? FileManager.default.removeItem(at: outcomeFile)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["exec-stage", jobFile.path, "--outcome-file", outcomeFile.path]
        // The child computes on this run's share of the cores (`--threads`, `--jobs`) and ends with it.
        process.environment = ProcessInfo.processInfo.environment.merging(
            [Self.dieWithParentVariable: "\(getpid())", Parallelism.threadsVariable: "\(Parallelism.threads)"]) { _, new in new }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let tail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
            let how = process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "signal \(process.terminationStatus)"
            throw StageError("exec-stage failed (\(how)); log \(log.path): \(tail)")
        }
        guard let record = StageCache(root: URL(fileURLWithPath: job.cacheRoot)).lookup(job.key) else {
            throw StageError("exec-stage exited 0 but the cache holds no valid entry \(job.key.prefix(12)); log \(log.path)")
        }
        let said = (try? String(contentsOf: outcomeFile, encoding: .utf8)) ?? ""
        return StageJob.Outcome(record: record, computed: said != RunSummary.StageOutcome.Status.waited.rawValue)
    }
}
