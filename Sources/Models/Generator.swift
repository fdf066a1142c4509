import Datasets
import Foundation
import NeuralNet
import TensorCore

/// What a generator is asked to make.
public struct SampleRequest: Sendable {
    public var count: Int
    /// For conditional models: the class to draw (1 = anomaly); nil for an unconditional model.
    public var label: UInt8?
    /// Scales the latent draws (flows, VAEs): above 1 reaches into the tails.
    public var temperature: Float = 1

    public init(count: Int, label: UInt8? = nil, temperature: Float = 1) {
        self.count = count
        self.label = label
        self.temperature = temperature
    }
}

/// Loss per epoch, saved with the model and plotted in reports.
public struct TrainingHistory: Codable, Equatable, Sendable {
    public var trainLoss: [Double] = []
    public var validationLoss: [Double] = []
    /// The epoch whose weights were kept (early stopping), 0-based.
    public var bestEpoch: Int?

    enum CodingKeys: String, CodingKey {
        case trainLoss = "train_loss"
        case validationLoss = "validation_loss"
        case bestEpoch = "best_epoch"
    }

    public init() {}
}

/// A model of model-space rows that can make new ones.
public protocol Generator: AnyObject {
    /// `smote`, `vae`, `flow`, `gan`.
    var kind: String { get }
    /// Learns from the rows (and, for conditional models, their labels).
    func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory
    /// Draws rows in model space, `[count, columns]`.
    func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor
    /// The settings as JSON and the learned state, for `GeneratorStore`.
    func exportState() throws -> (config: String, tensors: [String: Tensor])
    /// Whether it has convolutional networks for image samples (`architecture`).
    var hasConvolutionalForm: Bool { get }
}

extension Generator {
    public var hasConvolutionalForm: Bool { false }
}

/// The training loop's settings, shared by the neural generators and detectors. Its
/// defaults are the pipeline's (`GeneratorSettings` and `DetectorSettings` read them here).
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var epochs = 200
    public var batchSize = 128
    public var learningRate = Float(defaultLearningRate)
    /// Adam's default step size as the pipelines write it (a Double: 1e-3, not Float's 0.0010000000475).
    public static let defaultLearningRate = 1e-3
    /// The pipelines' cap on batches over all epochs (2.56 million rows seen at batch 128):
    /// a fold of 160,000 rows stops after 16 epochs; data up to about 17,000 rows never
    /// reach it at 150 epochs. (The library's own default is no cap.)
    public static let defaultMaxSteps = 20_000
    /// Share of rows held out to pick the best epoch (0: no early stopping).
    public var validationFraction: Double = 0
    /// Epochs without improvement before stopping (with a validation part).
    public var patience = 20
    /// Most optimizer steps over all epochs (nil: no cap): large data stop after this many
    /// batches, so training time stops growing with the rows.
    public var maxSteps: Int?

    public init() {}

    public init(epochs: Int, batchSize: Int, learningRate: Float, patience: Int, validationFraction: Double = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.patience = patience
        self.validationFraction = validationFraction
    }

    enum CodingKeys: String, CodingKey {
        case epochs, patience
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case validationFraction = "validation_fraction"
        case maxSteps = "max_steps"
    }
}

/// Where training loops report how far they are (a fraction of their epochs), for the
/// pipeline's progress bar: a handler bound to the calling thread around a `fit` call.
/// (Per thread rather than a `@TaskLocal`: stages run on Dispatch threads outside any
/// task, where binding a task-local crashes in optimized builds of Swift 6.3.)
public enum TrainingProgress {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handlers: [ObjectIdentifier: @Sendable (Double) -> Void] = [:]  // guarded by lock

    /// Runs `body` with `handler` receiving this thread's training progress.
    public static func reporting<R>(to handler: @escaping @Sendable (Double) -> Void, _ body: () throws -> R) rethrows -> R {
        let thread = ObjectIdentifier(Thread.current)
        lock.withLock { handlers[thread] = handler }
        defer { lock.withLock { handlers[thread] = nil } }
        return try body()
    }

    /// Reports a fraction in [0, 1] to the handler bound to this thread, if any.
    static func report(_ fraction: Double) {
        let thread = ObjectIdentifier(Thread.current)
        lock.withLock { handlers[thread] }?(fraction)
    }
}

/// The training loop shared by the neural generators: shuffled mini-batches, an
/// optional held-out part for early stopping (best weights restored), and a clear
/// error naming the epoch when the loss stops being finite.
enum TrainingLoop {
    /// - Parameters:
    ///   - rows: number of training rows.
    ///   - step: trains on a batch of row indices and returns the batch loss.
    ///   - validate: the loss on the held-out rows, when there are any.
    ///   - validateExternal: the loss on a validation set of the caller's (instead of held-out rows).
    static func run(
        model: any Module, name: String, rows: Int, settings: TrainingSettings, using rng: inout SeededRNG,
        step: ([Int], inout SeededRNG) throws -> Double, validate: (([Int]) throws -> Double)? = nil,
        validateExternal: (() throws -> Double)? = nil
    ) throws -> TrainingHistory {
        guard settings.epochs >= 1, settings.batchSize >= 1 else {
            throw ModelError("\(name): epochs and batch_size must be at least 1")
        }
        var order = rng.permutation(rows)
        let held = validate == nil || validateExternal != nil ? 0 : Int(Double(rows) * settings.validationFraction)
        let validation = Array(order.prefix(held))
        order.removeFirst(held)
        guard !order.isEmpty else { throw ModelError("\(name): no training rows") }
        var history = TrainingHistory()
        var best = Double.infinity, bestState: [String: Tensor]?, stale = 0
        defer { model.setTraining(false) }
        var steps = 0
        for epoch in 0..<settings.epochs {
            model.setTraining(true)
            rng.shuffle(&order)
            var total = 0.0, batches = 0
            for start in stride(from: 0, to: order.count, by: settings.batchSize) where steps < settings.maxSteps ?? .max {
                steps += 1
                let loss = try step(Array(order[start..<min(order.count, start + settings.batchSize)]), &rng)
                guard loss.isFinite else {
                    throw ModelError("\(name): the loss diverged (\(loss)) at epoch \(epoch + 1); lower learning_rate or check the data for extreme values")
                }
                total += loss
                batches += 1
            }
            history.trainLoss.append(total / Double(batches))
            let capped = steps >= settings.maxSteps ?? .max
            TrainingProgress.report(capped ? 1 : Double(epoch + 1) / Double(settings.epochs))
            let check: (() throws -> Double)? = validateExternal ?? validate.flatMap { validate in
                validation.isEmpty ? nil : { try validate(validation) }
            }
            if let check {
                model.setTraining(false)
                let loss = try check()
                history.validationLoss.append(loss)
                if loss < best {
                    best = loss
                    stale = 0
                    history.bestEpoch = epoch
                    bestState = Dictionary(uniqueKeysWithValues: model.namedState().map { ($0.path, $0.variable.value) })
                } else {
                    stale += 1
                    if stale >= settings.patience { break }
                }
            }
            if capped { break }
        }
        if let bestState { try model.loadState(bestState, source: name) }
        return history
    }
}
