import Foundation
import NeuralNet
import TensorCore

/// A linear layer whose weight is divided by its largest singular value (Miyato et
/// al. 2018), estimated by one power-iteration step per training call; the
/// normalization is differentiated through `sigma = uᵀ W v` with `u`, `v` held fixed.
public final class SpectralLinear: Layer {
    public let weight: Variable
    public let bias: Variable
    /// The power iteration's left vector, kept between calls (saved as a buffer).
    public let leftVector: Variable
    private var training = true

    public init(inputs: Int, outputs: Int, using rng: inout SeededRNG) {
        let plain = Linear(inputs: inputs, outputs: outputs, initialization: .xavier, using: &rng)
        weight = plain.weight
        bias = plain.bias
        let u = Tensor.normal([outputs], using: &rng)
        leftVector = Variable(u.scaled(by: 1 / max(u.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)))
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        let w = weight.value  // [outputs, inputs]
        var u = try leftVector.value.reshaped([1, w.shape[0]])
        var v = try u.matmul(w)  // [1, inputs]
        v = v.scaled(by: 1 / max(v.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12))
        if training {
            u = try v.matmul(w, transposeOther: true)  // [1, outputs]
            u = u.scaled(by: 1 / max(u.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12))
            leftVector.assign(try u.reshaped([w.shape[0]]))
        }
        return try input.linear(weight: try SpectralLinear.normalize(weight, left: u, right: v), bias: bias)
    }

    /// `weight / sigma` with `sigma = uᵀ W v`, differentiable in `weight` (u and v fixed).
    /// - Parameters:
    ///   - left: `[1, outputs]`.
    ///   - right: `[1, inputs]`.
    public static func normalize(_ weight: Variable, left: Tensor, right: Tensor) throws -> Variable {
        let sigma = try (Variable(left) * (try Variable(right).matmul(weight, transposeOther: true))).sum()
        return try weight / sigma
    }

    public func namedParameters() -> [NamedVariable] { [("weight", weight), ("bias", bias)] }
    public func namedBuffers() -> [NamedVariable] { [("u", leftVector)] }
    public func setTraining(_ training: Bool) { self.training = training }
}
