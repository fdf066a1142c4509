import TensorCore

/// An elementwise nonlinearity as a layer.
public final class Activation: Layer {
    /// The function applied.
    public enum Kind: Equatable, Sendable {
        case relu
        case leakyRelu(slope: Float)
        case sigmoid
        case tanh
        case softplus
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        switch kind {
        case .relu: input.relu()
        case .leakyRelu(let slope): input.leakyRelu(slope: slope)
        case .sigmoid: input.sigmoid()
        case .tanh: input.tanh()
        case .softplus: input.softplus()
        }
    }

    public func namedParameters() -> [NamedVariable] { [] }
}

/// Zeroes each element with probability `rate` while training, scaling the rest by
/// `1 / (1 - rate)`; the identity in evaluation mode.
public final class Dropout: Layer {
    public let rate: Float
    private var rng: SeededRNG
    private var training = true

    /// - Parameters:
    ///   - rate: drop probability in [0, 1).
    ///   - rng: the generator the masks are drawn from (owned by the layer from here on).
    public init(rate: Float, rng: SeededRNG) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.rng = rng
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard training, rate > 0 else { return input }
        let keep = 1 / (1 - rate)
        let mask = Tensor.build(shape: input.shape) { out in
            for i in out.indices { out[i] = rng.uniform() < rate ? 0 : keep }
        }
        return try input * Variable(mask)
    }

    public func namedParameters() -> [NamedVariable] { [] }
    public func setTraining(_ training: Bool) { self.training = training }
}
