import TensorCore

/// How a layer's weights are drawn at creation.
public enum WeightInitialization: String, Codable, Sendable {
    /// He (Kaiming) normal: standard deviation sqrt(2 / inputs), for ReLU-like activations.
    case he
    /// Xavier (Glorot) uniform: bound sqrt(6 / (inputs + outputs)), for tanh/sigmoid/linear.
    case xavier
    /// PyTorch's default for `Linear` and convolutions (Kaiming uniform with a = √5): bound
    /// 1 / sqrt(fan-in). The convolutional image models use it: with the larger He draws
    /// the DCGAN's discriminator wins within an epoch and the generator collapses.
    case pytorch
}

/// A fully connected layer `y = x Wᵀ + b` with PyTorch's weight layout `[outputs, inputs]`.
public final class Linear: Layer {
    /// `[outputs, inputs]`.
    public let weight: Variable
    /// `[outputs]`.
    public let bias: Variable

    /// Creates a layer with seeded initial weights and zero bias.
    public init(inputs: Int, outputs: Int, initialization: WeightInitialization = .he, using rng: inout SeededRNG) {
        precondition(inputs > 0 && outputs > 0, "Linear(\(inputs) -> \(outputs)) needs positive sizes")
        let weights = initialWeights([outputs, inputs], fanIn: inputs, fanOut: outputs, initialization, using: &rng)
        weight = Variable(weights, requiresGradient: true)
        bias = Variable(Tensor.zeros([outputs]), requiresGradient: true)
    }

    public var inputs: Int { weight.shape[1] }
    public var outputs: Int { weight.shape[0] }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try input.linear(weight: weight, bias: bias)
    }

    public func namedParameters() -> [NamedVariable] { [("weight", weight), ("bias", bias)] }
}
