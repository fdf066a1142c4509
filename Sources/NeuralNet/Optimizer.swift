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
        let constants = UpdateConstants(
            beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            stepSize: learningRate / correction1, inverseRootCorrection2: 1 / correction2.squareRoot())
        for (path, parameter) in parameters {
            guard let gradient = parameter.gradient else { continue }
            var (m, v) = moments.removeValue(forKey: path)
                ?? (Tensor.zeros(parameter.shape), Tensor.zeros(parameter.shape))
            let count = gradient.count
            parameter.update { value in
                value.withUnsafeMutableBufferPointer { w in
                    gradient.withUnsafeBufferPointer { g in
                        m.withUnsafeMutableBufferPointer { m in
                            v.withUnsafeMutableBufferPointer { v in
                                Adam.update(count: count, weights: w.baseAddress, gradients: g.baseAddress,
                                            first: m.baseAddress, second: v.baseAddress, constants: constants)
                            }
                        }
                    }
                }
            }
            moments[path] = (m, v)
        }
    }

    /// The per-step scalars of the update rule, passed by value so the loop keeps them in registers.
    struct UpdateConstants {
        let beta1, beta2, epsilon, weightDecay, stepSize, inverseRootCorrection2: Float
    }

    /// The fused update of one parameter: moments, bias correction and the step in one pass.
    @inline(never)
    static func update(
        count: Int, weights: UnsafeMutablePointer<Float>?, gradients: UnsafePointer<Float>?,
        first: UnsafeMutablePointer<Float>?, second: UnsafeMutablePointer<Float>?, constants c: UpdateConstants
    ) {
        guard let w = weights, let g = gradients, let m = first, let v = second else { return }
        // Large parameters are split over the cores in chunks that are multiples of 8.
        Parallelism.forEachChunk(count: count / 8, grain: 1 << 13) { blocks in
            let start = blocks.lowerBound * 8
            let end = blocks.upperBound * 8 == (count / 8) * 8 ? count : blocks.upperBound * 8
            updateRange(end - start, w + start, g + start, m + start, v + start, c)
        }
    }

    @inline(__always)
    private static func updateRange(
        _ count: Int, _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ c: UpdateConstants
    ) {
        typealias Lanes = SIMD8<Float>
        let width = Lanes.scalarCount
        let vectorEnd = count - count % width
        let (b1, b2, eps, decay) = (Lanes(repeating: c.beta1), Lanes(repeating: c.beta2),
                                    Lanes(repeating: c.epsilon), Lanes(repeating: c.weightDecay))
        let (stepSize, scale) = (Lanes(repeating: c.stepSize), Lanes(repeating: c.inverseRootCorrection2))
        let one = Lanes(repeating: 1)
        var i = 0
        while i < vectorEnd {
            let wi = UnsafeRawPointer(w + i).loadUnaligned(as: Lanes.self)
            let d = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self) + decay * wi
            let mi = b1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self) + (one - b1) * d
            let vi = b2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self) + (one - b2) * d * d
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(w + i).storeBytes(of: wi - stepSize * mi / (vi.squareRoot() * scale + eps), as: Lanes.self)
            i += width
        }
        while i < count {
            let d = g[i] + c.weightDecay * w[i]
            m[i] = c.beta1 * m[i] + (1 - c.beta1) * d
            v[i] = c.beta2 * v[i] + (1 - c.beta2) * d * d
            w[i] -= c.stepSize * m[i] / (v[i].squareRoot() * c.inverseRootCorrection2 + c.epsilon)
            i += 1
        }
    }
}
