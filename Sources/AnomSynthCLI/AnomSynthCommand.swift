import ArgumentParser
import PipelineEngine

/// The `anomsynth` command: synthesize anomalies, augment data, train and evaluate detectors.
public struct AnomSynthCommand: ParsableCommand {
    /// The tool's version, printed by `--version` and recorded in cache keys.
    public static let version = AnomSynthVersion.current

    public static let configuration = CommandConfiguration(
        commandName: "anomsynth",
        abstract: "Synthesize the anomalies real data lacks, and prove with numbers whether they help.",
        version: version,
        subcommands: [RunCommand.self, ValidateCommand.self, PlanCommand.self, SchemaCommand.self, CacheCommand.self,
                      IngestCommand.self, InspectCommand.self, ExportCommand.self, DiffCommand.self, BenchCommand.self])

    public init() {}
}
