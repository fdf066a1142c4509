import Foundation
import TensorCore

/// Loss functions. Each returns a `[]` scalar ready for `backward()`.
public enum Loss {
    /// Mean squared error over all elements, fused into one pass each way.
    /// - Throws: `ShapeError` naming both shapes when they differ.
    public static func meanSquaredError(_ prediction: Variable, _ target: Variable) throws -> Variable {
        let (p, t) = (prediction.value, target.value)
        guard p.shape == t.shape else {
            throw ShapeError("meanSquaredError", "prediction \(describe(p.shape)) vs target \(describe(t.shape))")
        }
        let scale = 1 / Float(max(p.count, 1))
        let value = p.withUnsafeBufferPointer { p in
            t.withUnsafeBufferPointer { t in
                var total: Float = 0
                for i in 0..<p.count {
                    let d = p[i] - t[i]
                    total += d * d
                }
                return total * scale
            }
        }
        return Variable.record(Tensor(scalar: value), parents: [prediction, target]) { g in
            let factor = 2 * scale * g.scalar
            if prediction.requiresGradient { prediction.accumulate(p.zipMap(t) { factor * ($0 - $1) }) }
            if target.requiresGradient { target.accumulate(p.zipMap(t) { factor * ($1 - $0) }) }
        }
    }

    /// Binary cross-entropy of logits against 0/1 (or soft) targets, averaged over
    /// all elements; computed as `max(x, 0) - x y + log(1 + e^-|x|)`, stable for any logit.
    /// - Parameter weights: per-element weights (e.g. class weights), same shape; the
    ///   result is then the weighted sum divided by the element count.
    /// - Throws: `ShapeError` naming both shapes when they differ.
    public static func binaryCrossEntropyWithLogits(_ logits: Variable, targets: Tensor, weights: Tensor? = nil) throws -> Variable {
        let x = logits.value
        guard x.shape == targets.shape else {
            throw ShapeError("binaryCrossEntropy", "logits \(describe(x.shape)) vs targets \(describe(targets.shape))")
        }
        if let weights {
            guard weights.shape == x.shape else {
                throw ShapeError("binaryCrossEntropy", "logits \(describe(x.shape)) vs weights \(describe(weights.shape))")
            }
            let scale = 1 / Float(max(x.count, 1))
            let value = zip(zip(x.scalars, targets.scalars), weights.scalars).reduce(Float(0)) { total, item in
                let ((a, y), w) = item
                return total + w * (max(a, 0) - a * y + Foundation.log1p(Foundation.exp(-abs(a))))
            } * scale
            return Variable.record(Tensor(scalar: value), parents: [logits]) { g in
                let factor = scale * g.scalar
                logits.accumulate(x.sigmoid().zipMap(targets) { $0 - $1 }.zipMap(weights) { factor * $0 * $1 })
            }
        }
        let scale = 1 / Float(max(x.count, 1))
        // Vectorized: max(x, 0) - x y + log(1 + e^-|x|), eight at a time.
        let value = x.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { y in
                var total = FastMath.Lanes(repeating: 0)
                guard let xs = x.baseAddress, let ys = y.baseAddress else { return Float(0) }
                FastMath.apply(x.count) { i, n in
                    let a = FastMath.load(xs + i, n), b = FastMath.load(ys + i, n)
                    let magnitude = a.replacing(with: -a, where: a .< 0)
                    var term = a.replacing(with: 0, where: a .< 0) - a * b + FastMath.log1pUnit(FastMath.exp(-magnitude))
                    if n < FastMath.Lanes.scalarCount { for k in n..<FastMath.Lanes.scalarCount { term[k] = 0 } }
                    total += term
                }
                return total.sum() * scale
            }
        }
        return Variable.record(Tensor(scalar: value), parents: [logits]) { g in
            let factor = scale * g.scalar
            logits.accumulate(x.sigmoid().zipMap(targets) { factor * ($0 - $1) })
        }
    }

    /// Negative log-likelihood of `x` under a diagonal Gaussian, summed over
    /// columns and averaged over rows.
    /// - Parameters:
    ///   - x: `[batch, features]`.
    ///   - mean: `[batch, features]`.
    ///   - logVariance: `[batch, features]`, or `[features]` shared by every row.
    public static func gaussianNegativeLogLikelihood(
        _ x: Variable, mean: Variable, logVariance: Variable
    ) throws -> Variable {
        let squared = try (x - mean).square()
        let scaledError = try squared * (-logVariance).exp()
        let perElement = try (scaledError + logVariance).shifted(by: Float(Foundation.log(2 * Double.pi)))
        return perElement.sum().scaled(by: 0.5 / Float(max(x.value.rows, 1)))
    }

    /// KL(N(mean, exp(logVariance)) || N(0, I)), summed over latent columns and averaged over rows.
    public static func klDivergenceFromStandardNormal(mean: Variable, logVariance: Variable) throws -> Variable {
        // -1/2 * sum(1 + log s^2 - m^2 - s^2)
        let inner = try (logVariance.shifted(by: 1) - mean.square()) - logVariance.exp()
        return inner.sum().scaled(by: -0.5 / Float(max(mean.value.rows, 1)))
    }

    /// `log(sum(exp(x)))` along an axis (kept with extent 1), shifted by the maximum for stability.
    /// - Throws: `ShapeError` when the axis is out of range.
    public static func logSumExp(_ x: Variable, axis: Int) throws -> Variable {
        let shift = Variable(try x.value.max(axis: axis))
        return try (try (x - shift).exp().sum(axis: axis).log()) + shift
    }
}
