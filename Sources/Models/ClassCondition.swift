import TensorCore

/// The class condition of conditional generators: each label as a one-hot row
/// `[normal, anomaly]`, `[rows, 2]`.
public func classCondition(_ labels: [UInt8]) -> Tensor {
    Tensor.build(shape: [labels.count, 2]) { out in
        for (r, label) in labels.enumerated() {
            out[2 * r] = label == 0 ? 1 : 0
            out[2 * r + 1] = label == 0 ? 0 : 1
        }
    }
}
