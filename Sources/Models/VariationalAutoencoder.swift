import NeuralNet
import TensorCore

/// A variational autoencoder (Kingma & Welling 2014): a Gaussian encoder (mean and
/// log-variance heads), the reparameterization `z = mu + eps * exp(logvar / 2)`, and a
/// decoder. Optionally conditional (CVAE): condition columns join the encoder's input
/// and the decoder's latent.
public final class VariationalAutoencoder: Module {
    public let inputs: Int
    public let latent: Int
    public let conditions: Int
    public let encoder: Sequential
    public let meanHead: Linear
    public let logVarianceHead: Linear
    public let decoder: Sequential

    public init(inputs: Int, hidden: [Int], latent: Int, conditions: Int = 0, using rng: inout SeededRNG) {
        precondition(latent >= 1 && inputs >= 1, "a VAE needs inputs >= 1 and latent >= 1")
        self.inputs = inputs
        self.latent = latent
        self.conditions = conditions
        var layers: [any Layer] = []
        var width = inputs + conditions
        for size in hidden {
            layers += [Linear(inputs: width, outputs: size, using: &rng), Activation(.relu)]
            width = size
        }
        encoder = Sequential(layers)
        meanHead = Linear(inputs: width, outputs: latent, initialization: .xavier, using: &rng)
        logVarianceHead = Linear(inputs: width, outputs: latent, initialization: .xavier, using: &rng)
        var decoding: [any Layer] = []
        width = latent + conditions
        for size in hidden.reversed() {
            decoding += [Linear(inputs: width, outputs: size, using: &rng), Activation(.relu)]
            width = size
        }
        decoding.append(Linear(inputs: width, outputs: inputs, initialization: .xavier, using: &rng))
        decoder = Sequential(decoding)
    }

    /// A VAE around given networks (e.g. convolutional ones for images): `encoder` maps
    /// `inputs + conditions` columns to `encodedWidth` features, `decoder` maps
    /// `latent + conditions` columns back to `inputs`.
    public init(encoder: Sequential, encodedWidth: Int, decoder: Sequential, inputs: Int, latent: Int, conditions: Int = 0,
                using rng: inout SeededRNG) {
        precondition(latent >= 1 && inputs >= 1, "a VAE needs inputs >= 1 and latent >= 1")
        self.inputs = inputs
        self.latent = latent
        self.conditions = conditions
        self.encoder = encoder
        meanHead = Linear(inputs: encodedWidth, outputs: latent, initialization: .xavier, using: &rng)
        logVarianceHead = Linear(inputs: encodedWidth, outputs: latent, initialization: .xavier, using: &rng)
        self.decoder = decoder
    }

    public func namedParameters() -> [NamedVariable] {
        prefixed("encoder", encoder.namedParameters()) + prefixed("mu", meanHead.namedParameters())
            + prefixed("logvar", logVarianceHead.namedParameters()) + prefixed("decoder", decoder.namedParameters())
    }

    public func setTraining(_ training: Bool) {
        encoder.setTraining(training)
        decoder.setTraining(training)
    }

    /// The posterior's mean and log-variance, `[batch, latent]` each.
    public func encode(_ x: Variable, condition: Variable? = nil) throws -> (mean: Variable, logVariance: Variable) {
        let input = try condition.map { try Variable.concatColumns([x, $0]) } ?? x
        let hidden = try encoder(input)
        return (try meanHead(hidden), try logVarianceHead(hidden))
    }

    /// The decoder's output for latents, `[batch, inputs]`.
    public func decode(_ z: Variable, condition: Variable? = nil) throws -> Variable {
        try decoder(try condition.map { try Variable.concatColumns([z, $0]) } ?? z)
    }

    /// A reparameterized latent draw.
    public func reparameterize(_ mean: Variable, _ logVariance: Variable, using rng: inout SeededRNG) throws -> Variable {
        let noise = Variable(Tensor.normal(mean.shape, using: &rng))
        return try mean + noise * logVariance.scaled(by: 0.5).exp()
    }
}
