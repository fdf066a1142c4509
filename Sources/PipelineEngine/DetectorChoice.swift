import Evaluation
import Foundation
import Models
import Reporting

/// Which detector file `anomsynth score` uses: a file, or one detector of a run folder named
/// as the run names it.
public struct DetectorChoice {
    /// The detector file.
    public var path: String
    /// How it was chosen, when that took a choice (a fold of several).
    public var note: String?

    /// A detector named the wrong way: an argument error (exit 2), listing what the run has.
    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// The detector file of `path`: the file itself, or in a run folder the detector
    /// `detector` names, as either
    /// - a stage folder of the run (`mlp_none`, `mlp@model=vae,fold=2`), or
    /// - a detector of the results table (`mlp`) with its `variant` (`none`, `vae`; needed
    ///   only when several variants have that detector). A result over several folds is
    ///   served by the fold whose detector has the median PR-AUC on its own validation rows
    ///   (never the test rows): a typical fold, not the luckiest.
    /// Without `detector`, the run's only detector.
    /// - Throws: `NotFound` listing the run's detectors, or a read error of a file.
    public static func resolve(_ path: String, detector: String?, variant: String? = nil) throws -> DetectorChoice {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw NotFound(description: "\(path): no such file or folder") }
        guard isFolder.boolValue else {
            guard detector == nil, variant == nil else { throw NotFound(description: "\(path) is a detector file: --detector and --variant name a detector of a run folder") }
            return DetectorChoice(path: path)
        }
        let file = TrainDetectorStage.outputs[0].file
        let stages = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(path)/\($0)/\(file)") }
        let results = Self.results(in: path)
        let table = results.map { "\($0.variant) / \($0.detector)" }
        guard let detector else {
            guard stages.count == 1, variant == nil else {
                throw NotFound(description: stages.isEmpty ? "\(path): no trained detector in this run folder"
                               : "\(path): the run has \(stages.count) detectors; name one with --detector (and --variant): "
                               + (table.isEmpty ? stages.joined(separator: ", ") : table.joined(separator: ", ")))
            }
            return DetectorChoice(path: "\(path)/\(stages[0])/\(file)")
        }
        if variant == nil, stages.contains(detector) { return DetectorChoice(path: "\(path)/\(detector)/\(file)") }
        let matches = results.filter { $0.detector == detector && (variant == nil || $0.variant == variant) }
        guard matches.count == 1, let result = matches.first else {
            let named = variant.map { "--detector \(detector) --variant \($0)" } ?? "--detector \(detector)"
            let why = matches.count > 1 ? "several variants have it (\(matches.map(\.variant).joined(separator: ", "))); add --variant"
                : "no such detector in the results table (\(table.isEmpty ? "no metrics.json here" : table.joined(separator: ", "))) nor stage folder (\(stages.joined(separator: ", ")))"
            throw NotFound(description: "\(path): \(named): \(why)")
        }
        if let chosen = result.chosen {
            throw NotFound(description: "\(path): \(result.variant) / \(result.detector) is an ensemble of \(chosen.joined(separator: ", ")); score one of them")
        }
        let candidates = result.stages.filter { stages.contains($0) }
        guard !candidates.isEmpty else {
            throw NotFound(description: "\(path): \(result.variant) / \(result.detector): its detector files (\(result.stages.joined(separator: ", "))) are not in this run folder")
        }
        guard candidates.count > 1 else { return DetectorChoice(path: "\(path)/\(candidates[0])/\(file)") }
        let measured = try candidates.map { stage -> (stage: String, precision: Double?) in
            let saved = try DetectorStore.load("\(path)/\(stage)/\(file)")
            guard let scores = saved.extras["validation_scores"]?.scalars, let labels = saved.extras["validation_labels"]?.scalars else { return (stage, nil) }
            return (stage, DetectionMetrics.averagePrecision(scores: scores, labels: labels.map { $0 == 1 ? 1 : 0 }))
        }
        let ranked = measured.compactMap { item in item.precision.map { (item.stage, $0) } }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard !ranked.isEmpty else {
            return DetectorChoice(path: "\(path)/\(candidates[0])/\(file)",
                                  note: "\(result.variant) / \(result.detector): \(candidates[0]), the first of \(candidates.count) folds (no validation rows to choose on)")
        }
        let (stage, precision) = ranked[(ranked.count - 1) / 2]
        return DetectorChoice(path: "\(path)/\(stage)/\(file)",
                              note: "\(result.variant) / \(result.detector): \(stage), the median of \(ranked.count) folds by validation PR-AUC (\(String(format: "%.3f", precision)))")
    }

    /// The results of every metrics.json of a run folder (one per evaluate stage).
    private static func results(in run: String) -> [MetricsResult] {
        ((try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []).sorted().flatMap { stage -> [MetricsResult] in
            (try? MetricsDocument.read("\(run)/\(stage)/metrics.json"))?.results ?? []
        }
    }
}
