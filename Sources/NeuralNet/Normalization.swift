import TensorCore

/// Batch normalization over the rows of a `[batch, features]` input, with a learned
/// scale and shift and running statistics for evaluation (PyTorch's `BatchNorm1d`).
public class BatchNorm1d: Layer {
    public let weight: Variable
    public let bias: Variable
    public let runningMean: Variable
    public let runningVariance: Variable
    public let momentum: Float
    public let epsilon: Float
    /// Whether batches normalize by their own statistics (and update the running ones).
    private(set) var training = true

    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Variable(Tensor(repeating: 1, shape: [features]), requiresGradient: true)
        bias = Variable(Tensor.zeros([features]), requiresGradient: true)
        runningMean = Variable(Tensor.zeros([features]))
        runningVariance = Variable(Tensor(repeating: 1, shape: [features]))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        let rows = input.value.rows
        let normalized: Variable
        if training && rows > 1 {
            let mean = try input.mean(axis: 0)
            let centered = try input - mean
            let variance = try centered.square().mean(axis: 0)
            normalized = try centered / variance.shifted(by: epsilon).sqrt()
            try updateRunningStatistics(mean: mean.value, variance: variance.value, count: rows)
        } else {
            let scale = runningVariance.value.map { 1 / ($0 + epsilon).squareRoot() }
            normalized = try (input - Variable(runningMean.value)) * Variable(scale)
        }
        return try normalized * weight + bias
    }

    /// Moves the running statistics towards a batch's (the variance made unbiased over `count` values).
    func updateRunningStatistics(mean: Tensor, variance: Tensor, count: Int) throws {
        let unbiased = try variance.scaled(by: Float(count) / Float(count - 1)).reshaped(runningVariance.shape)
        let m = momentum
        runningMean.assign(runningMean.value.zipMap(try mean.reshaped(runningMean.shape)) { (1 - m) * $0 + m * $1 })
        runningVariance.assign(runningVariance.value.zipMap(unbiased) { (1 - m) * $0 + m * $1 })
    }

    public func namedParameters() -> [NamedVariable] { [("weight", weight), ("bias", bias)] }
    public func namedBuffers() -> [NamedVariable] { [("running_mean", runningMean), ("running_var", runningVariance)] }
    public func setTraining(_ training: Bool) { self.training = training }
}

/// Layer normalization over the features of each row, with a learned scale and shift.
public final class LayerNorm: Layer {
    public let weight: Variable
    public let bias: Variable
    public let epsilon: Float

    public init(features: Int, epsilon: Float = 1e-5) {
        weight = Variable(Tensor(repeating: 1, shape: [features]), requiresGradient: true)
        bias = Variable(Tensor.zeros([features]), requiresGradient: true)
        self.epsilon = epsilon
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        let centered = try input - input.mean(axis: 1)
        let variance = try centered.square().mean(axis: 1)
        return try centered / variance.shifted(by: epsilon).sqrt() * weight + bias
    }

    public func namedParameters() -> [NamedVariable] { [("weight", weight), ("bias", bias)] }
}

/// Batch normalization of NCHW images per channel (over the batch and every position),
/// with a learned scale and shift per channel and running statistics for evaluation
/// (PyTorch's `BatchNorm2d`, same parameter and buffer names).
public final class BatchNorm2d: BatchNorm1d {
    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        super.init(features: channels, momentum: momentum, epsilon: epsilon)
    }

    public override func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.value.rank == 4, input.shape[1] == weight.shape[0] else {
            throw ShapeError("BatchNorm2d", "expected [batch, \(weight.shape[0]), H, W], got \(describe(input.shape))")
        }
        let perChannel = [1, input.shape[1], 1, 1]
        let values = input.shape[0] * input.shape[2] * input.shape[3]
        let normalized: Variable
        if training && values > 1 {
            let mean = try input.mean(axis: 0).mean(axis: 2).mean(axis: 3)
            let centered = try input - mean
            let variance = try centered.square().mean(axis: 0).mean(axis: 2).mean(axis: 3)
            normalized = try centered / variance.shifted(by: epsilon).sqrt()
            try updateRunningStatistics(mean: mean.value, variance: variance.value, count: values)
        } else {
            let scale = try runningVariance.value.map { 1 / ($0 + epsilon).squareRoot() }.reshaped(perChannel)
            normalized = try (input - Variable(try runningMean.value.reshaped(perChannel))) * Variable(scale)
        }
        return try normalized * weight.reshaped(perChannel) + bias.reshaped(perChannel)
    }
}
