import Datasets
import Foundation
import TensorCore

/// A Gaussian mixture with diagonal covariances, fitted by EM from a seeded k-means++
/// start; the model of normal rows behind ADBench's four anomaly types.
public final class GaussianMixture: Generator {
    public let kind = "gmm"
    public let components: Int
    public let iterations: Int
    public private(set) var weights: [Double] = []
    /// `[components][columns]`.
    public private(set) var means: [[Double]] = []
    public private(set) var variances: [[Double]] = []
    private var groups = ColumnGroups([])

    public init(components: Int = 5, iterations: Int = 100) {
        self.components = components
        self.iterations = iterations
    }

    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        guard components >= 1 else { throw ModelError("gmm: components must be at least 1, got \(components)") }
        guard data.rowCount >= components else {
            throw ModelError("gmm: \(components) components need at least as many rows, got \(data.rowCount)")
        }
        groups = ColumnGroups(data.columns)
        let n = data.rowCount, d = data.columns.count
        let x = (0..<n).map { r in (0..<d).map { Double(data.features[r, $0]) } }
        let floor = 1e-4
        // k-means++ start.
        means = [x[rng.index(below: n)]]
        while means.count < components {
            let distances = x.map { row in means.map { squared(row, $0) }.min() ?? 0 }
            let total = distances.reduce(0, +)
            var u = Double(rng.uniform()) * total, pick = n - 1
            for (i, value) in distances.enumerated() { u -= value; if u <= 0 { pick = i; break } }
            means.append(x[pick])
        }
        let overall = (0..<d).map { j in max(x.map { $0[j] }.variance, floor) }
        variances = [[Double]](repeating: overall, count: components)
        weights = [Double](repeating: 1 / Double(components), count: components)
        var history = TrainingHistory()
        var responsibilities = [[Double]](repeating: [Double](repeating: 0, count: components), count: n)
        for _ in 0..<iterations {
            var logLikelihood = 0.0
            for i in 0..<n {
                let logs = (0..<components).map { log(weights[$0]) + logDensity(x[i], $0) }
                let top = logs.max() ?? 0
                let total = top + log(logs.reduce(0) { $0 + exp($1 - top) })
                logLikelihood += total
                responsibilities[i] = logs.map { exp($0 - total) }
            }
            history.trainLoss.append(-logLikelihood / Double(n))
            for k in 0..<components {
                let mass = max(responsibilities.reduce(0) { $0 + $1[k] }, 1e-12)
                weights[k] = mass / Double(n)
                var mean = [Double](repeating: 0, count: d), spread = [Double](repeating: 0, count: d)
                for i in 0..<n {
                    let weight = responsibilities[i][k]
                    for j in 0..<d { mean[j] += weight * x[i][j] }
                }
                for j in 0..<d { mean[j] /= mass }
                for i in 0..<n {
                    let weight = responsibilities[i][k]
                    for j in 0..<d {
                        let diff = x[i][j] - mean[j]
                        spread[j] += weight * diff * diff
                    }
                }
                means[k] = mean
                variances[k] = spread.map { max($0 / mass, floor) }
            }
            if history.trainLoss.count >= 2, abs(history.trainLoss[history.trainLoss.count - 2] - history.trainLoss.last!) < 1e-6 { break }
        }
        return history
    }

    private func logDensity(_ row: [Double], _ k: Int) -> Double {
        var total = 0.0
        for j in row.indices {
            let diff = row[j] - means[k][j]
            total -= 0.5 * (log(2 * Double.pi * variances[k][j]) + diff * diff / variances[k][j])
        }
        return total
    }

    private func squared(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }

    /// Draws rows from the mixture, its covariances scaled by `varianceScale` and its
    /// means moved by `meanShift` standard deviations (ADBench's local and clustered types).
    public func draw(_ count: Int, varianceScale: Double = 1, meanShift: Double = 0, using rng: inout SeededRNG) throws -> Tensor {
        guard !means.isEmpty else { throw ModelError("gmm: sample before fit") }
        let d = means[0].count
        let shifts = (0..<components).map { k in (0..<d).map { j in meanShift * variances[k][j].squareRoot() } }
        var values = [Float](repeating: 0, count: count * d)
        for r in 0..<count {
            var u = Double(rng.uniform()), k = components - 1
            for (index, weight) in weights.enumerated() { u -= weight; if u <= 0 { k = index; break } }
            for j in 0..<d {
                values[r * d + j] = Float(means[k][j] + shifts[k][j] + (variances[k][j] * varianceScale).squareRoot() * Double(rng.normal()))
            }
        }
        return groups.discretize(try Tensor(shape: [count, d], scalars: values), draw: false, using: &rng)
    }

    public func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor {
        guard request.count >= 1 else { throw ModelError("gmm: count must be at least 1, got \(request.count)") }
        return try draw(request.count, varianceScale: Double(request.temperature * request.temperature), using: &rng)
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        (try settingsJSON(["components": String(components), "iterations": String(iterations)]), try learnedState())
    }

    /// The fitted parameters as tensors (for saving).
    public func learnedState() throws -> [String: Tensor] {
        let d = means.first?.count ?? 0
        return [
            "weights": try Tensor(shape: [components], scalars: weights.map(Float.init)),
            "means": try Tensor(shape: [components, d], scalars: means.flatMap { $0.map(Float.init) }),
            "variances": try Tensor(shape: [components, d], scalars: variances.flatMap { $0.map(Float.init) }),
        ]
    }

    /// Restores parameters saved by `exportState`.
    public func importState(_ state: [String: Tensor], columns: [Column]) throws {
        guard components >= 1, let w = state["weights"], let m = state["means"], let v = state["variances"], w.count == components,
              m.shape == [components, columns.count], v.shape == [components, columns.count] else {
            throw ModelError("gmm: the saved state lacks weights, means or variances for \(components) components of \(columns.count) columns")
        }
        guard w.scalars.allSatisfy({ $0 >= 0 }), w.scalars.contains(where: { $0 > 0 }), v.scalars.allSatisfy({ $0 > 0 }) else {
            throw ModelError("gmm: the saved weights must be non-negative (not all 0) and the variances positive")
        }
        weights = w.scalars.map(Double.init)
        means = (0..<m.rows).map { r in (0..<m.columns).map { Double(m[r, $0]) } }
        variances = (0..<v.rows).map { r in (0..<v.columns).map { Double(v[r, $0]) } }
        groups = ColumnGroups(columns)
    }
}

private extension Array where Element == Double {
    var variance: Double {
        guard !isEmpty else { return 0 }
        let mean = reduce(0, +) / Double(count)
        return reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
    }
}

extension GaussianMixture {
    static let generatorKind = GeneratorKind(name: "gmm", make: { GaussianMixture(components: $0.components) }, restore: { file, source in
        let settings = try ModelFile.decodeEntry([String: String].self, "config", file.config, source)
        let gmm = GaussianMixture(components: Int(settings["components"] ?? "") ?? 5, iterations: Int(settings["iterations"] ?? "") ?? 100)
        try gmm.importState(file.tensors, columns: file.schema.columns)
        return gmm
    })
}
