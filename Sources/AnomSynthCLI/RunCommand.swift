import ArgumentParser
import Dispatch
import Foundation
import PipelineEngine
import Reporting

/// `anomsynth run`: execute a pipeline, serving unchanged stages from the cache.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline. Exit codes: 0 success, 1 a stage failed, 2 invalid pipeline or arguments, 3 a quality gate was missed.")

    @Argument(help: "The pipeline file (JSON).")
    var pipeline: String

    @OptionGroup var options: PipelineOptions

    @OptionGroup var compute: ThreadOptions

    @Option(name: .customLong("force"), help: "Rerun a stage (and what depends on it) even when cached (repeatable).")
    var forced: [String] = []

    @Option(help: "Independent stages run at once (default: as many as --threads). Stages running at once share the threads equally, so the cores are never oversubscribed; small networks gain more from two stages at once than from two threads each.")
    var jobs: Int?

    @Flag(help: "Print the run summary as one JSON object on standard output, and progress and warnings as JSON lines on standard error.")
    var json = false

    @Flag(help: "No progress (warnings and errors are still printed).")
    var quiet = false

    @Option(help: "Where stages run: local (in this process), process (each stage in its own `anomsynth exec-stage` process), or slurm (each stage a Slurm job; the cache and output folder on a filesystem every node shares).")
    var executor: ExecutorKind = .local

    @Option(help: "slurm: the partition (sbatch --partition).")
    var partition: String?

    @Option(help: "slurm: the account (sbatch --account).")
    var account: String?

    @Option(help: "slurm: the time limit of jobs whose stage type sets none in `resources` (sbatch --time).")
    var time: String?

    @Option(help: "slurm: jobs in the queue at once (default: every stage at once).")
    var maxJobs: Int?

    @Flag(help: "slurm: submit and return; `anomsynth status PIPELINE` shows the jobs, `anomsynth run` again collects the results.")
    var detach = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1, got \(maxJobs)") }
        if executor != .slurm, partition != nil || account != nil || time != nil || maxJobs != nil || detach {
            throw ValidationError("--partition, --account, --time, --max-jobs and --detach are for --executor slurm")
        }
    }

    func run() throws {
        compute.apply()
        let loaded = try options.load(pipeline)
        if let unknown = forced.first(where: { loaded.stage($0) == nil }) {
            throw ValidationError("--force \(unknown): no such stage; the stages are \(loaded.stages.map(\.id).joined(separator: ", "))")
        }
        let reporter = ProgressReporter(style: quiet ? .quiet : json ? .json : .lines)
        var runOptions = RunOptions(outputRoot: options.outputRoot, cacheRoot: options.cacheRoot, reporter: reporter)
        runOptions.force = Set(forced)
        runOptions.threads = compute.total
        runOptions.jobs = jobs ?? compute.total
        var ranOnCluster: [String: Bool] = [:]
        switch executor {
        case .local: break
        case .process:
            runOptions.executor = ProcessExecutor(executable: Self.executable, folder: options.cacheRoot.appendingPathComponent("jobs"))
        case .slurm:
            guard let outcome = try runOnCluster(loaded, reporter: reporter) else { return }  // detached
            ranOnCluster = outcome.ran
            runOptions.executor = ClusterResultsExecutor(failures: outcome.failures)
            runOptions.force = []  // forced stages were recomputed by their jobs
        }
        let interrupt = Interrupt.install()
        defer { interrupt.cancel() }
        var summary = Runner(pipeline: loaded, options: runOptions).run()
        for index in summary.stages.indices where ranOnCluster[summary.stages[index].id] == true {
            summary.stages[index].status = .ran
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
        for stage in summary.stages where stage.status == .failed {
            FileHandle.standardError.write(Data("error: stage \(stage.id): \(stage.error ?? "failed")\n".utf8))
        }
        if summary.status != "succeeded" { throw ExitCode(1) }
        for warning in summary.warnings {
            if json { reporter.warning(warning) } else { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        if !json && !quiet {
            for (metrics, report) in zip(summary.metrics, summary.reports) {
                if let document = try? MetricsDocument.read(metrics) { print("\n" + MarkdownReport.resultsTable(document)) }
                print("report: \(report)\nmetrics: \(metrics)")
            }
        }
        for gate in summary.missedGates { FileHandle.standardError.write(Data("quality gate missed: \(gate)\n".utf8)) }
        if !summary.missedGates.isEmpty { throw ExitCode(3) }
    }
}

extension RunCommand {
    /// This executable (its path as every cluster node must see it).
    static var executable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    /// Submits the stages the cache lacks as Slurm jobs (or attaches to the jobs of a detached
    /// run still in the queue) and waits for them; nil when detached.
    /// - Returns: which stages ran on the cluster, and why each failed one failed.
    private func runOnCluster(_ pipeline: Pipeline, reporter: ProgressReporter) throws -> (ran: [String: Bool], failures: [String: String])? {
        var settings = SlurmRun.Settings(executable: Self.executable.path, pipelineFile: URL(fileURLWithPath: self.pipeline).standardizedFileURL.path,
                                         cacheRoot: options.cacheRoot.standardizedFileURL, outputRoot: options.outputRoot.standardizedFileURL)
        settings.overrides = options.overrides
        settings.partition = partition
        settings.account = account
        settings.time = time
        settings.maxJobs = maxJobs
        let slurm = SlurmRun(pipeline: pipeline, settings: settings, reporter: reporter)
        let previous = try slurm.submitted()
        let inFlight = try slurm.states(previous).values.contains { if case .queued = $0 { return true }; return false }
        let jobs = inFlight ? previous : try slurm.submit(force: Set(forced))
        if inFlight { reporter.note("slurm: waiting for the \(jobs.count) jobs submitted before") }
        if detach {
            print("submitted \(jobs.count) jobs (\(jobs.map(\.id).joined(separator: " "))); `anomsynth status \(self.pipeline)` shows them")
            return nil
        }
        let interrupt = Interrupt.install { SlurmRun.cancel(jobs) }
        defer { interrupt.cancel() }
        let states = try slurm.wait(jobs)
        let ran = Dictionary(uniqueKeysWithValues: jobs.map { ($0.stage, states[$0.stage] == .succeeded) })
        return (ran, SlurmRun.failures(jobs, states))
    }
}

/// Ctrl-C: stop at once. The cache stays intact: entries appear only by an atomic
/// rename of a finished folder; a stage's half-written temporary folder is left for `cache gc`.
enum Interrupt {
    /// - Parameter cleanUp: runs first (e.g. cancelling submitted jobs).
    static func install(cleanUp: @escaping @Sendable () -> Void = {}) -> DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            cleanUp()
            FileHandle.standardError.write(Data("\ninterrupted: the cache is intact; completed stages stay cached\n".utf8))
            exit(130)
        }
        source.resume()
        return source
    }
}

/// `run --executor`.
enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
    case local, process, slurm
}
