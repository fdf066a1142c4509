import ArgumentParser
import Foundation
import PipelineEngine

/// Flags shared by the commands that read a pipeline.
struct PipelineOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: STAGE.params.KEY=VALUE (dotted keys for nested; VALUE is JSON when it parses).", valueName: "override"))
    var overrides: [String] = []

    @Option(help: "Folder for stage outputs: <out>/<pipeline name>/<stage id>/.")
    var out: String = "runs"

    @Option(help: "The stage cache (default: $ANOMSYNTH_CACHE or .anomsynth/cache).")
    var cacheDir: String?

    var cacheRoot: URL {
        URL(fileURLWithPath: cacheDir ?? ProcessInfo.processInfo.environment["ANOMSYNTH_CACHE"] ?? ".anomsynth/cache")
    }

    var outputRoot: URL { URL(fileURLWithPath: out) }

    /// Loads the pipeline; an invalid one prints every problem and exits 2.
    func load(_ file: String) throws -> Pipeline {
        do {
            return try PipelineLoader.load(file, overrides: overrides)
        } catch let invalid as PipelineInvalid {
            FileHandle.standardError.write(Data((invalid.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
