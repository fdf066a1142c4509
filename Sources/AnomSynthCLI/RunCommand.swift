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

    @Option(name: .customLong("force"), help: "Rerun a stage (and what depends on it) even when cached (repeatable).")
    var forced: [String] = []

    @Option(help: "Independent stages run at once. Default 1: training stages use every core themselves, and on two cores running two at once only adds contention.")
    var jobs = 1

    @Flag(help: "Print the run summary as one JSON object on standard output.")
    var json = false

    @Flag(help: "No progress lines.")
    var quiet = false

    @Option(help: "Where stages run: local (in this process) or process (each stage in its own `anomsynth exec-stage` process, as a scheduler would run it).")
    var executor: ExecutorKind = .local

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
        let loaded = try options.load(pipeline)
        if let unknown = forced.first(where: { loaded.stage($0) == nil }) {
            throw ValidationError("--force \(unknown): no such stage; the stages are \(loaded.stages.map(\.id).joined(separator: ", "))")
        }
        let interrupt = Interrupt.install()
        defer { interrupt.cancel() }
        var runOptions = RunOptions(outputRoot: options.outputRoot, cacheRoot: options.cacheRoot, reporter: ProgressReporter(quiet: quiet || json))
        runOptions.force = Set(forced)
        runOptions.jobs = jobs
        if executor == .process {
            let jobs = options.cacheRoot.appendingPathComponent("jobs")
            runOptions.executor = ProcessExecutor(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(), folder: jobs)
        }
        let summary = Runner(pipeline: loaded, options: runOptions).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
        for stage in summary.stages where stage.status == .failed {
            FileHandle.standardError.write(Data("error: stage \(stage.id): \(stage.error ?? "failed")\n".utf8))
        }
        if summary.status != "succeeded" { throw ExitCode(1) }
        for warning in summary.warnings where !json { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
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

/// Ctrl-C: stop at once. The cache stays intact: entries appear only by an atomic
/// rename of a finished folder; a stage's half-written temporary folder is left for `cache gc`.
enum Interrupt {
    static func install() -> DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            FileHandle.standardError.write(Data("\ninterrupted: the cache is intact; completed stages stay cached\n".utf8))
            exit(130)
        }
        source.resume()
        return source
    }
}

/// `run --executor`.
enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
    case local, process
}
