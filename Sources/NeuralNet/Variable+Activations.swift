import Foundation
import TensorCore

extension Variable {
    /// Records a unary elementwise operation whose derivative is a function of input and output.
    /// - Parameter derivative: `(x, y) -> dy/dx`.
    private func elementwise(
        _ forward: (Tensor) -> Tensor, derivative: @escaping (Float, Float) -> Float
    ) -> Variable {
        let x = value
        let y = forward(x)
        return Variable.record(y, parents: [self]) { [self] g in
            accumulate(g.zipMap(x, y) { g, x, y in g * derivative(x, y) })
        }
    }

    /// Records a unary elementwise operation whose derivative depends on the output only.
    /// - Parameter derivative: `y -> dy/dx`.
    private func elementwiseOfOutput(
        _ forward: (Tensor) -> Tensor, derivative: @escaping (Float) -> Float
    ) -> Variable {
        let y = forward(value)
        return Variable.record(y, parents: [self]) { [self] g in
            accumulate(g.zipMap(y) { g, y in g * derivative(y) })
        }
    }

    public func exp() -> Variable { elementwiseOfOutput({ $0.exp() }, derivative: { $0 }) }
    public func log() -> Variable { elementwise({ $0.log() }, derivative: { x, _ in 1 / x }) }
    public func tanh() -> Variable { elementwiseOfOutput({ $0.tanh() }, derivative: { 1 - $0 * $0 }) }
    public func sigmoid() -> Variable { elementwiseOfOutput({ $0.sigmoid() }, derivative: { $0 * (1 - $0) }) }
    public func relu() -> Variable { elementwiseOfOutput({ $0.relu() }, derivative: { $0 > 0 ? 1 : 0 }) }
    public func leakyRelu(slope: Float = 0.01) -> Variable {
        elementwiseOfOutput({ $0.leakyRelu(slope: slope) }, derivative: { $0 > 0 ? 1 : slope })
    }
    public func softplus() -> Variable { elementwise({ $0.softplus() }, derivative: { x, _ in Tensor.sigmoid(x) }) }
    public func square() -> Variable { elementwise({ $0.square() }, derivative: { x, _ in 2 * x }) }
    public func sqrt() -> Variable { elementwiseOfOutput({ $0.sqrt() }, derivative: { 0.5 / $0 }) }
    /// Limits every element to `[low, high]`; the gradient is zero where the limit applies.
    public func clamped(min low: Float, max high: Float) -> Variable {
        elementwise({ $0.clamped(min: low, max: high) }, derivative: { x, _ in x >= low && x <= high ? 1 : 0 })
    }
}
