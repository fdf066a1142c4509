import ArgumentParser
import Foundation
import TensorCore

/// `--threads`: how many cores the command computes on.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to compute on (default: \(Parallelism.threadsVariable), else Slurm's SLURM_CPUS_PER_TASK, else the cores this process may use, \(Parallelism.availableCores) here). Results are the same bytes at any count.",
                               valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The threads chosen, or the default.
    var total: Int { threads ?? Parallelism.defaultThreads(ProcessInfo.processInfo.environment) }

    /// Sets the kernels' thread count (a run's stages then share it: `RunOptions.threads`).
    func apply() {
        Parallelism.threads = total
    }
}
