import Foundation
import NeuralNet
import TensorCore

/// One affine coupling layer of RealNVP (Dinh et al. 2017): half of the columns pass
/// through unchanged and condition a scale and shift of the other half,
/// `y_b = x_b * exp(tanh(s)) + t`, with `log|det J| = sum(tanh(s))`.
public final class AffineCoupling: Module {
    /// Columns that pass through (the conditioning half), in order.
    public let conditioning: [Int]
    /// Columns that are transformed.
    public let transformed: [Int]
    /// Maps the conditioning half (plus any condition columns) to `[s, t]`.
    public let network: Sequential
    /// Whether the second half conditions (and the first is transformed).
    private let flip: Bool
    private let half: Int

    /// - Parameters:
    ///   - dimensions: columns of the data.
    ///   - conditions: extra columns (e.g. a one-hot class) fed to the network.
    ///   - flip: which half conditions (alternate between layers).
    public init(dimensions: Int, hidden: Int, conditions: Int = 0, flip: Bool, using rng: inout SeededRNG) {
        precondition(dimensions >= 2, "a coupling needs at least 2 columns, got \(dimensions)")
        half = dimensions / 2
        self.flip = flip
        let first = Array(0..<half), second = Array(half..<dimensions)
        (conditioning, transformed) = flip ? (second, first) : (first, second)
        network = Sequential([
            Linear(inputs: conditioning.count + conditions, outputs: hidden, using: &rng), Activation(.relu),
            Linear(inputs: hidden, outputs: hidden, using: &rng), Activation(.relu),
            Linear(inputs: hidden, outputs: 2 * transformed.count, initialization: .xavier, using: &rng),
        ])
        // Start as the identity map: zero the last layer so s = t = 0.
        if let last = network.layers.last as? Linear {
            last.weight.assign(Tensor.zeros(last.weight.shape))
        }
    }

    public func namedParameters() -> [NamedVariable] { prefixed("net", network.namedParameters()) }

    /// The scale (after tanh) and shift for the given conditioning columns.
    private func scaleAndShift(_ kept: Variable, condition: Variable?) throws -> (Variable, Variable) {
        let input = try condition.map { try Variable.concatColumns([kept, $0]) } ?? kept
        let parts = try network(input).splitColumns([transformed.count, transformed.count])
        return (parts[0].tanh(), parts[1])
    }

    /// Data → latent direction.
    /// - Returns: the output (columns in the same layout) and `log|det J|` per row, `[batch, 1]`.
    public func forward(_ x: Variable, condition: Variable? = nil) throws -> (Variable, Variable) {
        let (kept, moved) = try split(x)
        let (s, t) = try scaleAndShift(kept, condition: condition)
        let y = try moved * s.exp() + t
        return (try join(kept, y), try s.sum(axis: 1))
    }

    /// Latent → data direction.
    public func inverse(_ y: Variable, condition: Variable? = nil) throws -> Variable {
        let (kept, moved) = try split(y)
        let (s, t) = try scaleAndShift(kept, condition: condition)
        return try join(kept, try (moved - t) * (-s).exp())
    }

    /// The conditioning and the transformed columns of `x`.
    private func split(_ x: Variable) throws -> (kept: Variable, moved: Variable) {
        let parts = try x.splitColumns([half, conditioning.count + transformed.count - half])
        return flip ? (parts[1], parts[0]) : (parts[0], parts[1])
    }

    private func join(_ kept: Variable, _ moved: Variable) throws -> Variable {
        try Variable.concatColumns(flip ? [moved, kept] : [kept, moved])
    }
}

/// Activation normalization (Kingma & Dhariwal 2018): a per-column affine map
/// `y = (x + bias) * exp(logScale)`, initialized from the first training batch so that
/// its output has zero mean and unit variance (columns whose deviation is below 0.1 are
/// scaled as if it were 0.1); `log|det J| = sum(logScale)`.
public final class ActNorm: Module {
    public let bias: Variable
    public let logScale: Variable
    /// 1 once the data-dependent initialization has run (saved, so a loaded flow keeps it).
    public let initialized: Variable
    private var training = true

    public init(dimensions: Int) {
        bias = Variable(Tensor.zeros([dimensions]), requiresGradient: true)
        logScale = Variable(Tensor.zeros([dimensions]), requiresGradient: true)
        initialized = Variable(Tensor.zeros([1]))
    }

