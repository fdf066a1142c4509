import ArgumentParser
import Benchmarks
import Foundation

/// `anomsynth bench`: measured figures for docs/benchmarks.md.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure AnomSynth's own speed (compare with the peers through `make bench`).",
        subcommands: [BenchNeuralNetCommand.self, BenchCSVCommand.self, BenchArchiveCommand.self, BenchNeighboursCommand.self])
}

/// `anomsynth bench nn`: training samples per second of the reference networks.
struct BenchNeuralNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nn",
        abstract: "Train the reference networks for a fixed number of batches and print samples/second.")

    @Option(help: "Cores for kernels and matrix products.")
    var threads = 1

    @Option(name: .customLong("model"), help: "A workload to run (repeatable): \(TrainingBenchmark.all.map(\.name).joined(separator: ", ")). Default: all.")
    var models: [String] = []

    @Option(help: "Timed batches per repeat (0: a full epoch).")
    var maxBatches = 100

    @Option(help: "Untimed warm-up batches.")
    var warmup = 5

    @Option(help: "Timed repeats; the median is reported.")
    var repeats = 3

    @Option(help: "Rows of synthetic training data (default: the workload's).")
    var rows: Int?

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard maxBatches >= 0, warmup >= 0 else { throw ValidationError("--max-batches and --warmup must not be negative") }
        if let rows, rows < 1 { throw ValidationError("--rows must be at least 1, got \(rows)") }
        let known = TrainingBenchmark.all.map(\.name)
        if let unknown = models.first(where: { !known.contains($0) }) {
            throw ValidationError("unknown model '\(unknown)'; expected one of \(known.joined(separator: ", "))")
        }
    }

    func run() throws {
        var settings = BenchmarkSettings()
        settings.threads = threads
        settings.maxBatches = maxBatches
        settings.warmupBatches = warmup
        settings.repeats = repeats
        settings.rows = rows
        let selected = models.isEmpty ? TrainingBenchmark.all : models.compactMap(TrainingBenchmark.named)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if !json { print("model  threads  batch  samples/s  peak MiB") }
        for workload in selected {
            Log.logger.info("training \(workload.name)", metadata: ["threads": "\(threads)", "batches": "\(maxBatches)"])
            let result = try workload.run(settings)
            if json {
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(String(format: "%-6@ %7d %6d %10.0f %9.1f", result.name, result.threads, result.batch,
                             result.samplesPerSecond, result.peakRSSMiB))
            }
        }
    }
}
