import Models

extension TrainingSettings {
    /// The settings a training stage's parameters give (`epochs`, `batch_size`,
    /// `learning_rate`, `patience`), defaults filled in.
    init(stageParameters p: JSONValue) {
        self.init()
        epochs = p["epochs"]?.integerValue ?? 200
        batchSize = p["batch_size"]?.integerValue ?? 128
        learningRate = Float(p["learning_rate"]?.numberValue ?? 1e-3)
        patience = p["patience"]?.integerValue ?? 20
    }
}
