import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth validate`: every problem of every pipeline file, at once.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files and report all problems, each with its JSON path (and line:column). Exit 2 when any is invalid.")

    @Argument(help: "Pipeline files.")
    var pipelines: [String]

    @Option(name: .customLong("set"), help: "Override a parameter: STAGE.params.KEY=VALUE.")
    var overrides: [String] = []

    func run() throws {
        var invalid = false
        for file in pipelines {
            do {
                let pipeline = try PipelineLoader.load(file, overrides: overrides)
                print("\(file): valid (\(pipeline.stages.count) stages)")
            } catch let error as PipelineInvalid {
                invalid = true
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
            }
        }
        if invalid { throw ExitCode(2) }
    }
}
