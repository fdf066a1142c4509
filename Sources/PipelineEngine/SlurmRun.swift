import Datasets
import Foundation

/// A pipeline run as Slurm jobs over a shared cache (`run --executor slurm`).
///
/// A stage's cache key depends on its inputs' bytes, so it is known only once they exist:
/// every stage the cache lacks becomes a job `anomsynth exec-stage --pipeline P --stage ID`,
/// submitted at once with `--dependency=afterok:` on the jobs of its inputs, which finds its
/// inputs in the cache when it starts, computes its key and seals its outputs there. Slurm
/// cancels the dependants of a failed job. The submitting process then publishes the run
/// from the cache, as a local run does.
public final class SlurmRun {
    /// How jobs are submitted.
    public struct Settings: Sendable {
        /// The `anomsynth` executable, reachable at this path on every node.
        public var executable: String
        /// The pipeline file and its `--set` overrides (each job loads them again).
        public var pipelineFile: String
        public var overrides: [String] = []
        public var cacheRoot: URL
        public var outputRoot: URL
        public var partition: String?
        public var account: String?
        /// The default time limit of jobs whose stage type sets none.
        public var time: String?
        /// Jobs in the queue at once (nil: no limit).
        public var maxJobs: Int?

        public init(executable: String, pipelineFile: String, cacheRoot: URL, outputRoot: URL) {
            self.executable = executable
            self.pipelineFile = pipelineFile
            self.cacheRoot = cacheRoot
            self.outputRoot = outputRoot
        }
    }

    /// One submitted stage, as recorded in `<out>/<pipeline>/.slurm/run.json`.
    public struct Job: Codable, Sendable {
        public var stage: String
        public var id: String
        public var log: String
        /// The file the job writes its exit status to when it ends.
        public var statusFile: String

        enum CodingKeys: String, CodingKey {
            case stage, id, log
            case statusFile = "status_file"
        }
    }

    /// How a job ended, or that it has not.
    public enum State: Equatable, Sendable {
        case queued(String)
        case succeeded
        case failed(exitStatus: Int)
        /// Gone from the queue without an exit status: cancelled (an input failed, or scancel) or lost.
        case cancelled
    }

    let pipeline: Pipeline
    let settings: Settings
    let reporter: ProgressReporter
    /// Where job scripts, logs, status files and the job list go.
    public let folder: URL

    public init(pipeline: Pipeline, settings: Settings, reporter: ProgressReporter) {
        self.pipeline = pipeline
        self.settings = settings
        self.reporter = reporter
        folder = settings.outputRoot.appendingPathComponent("\(pipeline.name)/.slurm")
    }

    /// The job list of the last submission, if any. The list sits in the output folder,
    /// perhaps on a shared file system, and its ids go to `squeue` and `scancel`: each job
    /// must name a stage of this pipeline, a numeric Slurm id (an array task's `N_M`), and
    /// the log and status files this run gives that stage.
    /// - Throws: `StageError` naming the file, the job and the field.
    public func submitted() throws -> [Job] {
        let file = folder.appendingPathComponent("run.json").path
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        let jobs: [Job]
        do { jobs = try JSONDecoder().decode([Job].self, from: data) } catch {
            throw StageError("\(file): not a Slurm job list: \(describeDecodingProblem(error))")
        }
        for (index, job) in jobs.enumerated() {
            func fail(_ field: String, _ message: String) -> StageError { StageError("\(file): [\(index)].\(field): \(message)") }
            guard pipeline.stage(job.stage) != nil else { throw fail("stage", "'\(job.stage)' is not a stage of \(pipeline.name)") }
            let parts = job.id.split(separator: "_", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 20 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                throw fail("id", "expected a Slurm job id (digits), got '\(job.id)'")
            }
            let expected = files(of: job.stage)
            guard job.log == expected.log, job.statusFile == expected.status else {
                throw fail("log", "expected this run's files for \(job.stage) (\(expected.log), \(expected.status))")
            }
        }
        return jobs
    }

