import Datasets
import TensorCore

/// The training weight of a row by its class and origin, for the supervised detectors:
/// optionally both classes weigh the same in total (`balanced`), and a class's synthetic
/// rows (provenance other than real) carry `syntheticShare` of its weight together.
struct RowWeights {
    /// `[class][synthetic ? 1 : 0]`.
    private var table: [[Float]]

    /// - Parameters:
    ///   - balanced: weighs each class by `rows / (2 · rows of the class)`.
    ///   - syntheticShare: nil: every row of a class weighs the same.
    init(_ data: Dataset, balanced: Bool, syntheticShare: Float?) {
        let rows = Float(data.rowCount)
        table = [0, 1].map { (label: UInt8) -> [Float] in
            let members = data.indices(ofClass: label)
            let synthetic = Float(members.count(where: { data.provenance[$0] != 0 })), real = Float(members.count) - synthetic
            let total = balanced ? rows / 2 : Float(members.count)
            guard let share = syntheticShare, synthetic > 0, real > 0 else {
                let each = total / max(1, Float(members.count))
                return [each, each]
            }
            return [total * (1 - share) / real, total * share / synthetic]
        }
    }

    /// The weight of each row with these labels and origins (real when `synthetic` is nil).
    func weights(labels: [UInt8], synthetic: [Bool]? = nil) -> [Float] {
        labels.indices.map { table[Int(labels[$0])][synthetic?[$0] == true ? 1 : 0] }
    }

    /// `weights` as a `[rows, 1]` tensor (a loss's weights).
    func tensor(labels: [UInt8], synthetic: [Bool]? = nil) throws -> Tensor {
        try Tensor(shape: [labels.count, 1], scalars: weights(labels: labels, synthetic: synthetic))
    }
}
