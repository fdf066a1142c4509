import Datasets
import Foundation
import TensorCore

/// A one-class detector made of a generative model of the normal rows: a VAE scores a row
/// by its negative ELBO, a RealNVP flow by its negative log-likelihood, a GAN by its
/// discriminator's verdict (the negated "real" logit, as in GAN-based detection such as
/// Schlegl et al.'s AnoGAN discriminator feature score).
public final class GenerativeDetector: Detector {
    public let model: any NeuralGenerator
    public var kind: String { model.kind }
    public let isSupervised = false

    /// - Parameter model: an unconditional VAE, flow or GAN.
    public init(model: any NeuralGenerator) throws {
        switch model {
        case let vae as TabularVAE where !vae.config.conditional: break
        case let flow as TabularFlow where !flow.config.conditional: break
        case let gan as TabularGAN where !gan.config.conditional: break
        default: throw ModelError("\(model.kind): a one-class detector needs an unconditional VAE, flow or GAN")
        }
        self.model = model
    }

    /// Whether the model learns from anomalies as negatives (a flow or VAE with a
    /// negative margin, a GAN whose discriminator sees them as fakes).
    public var usesNegatives: Bool {
        switch model {
        case let vae as TabularVAE: vae.config.negativeMargin != nil
        case let flow as TabularFlow: flow.config.negativeMargin != nil
        case let gan as TabularGAN: gan.config.anomalyNegatives == true
        default: false
        }
    }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        try model.fit(try checkedTrainingRows(data, negatives: usesNegatives), using: &rng)
    }

    public func score(_ data: Dataset) throws -> [Float] {
        // The models are unconditional: the labels of the scored rows play no part.
        switch model {
        case let vae as TabularVAE: return try vae.negativeELBO(data)
        case let flow as TabularFlow: return try flow.logLikelihood(data.features, labels: data.labels).map { -$0 }
        case let gan as TabularGAN: return try gan.discriminatorScores(data).map { -$0 }
        default: throw ModelError("\(kind): cannot score")
        }
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        let tensors = stateTensors(of: model)
        switch model {
        case let vae as TabularVAE: return (try settingsJSON(vae.config), tensors)
        case let flow as TabularFlow: return (try settingsJSON(flow.config), tensors)
        case let gan as TabularGAN: return (try settingsJSON(gan.config), tensors)
        default: throw ModelError("\(kind): cannot save")
        }
    }
}
