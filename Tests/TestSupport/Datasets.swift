import Foundation
import TensorCore

/// Two interleaved half-moons with Gaussian noise: `[count, 2]` points and 0/1 labels.
public func twoMoons(count: Int, noise: Float = 0.1, using rng: inout SeededRNG) -> (points: Tensor, labels: Tensor) {
    var points: [Float] = []
    var labels: [Float] = []
    for i in 0..<count {
        let upper = i % 2 == 0
        let angle = Float.pi * rng.uniform()
        let x = upper ? cos(angle) : 1 - cos(angle)
        let y = upper ? sin(angle) : 0.5 - sin(angle)
        points += [x + noise * rng.normal(), y + noise * rng.normal()]
        labels.append(upper ? 0 : 1)
    }
    return (try! Tensor(shape: [count, 2], scalars: points), try! Tensor(shape: [count, 1], scalars: labels))
}

/// Rows lying near a `rank`-dimensional subspace of `[count, width]`, scaled into (0, 1).
public func lowRankRows(count: Int, width: Int, rank: Int, using rng: inout SeededRNG) throws -> Tensor {
    let factors = Tensor.normal([count, rank], using: &rng)
    let basis = Tensor.normal([rank, width], standardDeviation: 0.3, using: &rng)
    return try factors.matmul(basis).sigmoid()
}
