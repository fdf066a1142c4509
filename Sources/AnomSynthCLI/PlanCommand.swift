import ArgumentParser
import Foundation
import PipelineEngine

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
        let steps = Planner.plan(loaded, cacheRoot: options.cacheRoot, outputRoot: options.outputRoot, force: Set(forced))
        let width = steps.map(\.id.count).max() ?? 0
        for step in steps {
            let key = step.key.map { String($0.prefix(12)) } ?? "(unknown)   "
            print("\(step.action.aligned(to: 7)) \(step.id.aligned(to: width)) \(key)  \(step.reason)")
        }
    }
}
