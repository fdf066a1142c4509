import Foundation
@testable import PipelineEngine

/// Runs a loaded pipeline without progress output, its runs and cache in `folder`.
func runQuietly(_ pipeline: Pipeline, in folder: URL) -> RunSummary {
    Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                   cacheRoot: folder.appendingPathComponent("cache"),
                                                   reporter: ProgressReporter(quiet: true))).run()
}
