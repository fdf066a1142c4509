import NeuralNet
import TensorCore

/// The classifiers of the classifier two-sample test (`QualityMetrics`).
public enum TwoSampleClassifier {
    /// Logistic regression (Adam 0.05, 200 full-batch steps) trained on `train`, scoring `test`.
    public static func logistic(_ train: Tensor, _ labels: [UInt8], _ test: Tensor, _ rng: inout SeededRNG) throws -> [Float] {
        let model = Linear(inputs: train.columns, outputs: 1, initialization: .xavier, using: &rng)
        var adam = Adam(learningRate: 0.05)
        let x = Variable(train)
        let y = Tensor.build(shape: [train.rows, 1]) { out in for (k, label) in labels.enumerated() { out[k] = Float(label) } }
        for _ in 0..<200 {
            model.clearGradients()
            try Loss.binaryCrossEntropyWithLogits(try model(x), targets: y).backward()
            adam.step(model.namedParameters())
        }
        return try model(Variable(test)).value.scalars
    }
}
