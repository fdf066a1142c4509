import Foundation
import TensorCore

/// Updates parameters from their gradients. Implementations hold per-parameter
/// state keyed by the parameter's path; parameters without a gradient are skipped.
public protocol Optimizer {
    /// Applies one update to every parameter that has a gradient.
    mutating func step(_ parameters: [NamedVariable])
}

/// Scales all gradients together so that their joint L2 norm is at most `maxNorm`.
/// - Returns: the norm before clipping (NaN or infinity when a gradient is not finite).
@discardableResult
public func clipGradientNorm(_ parameters: [NamedVariable], maxNorm: Float) -> Float {
    var total: Double = 0
    for (_, parameter) in parameters {
        guard let gradient = parameter.gradient else { continue }
        gradient.withUnsafeBufferPointer { g in
            for v in g { total += Double(v) * Double(v) }
        }
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm, norm.isFinite {
        let factor = maxNorm / (norm + 1e-6)
        for (_, parameter) in parameters {
            guard var gradient = parameter.gradient else { continue }
            parameter.gradient = nil
            gradient.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= factor }
            }
            parameter.gradient = gradient
        }
    }
    return norm
}

/// Stochastic gradient descent with optional momentum and L2 weight decay.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    private var velocity: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [NamedVariable]) {
        for (path, parameter) in parameters {
            guard let gradient = parameter.gradient else { continue }
            var v = velocity.removeValue(forKey: path) ?? Tensor.zeros(parameter.shape)
            let (rate, mu, decay) = (learningRate, momentum, weightDecay)
            parameter.update { value in
                value.withUnsafeMutableBufferPointer { w in
                    gradient.withUnsafeBufferPointer { g in
                        v.withUnsafeMutableBufferPointer { v in
                            for i in w.indices {
                                let d = g[i] + decay * w[i]
                                v[i] = mu * v[i] + d
                                w[i] -= rate * v[i]
                            }
                        }
                    }
                }
            }
            velocity[path] = v
        }
    }
}

/// Adam (Kingma & Ba, 2015) with bias correction and optional L2 weight decay
/// (added to the gradient, as PyTorch's `Adam` does); one fused pass per parameter.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Steps taken so far.
    public private(set) var stepCount = 0
    private var moments: [String: (first: Tensor, second: Tensor)] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [NamedVariable]) {
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = Float(1 - Foundation.pow(Double(beta1), t))
        let correction2 = Float(1 - Foundation.pow(Double(beta2), t))
        let stepSize = learningRate / correction1
        let rootCorrection2 = correction2.squareRoot()
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        for (path, parameter) in parameters {
            guard let gradient = parameter.gradient else { continue }
            var (m, v) = moments.removeValue(forKey: path)
                ?? (Tensor.zeros(parameter.shape), Tensor.zeros(parameter.shape))
            parameter.update { value in
                value.withUnsafeMutableBufferPointer { w in
                    gradient.withUnsafeBufferPointer { g in
                        m.withUnsafeMutableBufferPointer { m in
                            v.withUnsafeMutableBufferPointer { v in
                                for i in w.indices {
                                    let d = g[i] + decay * w[i]
                                    m[i] = b1 * m[i] + (1 - b1) * d
                                    v[i] = b2 * v[i] + (1 - b2) * d * d
                                    w[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
                                }
                            }
                        }
                    }
                }
            }
            moments[path] = (m, v)
        }
    }
}
