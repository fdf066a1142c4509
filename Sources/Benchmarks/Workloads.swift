import Models
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
        return (data, reconstructionStep(network))
    }

    /// Tabular GAN: generator 64-128-128-30, discriminator 30-128-128-1 (LeakyReLU 0.2),
    /// `adversarialStep` on batches of 256 standard-normal rows: the `gan` model of the
    /// PyTorch reference.
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
        return (data, adversarialStep(generator: generator, discriminator: discriminator, noise: 64, using: rng.derive("noise")))
    }
}

extension TrainingBenchmark {
    /// VAE 784-256-(32, 32)-256-784 with BCE-with-logits reconstruction summed over
    /// features plus KL, averaged over the batch, Adam(1e-3), batch 128: the `vae` model
    /// of the PyTorch reference.
    public static let vae = TrainingBenchmark(name: "vae", batchSize: 128, defaultRows: 60_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.uniform([rows, 784], using: &rng)
        let model = VariationalAutoencoder(inputs: 784, hidden: [256], latent: 32, using: &rng)
        var optimizer = Adam(learningRate: 1e-3)
        let parameters = model.namedParameters()
        var noise = rng.derive("noise")
        return (data, { batch in
            model.clearGradients()
            let x = Variable(batch)
            let (mean, logVariance) = try model.encode(x)
            let logits = try model.decode(try model.reparameterize(mean, logVariance, using: &noise))
            let reconstruction = try Loss.binaryCrossEntropyWithLogits(logits, targets: batch).scaled(by: 784)
            try (reconstruction + Loss.klDivergenceFromStandardNormal(mean: mean, logVariance: logVariance)).backward()
            optimizer.step(parameters)
        })
    }

    /// RealNVP with 8 affine couplings (MLP 15-128-128-30, tanh scales) on 30 standard
    /// normal columns, negative log-likelihood, Adam(1e-3), batch 256: the `realnvp`
    /// model of the PyTorch reference.
    public static let realNVP = TrainingBenchmark(name: "realnvp", batchSize: 256, defaultRows: 100_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.normal([rows, 30], using: &rng)
        let flow = RealNVP(dimensions: 30, couplings: 8, hidden: 128, using: &rng)
        var optimizer = Adam(learningRate: 1e-3)
        let parameters = flow.namedParameters()
        return (data, { batch in
            flow.clearGradients()
            try flow.logLikelihood(Variable(batch)).mean().scaled(by: -1).backward()
            optimizer.step(parameters)
        }, { count in
            // Sampling in chunks of 10,000 rows, as the reference does.
            var sampler = SeededRNG(seed: 1)
            var done = 0
            while done < count {
                let chunk = min(10_000, count - done)
                _ = try flow.sample(chunk, using: &sampler)
                done += chunk
            }
        })
    }
}

extension TrainingBenchmark {
    /// The seeds' DCGAN on 28×28 images (`ConvolutionalNetworks` with 64 filters): generator
    /// Dense(7·7·256) → ConvTranspose(128, 4, s2) → ConvTranspose(64, 4, s2) → ConvTranspose(1, 7)
    /// → tanh, discriminator Conv(64, 5, s2) → Conv(128, 5, s2) → Dense(1), LeakyReLU(0.2),
    /// BCE with logits, Adam(2e-4, betas 0.5/0.999), batch 128 of uniform images in [-1, 1):
    /// the `dcgan` model of the PyTorch reference.
    public static let dcgan = TrainingBenchmark(name: "dcgan", batchSize: 128, defaultRows: 60_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.uniform([rows, 784], low: -1, high: 1, using: &rng)
        let generator = Sequential(try ConvolutionalNetworks.decoder(inputs: 100, [1, 28, 28], filters: 64, using: &rng) + [Activation(.tanh)])
        let (trunk, width) = try ConvolutionalNetworks.encoder([1, 28, 28], filters: 64, using: &rng)
        let discriminator = Sequential(trunk + [Linear(inputs: width, outputs: 1, initialization: .xavier, using: &rng)])
        return (data, adversarialStep(generator: generator, discriminator: discriminator, noise: 100, using: rng.derive("noise")))
    }
}

extension TrainingBenchmark {
    /// One D and one G step per batch, as the reference's GAN loops: BCE with logits,
    /// Adam(2e-4, betas 0.5/0.999); the G step reuses the batch's fakes and freezes D, so
    /// D's weight gradients (unused there) are not computed.
    static func adversarialStep(generator: Sequential, discriminator: Sequential, noise: Int,
                                using rng: SeededRNG) -> (Tensor) throws -> Void {
        var generatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        var discriminatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5, beta2: 0.999)
        let generatorParameters = generator.namedParameters()
        let discriminatorParameters = discriminator.namedParameters()
        var rng = rng
        return { batch in
            let n = batch.rows
            let ones = Tensor(repeating: 1, shape: [n, 1]), zeros = Tensor.zeros([n, 1])
            let fake = try generator(Variable(Tensor.normal([n, noise], using: &rng)))
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
        }
    }
}

extension TrainingBenchmark {
    /// Convolutional autoencoder (`ConvolutionalNetworks` with 32 filters around a 16-wide
    /// code), MSE, Adam(1e-3), batch 128 of uniform images in [-1, 1): the model of
    /// `scripts/torch_conv_ae.py`.
    public static let convolutionalAutoencoder = TrainingBenchmark(name: "conv_ae", batchSize: 128, defaultRows: 60_000) { rows in
        var rng = SeededRNG(seed: 0)
        let data = Tensor.uniform([rows, 784], low: -1, high: 1, using: &rng)
        let (encoder, width) = try ConvolutionalNetworks.encoder([1, 28, 28], filters: 32, using: &rng)
        let network = Sequential(encoder + [Linear(inputs: width, outputs: 16, initialization: .xavier, using: &rng)]
                                 + (try ConvolutionalNetworks.decoder(inputs: 16, [1, 28, 28], filters: 32, using: &rng)))
        return (data, reconstructionStep(network))
    }
}

extension TrainingBenchmark {
    /// One Adam(1e-3) step of an autoencoder on a batch: mean squared reconstruction error.
    static func reconstructionStep(_ network: Sequential) -> (Tensor) throws -> Void {
        var optimizer = Adam(learningRate: 1e-3)
        let parameters = network.namedParameters()
        return { batch in
            network.clearGradients()
            let input = Variable(batch)
            try Loss.meanSquaredError(try network(input), input).backward()
            optimizer.step(parameters)
        }
    }
}
