import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth exec-stage`: one planned stage in its own process (what a scheduler runs).
struct ExecStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-stage",
        abstract: "Run one planned stage (a job file written by `run --executor`) and seal its outputs in the cache.")

    @Argument(help: "The job file (JSON).")
    var job: String

    func run() throws {
        try reportingErrors {
            let job = try StageJob.read(job)
            let started = Date()
            let record = try job.run()
            print("\(job.stageID): \(record.key.prefix(12)) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        }
    }
}