    public func namedParameters() -> [NamedVariable] { [("bias", bias), ("log_scale", logScale)] }
    public func namedBuffers() -> [NamedVariable] { [("initialized", initialized)] }
    public func setTraining(_ training: Bool) { self.training = training }

    /// Data → latent; returns the output and `log|det J|` per row, `[batch, 1]`.
    public func forward(_ x: Variable) throws -> (Variable, Variable) {
        if training, initialized.value.scalar == 0, x.value.rows > 1 {
            let mean = try x.value.mean(axis: 0)
            let centered = try x.value - mean
            let deviation = try centered.square().mean(axis: 0).sqrt()
            bias.assign(try mean.scaled(by: -1).reshaped(bias.shape))
            // A floor on the deviation: a column nearly constant in the first batch must not get a huge scale.
            logScale.assign(try deviation.map { -Foundation.log(Swift.max($0, 0.1)) }.reshaped(logScale.shape))
            initialized.assign(Tensor(repeating: 1, shape: [1]))
        }
        let y = try (x + bias) * logScale.exp()
        let logDet = try logScale.sum().reshaped([1, 1])
        return (y, try Variable(Tensor.zeros([x.value.rows, 1])) + logDet)
    }

    /// Latent → data.
    public func inverse(_ y: Variable) throws -> Variable {
        try y * (-logScale).exp() - bias
    }
}

/// A RealNVP normalizing flow: alternating affine couplings (each after an optional
/// actnorm) over a standard normal base, with exact log-likelihood and sampling at a
/// temperature.
public final class RealNVP: Module {
    public let dimensions: Int
    public let couplings: [AffineCoupling]
    /// One per coupling, or none.
    public let norms: [ActNorm]

    public init(dimensions: Int, couplings count: Int = 8, hidden: Int = 128, conditions: Int = 0, actnorm: Bool = false,
                using rng: inout SeededRNG) {
        self.dimensions = dimensions
        couplings = (0..<count).map { AffineCoupling(dimensions: dimensions, hidden: hidden, conditions: conditions, flip: $0 % 2 == 1, using: &rng) }
        norms = actnorm ? (0..<count).map { _ in ActNorm(dimensions: dimensions) } : []
    }

    public func namedParameters() -> [NamedVariable] {
        couplings.enumerated().flatMap { prefixed("layers.\($0.offset)", $0.element.namedParameters()) }
            + norms.enumerated().flatMap { prefixed("norms.\($0.offset)", $0.element.namedParameters()) }
    }

    public func namedBuffers() -> [NamedVariable] {
        norms.enumerated().flatMap { prefixed("norms.\($0.offset)", $0.element.namedBuffers()) }
    }

    public func setTraining(_ training: Bool) { norms.forEach { $0.setTraining(training) } }

    /// Log-density of each row, `[batch, 1]`: standard normal base plus the log-determinants.
    public func logLikelihood(_ x: Variable, condition: Variable? = nil) throws -> Variable {
        var z = x
        var logDeterminant: Variable?
        for (index, coupling) in couplings.enumerated() {
            if index < norms.count {
                let (normalized, logDet) = try norms[index].forward(z)
                z = normalized
                logDeterminant = try logDeterminant.map { try $0 + logDet } ?? logDet
            }
            let (next, logDet) = try coupling.forward(z, condition: condition)
            z = next
            logDeterminant = try logDeterminant.map { try $0 + logDet } ?? logDet
        }
        let base = try z.square().sum(axis: 1).shifted(by: Float(Double(dimensions) * Foundation.log(2 * Double.pi))).scaled(by: -0.5)
        return try logDeterminant.map { try base + $0 } ?? base
    }

    /// Draws rows: base normals times `temperature`, mapped through the inverse flow.
    public func sample(_ count: Int, temperature: Float = 1, condition: Tensor? = nil, using rng: inout SeededRNG) throws -> Tensor {
        var z = Variable(Tensor.normal([count, dimensions], standardDeviation: temperature, using: &rng))
        let conditionVariable = condition.map { Variable($0) }
        for (index, coupling) in couplings.enumerated().reversed() {
            z = try coupling.inverse(z, condition: conditionVariable)
            if index < norms.count { z = try norms[index].inverse(z) }
        }
        return z.value
    }
}
