import Datasets
import Foundation
import TensorCore

/// A one-class detector made of a generative model of the normal rows: a VAE scores a row
/// by its negative ELBO, a RealNVP flow by its negative log-likelihood, a GAN by its
/// discriminator's verdict (the negated "real" logit, as in GAN-based detection such as
/// Schlegl et al.'s AnoGAN discriminator feature score).
public final class GenerativeDetector: Detector {
    public let model: any AnomalyScoring
    public var kind: String { model.kind }
    public let isSupervised = false

    /// - Parameter model: an unconditional generative model that can score rows.
    public init(model: any AnomalyScoring) throws {
        if (model as? any ClassConditional)?.drawsByClass == true {
            throw ModelError("\(model.kind): a one-class detector needs an unconditional model")
        }
        self.model = model
    }

    /// Whether the model learns from anomalies as negatives (a flow or VAE with a
    /// negative margin, a GAN whose discriminator sees them as fakes).
    public var usesNegatives: Bool { model.learnsFromNegatives }

    @discardableResult
    public func fit(_ data: Dataset, validation: Dataset?, using rng: inout SeededRNG) throws -> TrainingHistory {
        try model.fit(try checkedTrainingRows(data, negatives: usesNegatives), using: &rng)
    }

    /// The models are unconditional: the labels of the scored rows play no part.
    public func score(_ data: Dataset) throws -> [Float] { try model.anomalyScores(data) }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        (try model.exportState().config, stateTensors(of: model))
    }
}
