import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth plan`: what `run` would do and why, with each stage's expected time (one core of
/// the reference machine; `CostEstimate`) and where most of it goes.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show which stages would run or come from the cache, with their keys and why.")

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @OptionGroup var options: PipelineOptions

    @OptionGroup var threadOptions: ThreadOptions

    @Option(name: .customLong("force"), help: "Plan as if these stages were forced.")
    var forced: [String] = []

    func run() throws {
        let loaded = try options.load(pipeline)
        let steps = Planner.plan(loaded, cacheRoot: options.cacheRoot, outputRoot: options.outputRoot, force: Set(forced))
        let estimates = Planner.estimates(loaded, steps: steps, cacheRoot: options.cacheRoot)
        let width = steps.map(\.id.count).max() ?? 0
        for step in steps {
            let key = step.key.map { String($0.prefix(12)) } ?? "(unknown)   "
            let time = step.action == "cached" ? "" : estimates[step.id].map { "~" + ProgressReporter.clock($0.seconds) } ?? "?"
            print("\(step.action.aligned(to: 7)) \(step.id.aligned(to: width)) \(key) \(time.aligned(to: 8)) \(step.reason)")
        }
        let threads = threadOptions.total
        if let summary = CostEstimate.summary(estimates, pipeline: loaded, threads: threads) { print(summary) }
        let unknown = steps.filter { $0.action != "cached" && estimates[$0.id] == nil }.count
        if unknown > 0 { print("\(unknown) stage\(unknown == 1 ? "" : "s") not estimated (?): their input's shape is known once it has run") }
    }
}
