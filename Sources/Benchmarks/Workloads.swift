import NeuralNet
import TensorCore

extension TrainingBenchmark {
    /// MLP autoencoder 784-256-64-256-784 (ReLU, sigmoid output), MSE, Adam(1e-3), batch 128,
    /// on uniform rows in [0, 1): the `ae` model of the PyTorch reference.
    public static let autoencoder = TrainingBenchmark(name: "ae", batchSize: 128, defaultRows: 60_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.uniform([rows, 784], using: &rng)
        let network = Sequential([
            Linear(inputs: 784, outputs: 256, using: &rng), Activation(.relu),
            Linear(inputs: 256, outputs: 64, using: &rng), Activation(.relu),
            Linear(inputs: 64, outputs: 256, using: &rng), Activation(.relu),
            Linear(inputs: 256, outputs: 784, initialization: .xavier, using: &rng), Activation(.sigmoid),
        ])
        var optimizer = Adam(learningRate: 1e-3)
        let parameters = network.namedParameters()
        return (data, { batch in
            network.clearGradients()
            let input = Variable(batch)
            try Loss.meanSquaredError(try network(input), input).backward()
            optimizer.step(parameters)
        })
    }

    /// Tabular GAN: generator 64-128-128-30, discriminator 30-128-128-1 (LeakyReLU 0.2),
    /// BCE with logits, Adam(2e-4, betas 0.5/0.999), one D and one G step per batch of
    /// 256 standard-normal rows: the `gan` model of the PyTorch reference. The G step
    /// freezes D, so D's weight gradients (unused there) are not computed.
    public static let gan = TrainingBenchmark(name: "gan", batchSize: 256, defaultRows: 100_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.normal([rows, 30], using: &rng)
        let generator = Sequential([
            Linear(inputs: 64, outputs: 128, using: &rng), Activation(.leakyRelu(slope: 0.2)),
            Linear(inputs: 128, outputs: 128, using: &rng), Activation(.leakyRelu(slope: 0.2)),
            Linear(inputs: 128, outputs: 30, initialization: .xavier, using: &rng),
        ])
        let discriminator = Sequential([
            Linear(inputs: 30, outputs: 128, using: &rng), Activation(.leakyRelu(slope: 0.2)),
            Linear(inputs: 128, outputs: 128, using: &rng), Activation(.leakyRelu(slope: 0.2)),
            Linear(inputs: 128, outputs: 1, initialization: .xavier, using: &rng),
        ])
        var generatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        var discriminatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        let generatorParameters = generator.namedParameters()
        let discriminatorParameters = discriminator.namedParameters()
        var noise = rng.derive("noise")
        return (data, { batch in
            let n = batch.rows
            let ones = Tensor(repeating: 1, shape: [n, 1]), zeros = Tensor.zeros([n, 1])
            let fake = try generator(Variable(Tensor.normal([n, 64], using: &noise)))
            discriminator.clearGradients()
            let real = try Loss.binaryCrossEntropyWithLogits(try discriminator(Variable(batch)), targets: ones)
            let forged = try Loss.binaryCrossEntropyWithLogits(try discriminator(fake.detached()), targets: zeros)
            try (real + forged).backward()
            discriminatorOptimizer.step(discriminatorParameters)
            generator.clearGradients()
            try discriminator.withFrozenParameters {
                try Loss.binaryCrossEntropyWithLogits(try discriminator(fake), targets: ones).backward()
            }
            generatorOptimizer.step(generatorParameters)
        })
    }
}
