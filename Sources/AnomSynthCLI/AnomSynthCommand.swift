import ArgumentParser
import Foundation
import PipelineEngine
import TensorCore

/// The `anomsynth` command: synthesize anomalies, augment data, train and evaluate detectors.
public struct AnomSynthCommand: ParsableCommand {
    /// The tool's version, printed by `--version` and recorded in cache keys.
    public static let version = AnomSynthVersion.current

    public static let configuration = CommandConfiguration(
        commandName: "anomsynth",
        abstract: "Synthesize the anomalies real data lacks, and prove with numbers whether they help.",
        version: "\(version)\nproducts: \(ProductKernel.provenance), running the \(ProductKernel.instructionSet.rawValue) kernel",
        subcommands: [RunCommand.self, ValidateCommand.self, PlanCommand.self, SchemaCommand.self, CacheCommand.self,
                      IngestCommand.self, InspectCommand.self, ExportCommand.self, ScoreCommand.self, DiffCommand.self, BenchCommand.self,
                      ExecStageCommand.self, StatusCommand.self])

    public init() {}

    /// Parses the arguments, runs the command and exits with the documented codes (docs/cli.md): 0
    /// success, 1 failed work, 2 invalid arguments or pipeline (ArgumentParser's own
    /// code for a usage error, 64, becomes 2), 3 a missed quality gate.
    /// Products run on the kernel `ANOMSYNTH_GEMM` names, if any (see ``ProductKernel``).
    public static func runAndExit() -> Never {
        if let warning = ProductKernel.environmentSelection {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        do {
            var command = try parseAsRoot()
            try command.run()
            exit()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
