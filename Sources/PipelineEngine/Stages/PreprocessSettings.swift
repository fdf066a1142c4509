import Datasets
import Foundation

/// A `preprocess` stage's parameters, typed, with their defaults here only (the stage's
/// parameter specs read them from `PreprocessSettings()`; the transform's own options
/// from `PreprocessOptions()`). Decoded once from the validated parameters.
struct PreprocessSettings: Codable, Equatable, Sendable {
    /// What happens to the training part's anomalies.
    enum TrainAnomalies: String, Codable, CaseIterable, Sendable {
        case keep, drop, unlabel
    }

    /// The train/test split.
    struct Split: Codable, Equatable, Sendable {
        var testFraction = 0.3
        var stratify = true
        /// k-fold instead of `testFraction` when set.
        var folds: Int?
        var fold = 0

        init() {}

        enum CodingKeys: String, CodingKey {
            case stratify, folds, fold
            case testFraction = "test_fraction"
        }
    }

    var scale = PreprocessOptions().scaling
    var imputation = PreprocessOptions().imputation
    var unknownCategories = PreprocessOptions().unknownCategories
    var maxCategories = 100
    var dropConstantColumns = PreprocessOptions().dropConstantColumns
    var trainAnomalies = TrainAnomalies.keep
    /// nil: every training anomaly keeps its label (keep), none does (unlabel).
    var labelledShare: Double?
    var split = Split()

    init() {}

    /// The transform's options.
    var options: PreprocessOptions {
        var options = PreprocessOptions()
        options.scaling = scale
        options.imputation = imputation
        options.unknownCategories = unknownCategories
        options.dropConstantColumns = dropConstantColumns
        return options
    }

    enum CodingKeys: String, CodingKey {
        case scale, imputation, split
        case unknownCategories = "unknown_categories", maxCategories = "max_categories",
             dropConstantColumns = "drop_constant_columns", trainAnomalies = "train_anomalies", labelledShare = "labelled_share"
    }
}
