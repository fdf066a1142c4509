@testable import AnomSynthCLI
import ArchiveIO
import ArgumentParser
import Evaluation
import Foundation
import Models
import PipelineEngine
import Reporting
import TestSupport
import XCTest

/// `anomsynth score`: a run's detector on new rows of the original columns gives the scores
/// `evaluate` measured on the same rows.
final class ScoreCommandTests: XCTestCase {
    private let fast = fastBenchmarkOverrides
    private func run(_ arguments: [String]) throws { try runCommand(arguments) }

    /// Rows of a score CSV: the header's fields, then each row's.
    private func table(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    func test_score_matchesEvaluateOnTheTestFile_withIdsPassedThrough() throws {
        let folder = try temporaryDirectory()
        let runs = folder.appendingPathComponent("runs").path
        try run(["run", repositoryRoot.appendingPathComponent("pipelines/benchmark.json").path, "--quiet", "--out", runs,
                 "--cache-dir", folder.appendingPathComponent("cache").path, "--set", "eval.params.threshold=best_f1"] + fast)
        let metrics = try MetricsDocument.read("\(runs)/benchmark/eval/metrics.json")
        let test = repositoryRoot.appendingPathComponent("data/yeast4-test.csv").path
        for (stage, detector) in [("mlp_none", "mlp"), ("xgboost_none", "xgboost"), ("iforest", "iforest")] {
            let out = folder.appendingPathComponent("\(stage).csv").path
            try run(["score", "\(runs)/benchmark", test, "--detector", stage, "--label", "label", "--out", out])
            let (header, rows) = try table(out)
            XCTAssertEqual(header, ["score", "anomaly", "label"])
            let scores = rows.map { Float($0[0])! }, labels = rows.map { UInt8($0[2])! }
            let expected = try XCTUnwrap(metrics.results.first { $0.variant == "none" && $0.detector == detector }).scorecard
            XCTAssertEqual(labels.count, expected.nTest)
            XCTAssertEqual(try XCTUnwrap(rocAUC(scores: scores, labels: labels)), try XCTUnwrap(expected.rocAUC), accuracy: 1e-9, stage)
            XCTAssertEqual(try XCTUnwrap(DetectionMetrics.averagePrecision(scores: scores, labels: labels)), try XCTUnwrap(expected.prAUC), accuracy: 1e-9, stage)
            // The decisions are evaluate's: the same threshold (best F1 on the detector's validation rows).
            let confusion = DetectionMetrics.Confusion(scores: rows.map { $0[1] == "1" ? 1 : 0 }, labels: labels, threshold: 0.5)
            XCTAssertEqual(confusion, expected.confusion, stage)
        }
        // An id column is copied beside each score and left out of the features.
        let lines = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n")
        let withIds = folder.appendingPathComponent("with-ids.csv").path
        try ((["row_id," + lines[0]] + lines.dropFirst().enumerated().map { "r\($0.offset)," + $0.element }).joined(separator: "\n") + "\n")
            .write(toFile: withIds, atomically: true, encoding: .utf8)
        let identified = folder.appendingPathComponent("identified.csv").path
        try run(["score", "\(runs)/benchmark/mlp_none/detector.safetensors", withIds, "--id", "row_id", "--label", "label", "--out", identified])
        let (header, rows) = try table(identified)
        XCTAssertEqual(header, ["row_id", "score", "anomaly", "label"])
        XCTAssertEqual(rows.map { $0[0] }, (0..<rows.count).map { "r\($0)" })
        XCTAssertEqual(rows.map { $0[1] }, try table(folder.appendingPathComponent("mlp_none.csv").path).rows.map { $0[0] }, "the same scores")
        // Problems are named.
        XCTAssertThrowsError(try run(["score", "\(runs)/benchmark", test, "--out", identified])) { XCTAssertTrue($0 is ValidationError, "an argument error: \($0)") }
        XCTAssertThrowsError(try DetectorChoice.resolve("\(runs)/benchmark", detector: nil)) {
            XCTAssertTrue("\($0)".contains("the run has 12 detectors; name one with --detector (and --variant): none / mlp, "), "\($0)")
        }
        // The results table's names: one variant has `iforest`; `mlp` needs its variant.
        XCTAssertEqual(try DetectorChoice.resolve("\(runs)/benchmark", detector: "iforest").path, "\(runs)/benchmark/iforest/detector.safetensors")
        XCTAssertEqual(try DetectorChoice.resolve("\(runs)/benchmark", detector: "mlp", variant: "none").path, "\(runs)/benchmark/mlp_none/detector.safetensors")
        XCTAssertEqual(try DetectorChoice.resolve("\(runs)/benchmark", detector: "mlp", variant: "vae").path, "\(runs)/benchmark/mlp@model=vae/detector.safetensors")
        XCTAssertThrowsError(try DetectorChoice.resolve("\(runs)/benchmark", detector: "mlp")) {
            XCTAssertTrue("\($0)".hasSuffix("--detector mlp: several variants have it (none, smote, gan, vae, flow); add --variant"), "\($0)")
        }
        XCTAssertThrowsError(try DetectorChoice.resolve("\(runs)/benchmark", detector: "mlp", variant: "nope")) {
            XCTAssertTrue("\($0)".contains("--detector mlp --variant nope: no such detector in the results table (none / mlp, "), "\($0)")
        }
        // Through the command: a name that fits nothing is an argument error (exit 2).
        let misnamed = try runProcess(try anomsynthExecutable(), ["score", "\(runs)/benchmark", test, "--detector", "mlp_nope", "--out", identified])
        XCTAssertEqual(misnamed.status, 2, misnamed.output)
        XCTAssertThrowsError(try Scoring.score(detectorPath: "\(runs)/benchmark/mlp_none/detector.safetensors",
                                               request: IngestRequest(path: test), idColumns: ["Mcg"], rule: .bestF1)) {
            XCTAssertEqual("\($0)", "\(test): the columns differ from the detector's training rows; missing: Mcg; not in training: label (a label column: give it with --label; others: --id or --ignore)")
        }
    }
}

/// A run over 5 folds: `score --detector NAME --variant V` is served by the fold with the
/// median validation PR-AUC, and the report says what 5 pairs allow a test to show.
final class FoldedRunTests: XCTestCase {
    func test_scoreServesTheMedianFold_andTheReportNotesThePValueFloor() throws {
        let folder = try temporaryDirectory()
        let runs = folder.appendingPathComponent("runs").path
        try runCommand(["run", repositoryRoot.appendingPathComponent("pipelines/compare-generators.json").path, "--quiet", "--out", runs,
                        "--cache-dir", folder.appendingPathComponent("cache").path, "--set", "gen.params.model=smote",
                        "--set", "mlp.params.epochs=3", "--set", "mlp_none.params.epochs=3", "--set", "eval.params.bootstrap=20"])
        let run = "\(runs)/compare-generators"
        let choice = try DetectorChoice.resolve(run, detector: "mlp", variant: "none")
        let precisions = try (0..<5).map { fold -> (String, Double) in
            let stage = "mlp_none@fold=\(fold)"
            let saved = try DetectorStore.load("\(run)/\(stage)/detector.safetensors")
            let scores = try XCTUnwrap(saved.extras["validation_scores"]?.scalars), labels = try XCTUnwrap(saved.extras["validation_labels"]?.scalars)
            return (stage, try XCTUnwrap(DetectionMetrics.averagePrecision(scores: scores, labels: labels.map { UInt8($0) })))
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        XCTAssertEqual(choice.path, "\(run)/\(precisions[2].0)/detector.safetensors", "the third of five by validation PR-AUC")
        XCTAssertTrue(choice.note?.contains("the median of 5 folds by validation PR-AUC") == true, choice.note ?? "")
        let out = folder.appendingPathComponent("scores.csv").path
        try runCommand(["score", run, repositoryRoot.appendingPathComponent("data/yeast4-test.csv").path, "--detector", "mlp", "--variant", "smote/minority",
                        "--label", "label", "--out", out])
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let report = try String(contentsOfFile: "\(run)/eval/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("with 5 pairs (folds) the exact two-sided Wilcoxon p-value is at least 0.0625"), report)
        XCTAssertTrue(report.contains("classifier_auc (0.5 best)") && report.contains("exact_copy_rate (0 best)"), "the quality table says which way is better")
    }
}
