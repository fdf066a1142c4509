import Foundation
import NeuralNet
import TensorCore

/// A training workload timed the way `shared/bench/torch_reference.py` times its models:
/// warm-up batches first, then repeats of epochs over shuffled rows (each capped
/// at a number of batches), reporting the median samples per second.
public struct TrainingBenchmark: Sendable {
    /// The name used in reports: `ae`, `gan`.
    public let name: String
    /// Rows per training step.
    public let batchSize: Int
    /// Rows in the synthetic training set.
    public let defaultRows: Int
    /// Builds the data, a closure that trains one step on a batch and, for generative
    /// models that sample, a closure that draws that many rows.
    let prepare: @Sendable (_ rows: Int) throws -> (data: Tensor, step: (Tensor) throws -> Void, sample: ((Int) throws -> Void)?)

    init(name: String, batchSize: Int, defaultRows: Int,
         prepare: @escaping @Sendable (_ rows: Int) throws -> (data: Tensor, step: (Tensor) throws -> Void, sample: ((Int) throws -> Void)?)) {
        self.name = name
        self.batchSize = batchSize
        self.defaultRows = defaultRows
        self.prepare = prepare
    }

    init(name: String, batchSize: Int, defaultRows: Int,
         prepare: @escaping @Sendable (_ rows: Int) throws -> (data: Tensor, step: (Tensor) throws -> Void)) {
        self.init(name: name, batchSize: batchSize, defaultRows: defaultRows) { rows in
            let made = try prepare(rows)
            return (made.data, made.step, nil)
        }
    }

    /// Every workload, by name.
    public static let all: [TrainingBenchmark] = [autoencoder, gan, vae, realNVP, dcgan, convolutionalAutoencoder]

    /// The workload of that name, if any.
    public static func named(_ name: String) -> TrainingBenchmark? { all.first { $0.name == name } }
}

/// Settings of one timing run.
public struct BenchmarkSettings: Sendable {
    public var threads = 1
    public var maxBatches = 100
    public var warmupBatches = 5
    public var repeats = 3
    public var rows: Int?

    public init() {}
}

/// What one workload reached.
public struct BenchmarkResult: Codable, Sendable {
    public let name: String
    public let samplesPerSecond: Double
    public let samplesPerSecondAll: [Double]
    public let threads: Int
    public let batch: Int
    public let batchesTimed: Int
    public let peakRSSMiB: Double
    /// Seconds to sample as many rows as the training set (median), for models that sample.
    public let sampleSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case name, threads, batch
        case sampleSeconds = "sample_seconds"
        case samplesPerSecond = "samples_per_second"
        case samplesPerSecondAll = "samples_per_second_all"
        case batchesTimed = "batches_timed"
        case peakRSSMiB = "peak_rss_mib"
    }
}

extension TrainingBenchmark {
    /// Trains the workload as `settings` say and measures samples per second.
    /// - Throws: an error from the model (shape errors would be a defect in the workload).
    public func run(_ settings: BenchmarkSettings) throws -> BenchmarkResult {
        Parallelism.threads = settings.threads
        let rows = settings.rows ?? defaultRows
        let (data, step, sample) = try prepare(rows)
        let fullBatches = (rows + batchSize - 1) / batchSize
        let batches = settings.maxBatches > 0 ? min(fullBatches, settings.maxBatches) : fullBatches
        var rng = SeededRNG(seed: 0)
        func epoch(_ count: Int) throws {
            let order = rng.permutation(rows)
            for b in 0..<count {
                let indices = Array(order[(b * batchSize)..<min(rows, (b + 1) * batchSize)])
                try step(data.gatherRows(indices))
            }
        }
        try epoch(min(settings.warmupBatches, fullBatches))
        var rates: [Double] = []
        for _ in 0..<max(1, settings.repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            try epoch(batches)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(min(rows, batches * batchSize)) / seconds)
        }
        var sampleSeconds: Double?
        if let sample {
            try sample(1000)
            var times: [Double] = []
            for _ in 0..<max(1, settings.repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                try sample(rows)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            sampleSeconds = times.sorted()[times.count / 2]
        }
        return BenchmarkResult(
            name: name, samplesPerSecond: rates.sorted()[rates.count / 2], samplesPerSecondAll: rates,
            threads: settings.threads, batch: batchSize, batchesTimed: batches, peakRSSMiB: peakResidentMiB(),
            sampleSeconds: sampleSeconds)
    }
}

/// The process's peak resident memory so far, in MiB.
public func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