    /// The log and status files of a stage's job.
    private func files(of stage: String) -> (base: URL, log: String, status: String) {
        let name = String(stage.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let base = folder.appendingPathComponent(name)
        return (base, base.appendingPathExtension("log").path, base.appendingPathExtension("status").path)
    }

    /// Submits a job for every stage the cache lacks (nothing when all are cached).
    /// - Parameter force: stages to recompute (with everything downstream).
    /// - Throws: `StageError` when `sbatch` refuses a job (its message included).
    public func submit(force: Set<String> = []) throws -> [Job] {
        let steps = Planner.plan(pipeline, cacheRoot: settings.cacheRoot, outputRoot: settings.outputRoot, force: force)
        let toRun = Set(steps.filter { $0.action == "run" }.map(\.id))
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var jobs: [Job] = [], jobOf: [String: String] = [:]
        for id in pipeline.order where toRun.contains(id) {
            let stage = pipeline.stage(id)!
            if let limit = settings.maxJobs { try waitForRoom(jobs, limit: limit) }
            let job = try submit(stage, after: stage.dependencies.compactMap { jobOf[$0] }, force: force.contains(id))
            jobOf[id] = job.id
            jobs.append(job)
            try record(jobs)
        }
        return jobs
    }

    private func submit(_ stage: Pipeline.Stage, after dependencies: [String], force: Bool) throws -> Job {
        let (base, log, status) = files(of: stage.id)
        let name = base.lastPathComponent
        var command = [settings.executable, "exec-stage", "--pipeline", settings.pipelineFile, "--stage", stage.id,
                       "--cache-dir", settings.cacheRoot.path, "--out", settings.outputRoot.path]
        for override in settings.overrides { command += ["--set", override] }
        if force { command.append("--force") }
        let script = """
            #!/bin/sh
            # anomsynth: stage \(stage.id) of \(pipeline.name)
            \(command.map(Self.quoted).joined(separator: " "))
            status=$?
            echo $status > \(Self.quoted(status))
            exit $status

            """
        let scriptFile = base.appendingPathExtension("sh")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let resources = pipeline.resources[stage.implementation.type] ?? StageResources()
        var arguments = ["--parsable", "--job-name", "anomsynth-\(pipeline.name)-\(name)", "--output", log,
                         "--chdir", FileManager.default.currentDirectoryPath, "--cpus-per-task", String(resources.cpus)]
        if let memory = resources.memory { arguments += ["--mem", memory] }
        if let time = resources.time ?? settings.time { arguments += ["--time", time] }
        if let partition = settings.partition { arguments += ["--partition", partition] }
        if let account = settings.account { arguments += ["--account", account] }
        if !dependencies.isEmpty { arguments += ["--dependency=afterok:" + dependencies.joined(separator: ":"), "--kill-on-invalid-dep=yes"] }
        let output = try Self.command("sbatch", arguments + [scriptFile.path])
        let id = output.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw StageError("sbatch gave no job id for \(stage.id): \(output)") }
        return Job(stage: stage.id, id: id, log: log, statusFile: status)
    }

    private func record(_ jobs: [Job]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(jobs).write(to: folder.appendingPathComponent("run.json"), options: .atomic)
    }

    /// The state of each job: the queue's word while it is there, its status file after.
    public func states(_ jobs: [Job]) throws -> [String: State] {
        guard !jobs.isEmpty else { return [:] }
        let queue = try Self.command("squeue", ["-h", "-o", "%i %T", "-j", jobs.map(\.id).joined(separator: ",")], allowFailure: true)
        var queued: [String: String] = [:]
        for line in queue.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { queued[String(parts[0])] = String(parts[1]) }
        }
        var result: [String: State] = [:]
        for job in jobs {
            if let state = queued[job.id], !["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"].contains(state) {
                result[job.stage] = .queued(state)
            } else if let text = try? String(contentsOfFile: job.statusFile, encoding: .utf8), let code = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                result[job.stage] = code == 0 ? .succeeded : .failed(exitStatus: code)
            } else {
                result[job.stage] = .cancelled
            }
        }
        return result
    }

    /// Polls the queue until every job has ended, reporting progress on a change.
    public func wait(_ jobs: [Job], every interval: TimeInterval = 1) throws -> [String: State] {
        var last = ""
        while true {
            let states = try states(jobs)
            let done = states.values.filter { if case .queued = $0 { return false }; return true }.count
            let running = states.values.filter { $0 == .queued("RUNNING") }.count
            let line = "slurm: \(done)/\(jobs.count) done, \(running) running, \(jobs.count - done - running) pending"
            if line != last { reporter.note(line) }
            last = line
            if done == jobs.count { return states }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    private func waitForRoom(_ jobs: [Job], limit: Int) throws {
        while try states(jobs).values.filter({ if case .queued = $0 { return true }; return false }).count >= limit {
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// Cancels every job still queued or running (`scancel`); the cache stays intact.
    public static func cancel(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        _ = try? Self.command("scancel", jobs.map(\.id), allowFailure: true)
    }

    /// Why each job that did not succeed failed, for the final report.
    public static func failures(_ jobs: [Job], _ states: [String: State]) -> [String: String] {
        var result: [String: String] = [:]
        for job in jobs {
            switch states[job.stage] {
            case .failed(let status)?: result[job.stage] = "failed on the cluster (job \(job.id), exit status \(status)); log \(job.log)"
            case .cancelled?: result[job.stage] = "cancelled on the cluster (job \(job.id): an input failed, or scancel); log \(job.log)"
            default: break
            }
        }
        return result
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs a Slurm command and returns its standard output.
    /// - Throws: `StageError` with its output when it fails (unless `allowFailure`), or cannot start.
    static func command(_ name: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw StageError("cannot run \(name): \(error.localizedDescription); is Slurm installed (slurm-client)?") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 && !allowFailure {
            throw StageError("\(name) failed (exit status \(process.terminationStatus)): \(problem.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}

/// For the run that publishes a Slurm run: every stage must be in the cache; one that is
/// not failed on the cluster (the reason given per stage).
public struct ClusterResultsExecutor: StageExecutor {
    public let failures: [String: String]

    public init(failures: [String: String]) { self.failures = failures }

    public func execute(_ job: StageJob, progress: @escaping @Sendable (Double) -> Void) throws -> StageJob.Outcome {
        throw StageError(failures[job.stageID] ?? "did not run on the cluster (its job did not finish)")
    }
}
