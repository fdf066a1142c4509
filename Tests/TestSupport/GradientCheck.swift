import NeuralNet
import TensorCore

/// The largest disagreement between analytic and central-difference gradients.
public struct GradientCheckResult: CustomStringConvertible {
    public var worstError: Float = 0
    public var worstPlace = ""
    public var description: String { "worst error \(worstError) at \(worstPlace)" }
}

/// Compares the gradients that `backward()` computes for `function` with central
/// finite differences. The function's output is weighted by fixed random numbers
/// and summed, so every output element contributes a different amount.
/// - Parameters:
///   - inputs: values of the differentiable arguments.
///   - step: the finite-difference step.
///   - function: builds the output from variables made from `inputs`.
/// - Returns: the worst error, scaled as `|analytic - numeric| / max(1, |numeric|)`.
public func checkGradients(
    _ inputs: [Tensor], step: Float = 1e-2, seed: UInt64 = 99,
    _ function: ([Variable]) throws -> Variable
) throws -> GradientCheckResult {
    let variables = inputs.map { Variable($0, requiresGradient: true) }
    let output = try function(variables)
    var rng = SeededRNG(seed: seed)
    let weights = Tensor.uniform(output.shape, low: 0.5, high: 1.5, using: &rng)
    func loss(_ values: [Tensor]) throws -> Double {
        let out = try function(values.map { Variable($0) }).value
        var total: Double = 0
        for (o, w) in zip(out.scalars, weights.scalars) { total += Double(o) * Double(w) }
        return total
    }
    try (output * Variable(weights)).sum().backward()
    var result = GradientCheckResult()
    for (which, input) in inputs.enumerated() {
        let analytic = variables[which].gradient ?? Tensor.zeros(input.shape)
        for i in 0..<input.count {
            var plus = inputs, minus = inputs
            var up = input.scalars, down = input.scalars
            up[i] += step
            down[i] -= step
            plus[which] = try Tensor(shape: input.shape, scalars: up)
            minus[which] = try Tensor(shape: input.shape, scalars: down)
            let numeric = Float((try loss(plus) - loss(minus)) / Double(2 * step))
            let error = abs(analytic.scalars[i] - numeric) / max(1, abs(numeric))
            if error > result.worstError {
                result.worstError = error
                result.worstPlace = "input \(which) element \(i): analytic \(analytic.scalars[i]), numeric \(numeric)"
            }
        }
    }
    return result
}

/// A tensor of uniform values whose magnitude is at least `margin` (away from kinks at 0).
public func awayFromZero(_ shape: [Int], margin: Float = 0.1, using rng: inout SeededRNG) -> Tensor {
    Tensor.uniform(shape, low: -1, high: 1, using: &rng).map { $0 >= 0 ? $0 + margin : $0 - margin }
}
