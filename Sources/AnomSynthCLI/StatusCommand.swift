import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth status`: the Slurm jobs of a pipeline's last `run --executor slurm`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the Slurm jobs of a pipeline's last `run --executor slurm` (e.g. after --detach).")

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @OptionGroup var options: PipelineOptions

    func run() throws {
        let loaded = try options.load(pipeline)
        try reportingErrors {
            let settings = SlurmRun.Settings(executable: "", pipelineFile: pipeline, cacheRoot: options.cacheRoot, outputRoot: options.outputRoot)
            let slurm = SlurmRun(pipeline: loaded, settings: settings, reporter: ProgressReporter(quiet: true))
            let jobs = try slurm.submitted()
            guard !jobs.isEmpty else {
                print("\(loaded.name): no Slurm jobs recorded in \(slurm.folder.path)")
                return
            }
            let states = try slurm.states(jobs)
            var counts: [String: Int] = [:]
            for job in jobs {
                let state: String
                switch states[job.stage] {
                case .queued(let word)?: state = word.lowercased()
                case .succeeded?: state = "done"
                case .failed(let status)?: state = "failed (exit status \(status))"
                case .cancelled?, nil: state = "cancelled"
                }
                counts[state.split(separator: " ").first.map(String.init) ?? state, default: 0] += 1
                print("\(job.id.padding(toLength: 8, withPad: " ", startingAt: 0)) \(state.padding(toLength: 24, withPad: " ", startingAt: 0)) \(job.stage)  \(job.log)")
            }
            print("\(loaded.name): " + counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", ") + " of \(jobs.count) jobs")
        }
    }
}
