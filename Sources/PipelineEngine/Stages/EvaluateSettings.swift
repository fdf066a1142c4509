import Foundation
import Reporting

/// An `evaluate` stage's parameters, typed, with their defaults here only (the stage's
/// parameter specs read them from `EvaluateSettings()`). Decoded once from the validated
/// parameters, where every default is filled in.
struct EvaluateSettings: Codable, Equatable, Sendable {
    /// How each detector's threshold is chosen on its validation rows.
    var threshold = ThresholdRule.bestF1
    var contamination = 0.05
    var bootstrap = 1000
    var baseline = "none"
    var repeatOver = ["fold", "seed"]
    /// `none` or one of `DetectorEvaluation.selectionMetrics`.
    var selectBy = "none"
    var selectTop = 1
    var scatterRows = 1500
    var explainRows = 256
    var gates: [GateSpec] = []

    init() {}

    enum CodingKeys: String, CodingKey {
        case threshold, contamination, bootstrap, baseline, gates
        case repeatOver = "repeat_over", selectBy = "select_by", selectTop = "select_top", scatterRows = "scatter_rows", explainRows = "explain_rows"
    }
}
