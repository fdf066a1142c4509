import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth exec-stage`: one stage in its own process (what a scheduler runs), either a
/// job file (`run --executor process`) or a stage of a pipeline whose inputs are in the
/// cache (`run --executor slurm`: its key is known only once its inputs are).
struct ExecStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-stage",
        abstract: "Run one stage and seal its outputs in the cache: a job file, or --pipeline P --stage ID.")

    @Argument(help: "A job file (JSON) written by `run --executor process`.")
    var job: String?

    @Option(help: "A pipeline file: run its stage --stage, whose inputs are in the cache (or are computed first).")
    var pipeline: String?

    @Option(help: "The stage of --pipeline to run.")
    var stage: String?

    @Flag(help: "With --pipeline: recompute the stage even when the cache holds it.")
    var force = false

    @Option(help: ArgumentHelp("With a job file: write 'ran' or 'waited' (computed by another run) to this file.", visibility: .hidden))
    var outcomeFile: String?

    @OptionGroup var options: PipelineOptions

    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        guard (job == nil) != (pipeline == nil), (pipeline == nil) == (stage == nil) else {
            throw ValidationError("give a job file, or --pipeline and --stage")
        }
    }

    func run() throws {
        let started = Date()
        ParentWatch.endWithParent(named: ProcessExecutor.dieWithParentVariable)
        compute.apply()
        if let job {
            try reportingErrors {
                let job = try StageJob.read(job)
                let outcome = try job.run()
                if let outcomeFile { try Data((outcome.computed ? "ran" : "waited").utf8).write(to: URL(fileURLWithPath: outcomeFile)) }
                let status = outcome.computed ? "ran" : "already in the cache"
                print("\(job.stageID): \(status) \(outcome.record.key.prefix(12)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            }
            return
        }
        guard let pipeline, let stage else { return }
        let loaded = try options.load(pipeline)
        guard loaded.stage(stage) != nil else { throw ValidationError("--stage \(stage): no such stage in \(pipeline)") }
        var runOptions = RunOptions(outputRoot: options.outputRoot, cacheRoot: options.cacheRoot, reporter: ProgressReporter(quiet: true))
        runOptions.stages = [stage]
        runOptions.publishes = false
        if force { runOptions.force = [stage] }
        let summary = Runner(pipeline: loaded, options: runOptions).run()
        for outcome in summary.stages where outcome.status == .failed {
            FileHandle.standardError.write(Data("error: stage \(outcome.id): \(outcome.error ?? "failed")\n".utf8))
        }
        guard let outcome = summary.stages.first(where: { $0.id == stage }), [.ran, .cached, .waited].contains(outcome.status) else {
            throw ExitCode(1)
        }
        print("\(stage): \(outcome.status.rawValue) \(outcome.key.prefix(12)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }
}
