import ArgumentParser
import Datasets
import Foundation
import PipelineEngine

/// `anomsynth score`: a trained detector applied to new rows of the original columns.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score new rows with a trained detector: read them as ingest does, preprocess them as the detector's training rows were, and write one score and decision per row.")

    @Argument(help: "A detector file (STAGE/detector.safetensors of a run) or a run folder (runs/PIPELINE).")
    var detector: String

    @Argument(help: "The rows to score, in the columns of the training file (.csv, .dat, .arff, .npy, .npz; also compressed).")
    var file: String

    @OptionGroup var input: IngestOptions

    @OptionGroup var compute: ThreadOptions

    @Option(name: .customLong("detector"), help: "In a run folder with several detectors: a detector of the results table (mlp, with --variant) or a stage folder (mlp_none@fold=2). A result over several folds is served by its fold with the median validation PR-AUC.")
    var stage: String?

    @Option(help: "With --detector NAME: the variant of the results table (none, vae, ...), when several have that detector.")
    var variant: String?

    @Option(name: .customLong("id"), help: "A column copied to the output beside each score and left out of the features (repeatable).")
    var idColumns: [String] = []

    @Option(help: "The threshold rule, as evaluate's: best_f1, contamination or decision (always on the detector's own validation rows).")
    var threshold = "best_f1"

    @Option(help: "Share of validation rows above the threshold with --threshold contamination.")
    var contamination = 0.05

    @Option(help: "The file to write: the id columns, score, anomaly (1 at or above the threshold) and label when --label is given.")
    var out: String

    @Option(help: ArgumentHelp("Add, per row, the K columns that raised its score most: explain_k_column, _contribution, _value and _typical (the training rows' typical value).",
                               valueName: "K"))
    var explain: Int?

    @Flag(help: "Add every column's contribution (and the base they start from) instead.")
    var explainAll = false

    @Flag(help: "Write JSON lines (one object per row) instead of CSV.")
    var json = false

    func validate() throws {
        try input.validate(file: file)
        guard ThresholdRule(rawValue: threshold) != nil else {
            throw ValidationError("--threshold must be \(ThresholdRule.allCases.map(\.rawValue).joined(separator: ", ")), got '\(threshold)'")
        }
        guard contamination > 0, contamination < 0.5 else { throw ValidationError("--contamination must be in (0, 0.5)") }
        if let explain, explain < 1 { throw ValidationError("--explain must be at least 1, got \(explain)") }
        if explain != nil, explainAll { throw ValidationError("give --explain K or --explain-all, not both") }
    }

    /// The explanation asked for, if any.
    private var explanation: Scoring.ExplainRequest? {
        explainAll ? Scoring.ExplainRequest(top: nil) : explain.map { Scoring.ExplainRequest(top: $0) }
    }

    func run() throws {
        compute.apply()
        try reportingErrors {
            let choice: DetectorChoice
            do { choice = try DetectorChoice.resolve(detector, detector: stage, variant: variant) } catch let error as DetectorChoice.NotFound {
                throw ValidationError(error.description)
            }
            let path = choice.path
            if let note = choice.note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            let target = try OutputPath.prepare(out, inputs: [file, path], allowingStreams: true)  // before the work: fail fast
            let result = try Scoring.score(detectorPath: path, request: input.request(file: file), idColumns: idColumns,
                                           rule: ThresholdRule(rawValue: threshold) ?? .bestF1, contamination: contamination, explain: explanation)
            try OutputPath.write(Array((json ? try result.jsonLines() : result.csv()).utf8), to: target, named: out)
            let flagged = result.decisions.filter { $0 == 1 }.count
            let summary = "\(out): \(result.scores.count) rows scored by \(path), \(flagged) at or above the threshold \(result.threshold) (\(result.thresholdRule))"
                + (result.explanation.map { "; contributions in \($0.unit)" } ?? "") + "\n"
            (out == "/dev/stdout" ? FileHandle.standardError : FileHandle.standardOutput).write(Data(summary.utf8))
        }
    }
}
