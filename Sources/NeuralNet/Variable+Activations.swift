import Foundation
import TensorCore

// Each rule is written out with its own closure literal so that the elementwise
// loop is specialized and vectorized, not a call through a stored closure per element.
extension Variable {
    public func exp() -> Variable {
        let y = value.exp()
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y, *)) }
    }

    public func log() -> Variable {
        let x = value
        return Variable.record(x.log(), parents: [self]) { [self] g in accumulate(g.zipMap(x, /)) }
    }

    public func tanh() -> Variable {
        let y = value.tanh()
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y) { $0 * (1 - $1 * $1) }) }
    }

    public func sigmoid() -> Variable {
        let y = value.sigmoid()
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y) { $0 * $1 * (1 - $1) }) }
    }

    public func relu() -> Variable {
        let y = value.relu()
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y) { $1 > 0 ? $0 : 0 }) }
    }

    public func leakyRelu(slope: Float = 0.01) -> Variable {
        let y = value.leakyRelu(slope: slope)
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y) { $1 > 0 ? $0 : $0 * slope }) }
    }

    public func softplus() -> Variable {
        let x = value
        return Variable.record(x.softplus(), parents: [self]) { [self] g in
            accumulate(g.zipMap(x) { $0 * Tensor.sigmoid($1) })
        }
    }

    public func square() -> Variable {
        let x = value
        return Variable.record(x.square(), parents: [self]) { [self] g in accumulate(g.zipMap(x) { 2 * $0 * $1 }) }
    }

    public func sqrt() -> Variable {
        let y = value.sqrt()
        return Variable.record(y, parents: [self]) { [self] g in accumulate(g.zipMap(y) { 0.5 * $0 / $1 }) }
    }

    /// Limits every element to `[low, high]`; the gradient is zero where the limit applies.
    public func clamped(min low: Float, max high: Float) -> Variable {
        let x = value
        return Variable.record(x.clamped(min: low, max: high), parents: [self]) { [self] g in
            accumulate(g.zipMap(x) { $1 >= low && $1 <= high ? $0 : 0 })
        }
    }
}
