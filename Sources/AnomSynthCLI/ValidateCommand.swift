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

/// `anomsynth schema`: the pipeline JSON Schema.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Print the pipeline JSON Schema (2020-12), as in schemas/pipeline.schema.json.")

    @Flag(help: "Print the stage reference as Markdown (as in the README) instead.")
    var markdown = false

    func run() throws { print(markdown ? PipelineSchema.markdownReference : PipelineSchema.document.pretty()) }
}

/// `anomsynth plan`: what `run` would do and why.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show which stages would run or come from the cache, with their keys and why.")

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @OptionGroup var options: PipelineOptions

    @Option(name: .customLong("force"), help: "Plan as if these stages were forced.")
    var forced: [String] = []

    func run() throws {
        let loaded = try options.load(pipeline)
        for step in Planner.plan(loaded, cacheRoot: options.cacheRoot, outputRoot: options.outputRoot, force: Set(forced)) {
            let key = step.key.map { String($0.prefix(12)) } ?? "(unknown)   "
            print("\(step.action.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(key)  \(step.reason)")
        }
    }
}
