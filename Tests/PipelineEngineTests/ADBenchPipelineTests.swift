import Evaluation
import Foundation
import Models
@testable import PipelineEngine
import Reporting
import TestSupport
import XCTest

/// `pipelines/adbench.json` on its shipped split (ADBench's yeast, 10% of the training
/// anomalies labelled), at reduced sizes: every variant and detector, and `auto`.
final class ADBenchPipelineTests: XCTestCase {
    func test_adbench_everyVariant_andAutoIsTheBestOnValidationRows() throws {
        let folder = try temporaryDirectory()
        let overrides = ["gen.params.epochs=5", "mlp.params.epochs=10", "mlp_none.params.epochs=10", "eval.params.bootstrap=0"]
        let pipeline = try PipelineLoader.load(repositoryRoot.appendingPathComponent("pipelines/adbench.json").path,
                                               overrides: overrides + ["eval.params.select_top=1"])
        let summary = runQuietly(pipeline, in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let document = try MetricsDocument.read(try XCTUnwrap(summary.metrics.first))
        XCTAssertEqual(document.results.map { "\($0.variant)/\($0.detector)" },
                       ["none/xgboost", "smote/xgboost", "vae/xgboost", "none/xgboost_pu", "smote/xgboost_pu", "vae/xgboost_pu",
                        "none/mlp", "smote/mlp", "vae/mlp", "none/iforest", "auto/auto"])
        // auto: the detector whose own validation rows give the best PR-AUC, recomputed here from the files.
        let candidates = try document.results.filter { $0.variant != "auto" }.map { result -> (String, Double, MetricsResult) in
            let stage = try XCTUnwrap(result.stages.first)
            let saved = try DetectorStore.load(try XCTUnwrap(summary.stages.first { $0.id == stage }?.outputs["model"]))
            let scores = try XCTUnwrap(saved.extras["validation_scores"]?.scalars)
            let labels = try XCTUnwrap(saved.extras["validation_labels"]?.scalars).map { UInt8($0) }
            return ("\(result.variant) / \(result.detector)", try XCTUnwrap(DetectionMetrics.averagePrecision(scores: scores, labels: labels)), result)
        }
        let best = try XCTUnwrap(candidates.first { $0.1 == candidates.map(\.1).max() })
        let auto = try XCTUnwrap(document.results.last)
        XCTAssertEqual(auto.chosen, [best.0])
        XCTAssertEqual(auto.scorecard, best.2.scorecard, "its test metrics are the chosen detector's")
        XCTAssertEqual(auto.stages, best.2.stages)
        let report = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        XCTAssertTrue(report.contains("auto: chosen by validation pr auc among 10 detectors, without the test rows: \(best.0)."), "the report names the choice")
        // The shipped split: 35 of 355 training anomalies labelled, the test part with its true labels.
        XCTAssertEqual(document.results[0].scorecard.nTestAnomalies, 152)

        // select_top 3: an ensemble of the three best on validation rows, from the same cached detectors.
        let ensemblePipeline = try PipelineLoader.load(repositoryRoot.appendingPathComponent("pipelines/adbench.json").path,
                                                       overrides: overrides + ["eval.params.select_top=3"])
        let again = runQuietly(ensemblePipeline, in: folder)
        XCTAssertEqual(again.stages.filter { $0.status == .ran }.map(\.id), ["eval"], "only evaluate runs again")
        let ensemble = try XCTUnwrap(try MetricsDocument.read(try XCTUnwrap(again.metrics.first)).results.last)
        let bestThree = candidates.enumerated().sorted { ($0.element.1, -$0.offset) > ($1.element.1, -$1.offset) }.prefix(3).map(\.element)
        XCTAssertEqual(ensemble.chosen, [bestThree.map(\.0).joined(separator: " + ")])
        XCTAssertEqual(ensemble.stages, bestThree.flatMap(\.2.stages))
        XCTAssertTrue(ensemble.thresholdRule.hasPrefix("the ensemble's best F1 on its validation rows"), ensemble.thresholdRule)
        XCTAssertEqual(ensemble.scorecard.nTest, 445)
        let rocs = bestThree.compactMap(\.2.scorecard.rocAUC)
        XCTAssertGreaterThan(try XCTUnwrap(ensemble.scorecard.rocAUC), rocs.min()! - 0.05, "an average of good rankings is no worse than the worst of them, give or take")

        // Gates are checked on the published metrics: adding, editing or removing one recomputes nothing.
        let gate = #"eval.params.gates=[{"metric": "roc_auc", "variant": "auto", "min": 1.01}]"#
        let gated = runQuietly(try PipelineLoader.load(repositoryRoot.appendingPathComponent("pipelines/adbench.json").path,
                                                       overrides: overrides + ["eval.params.select_top=3", gate]), in: folder)
        XCTAssertEqual(gated.stages.filter { $0.status != .cached }.map(\.id), [], "every stage from the cache, evaluate too")
        XCTAssertEqual(gated.missedGates.count, 1, "\(gated.missedGates)")
        let gatedDocument = try MetricsDocument.read(try XCTUnwrap(gated.metrics.first))
        XCTAssertEqual(gatedDocument.gates.map(\.passed), [false])
        XCTAssertEqual(gatedDocument.results.last?.scorecard, ensemble.scorecard)
        XCTAssertTrue(try String(contentsOfFile: try XCTUnwrap(gated.reports.first), encoding: .utf8).contains("1 of 1 quality gate missed"))
        let ungated = runQuietly(ensemblePipeline, in: folder)
        XCTAssertEqual(ungated.stages.filter { $0.status != .cached }.map(\.id), [])
        XCTAssertEqual(ungated.missedGates, [])
        XCTAssertEqual(try MetricsDocument.read(try XCTUnwrap(ungated.metrics.first)).gates, [])
        XCTAssertFalse(try String(contentsOfFile: try XCTUnwrap(ungated.reports.first), encoding: .utf8).contains("quality gates"))
    }

    /// Validation rows without an anomaly give nothing to choose by: auto is every detector's mean, with a warning.
    func test_auto_withoutValidationAnomalies_averagesEveryDetector() throws {
        let folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        try #"""
            {"name": "few", "seed": 2, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
              {"id": "trees", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost", "trees": 10, "validation_fraction": 0.05}},
              {"id": "forest", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "iforest", "validation_fraction": 0.05}},
              {"id": "eval", "type": "evaluate", "inputs": {"detectors": ["trees", "forest"], "test": "prep.test"},
               "params": {"bootstrap": 0, "select_by": "validation_pr_auc", "select_top": 1}}
            ]}
            """#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let summary = runQuietly(try PipelineLoader.load(folder.appendingPathComponent("p.json").path), in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let document = try MetricsDocument.read(try XCTUnwrap(summary.metrics.first))
        XCTAssertEqual(document.results.last?.chosen, ["none / xgboost + none / iforest"])
        XCTAssertEqual(document.warnings, ["auto: the validation rows hold no anomaly to choose by, so auto is the mean of all 2 detectors"])
    }

    func test_validationPosition_isTheMidRankQuantile() {
        let position = ValidationPosition([3, 1, 2, 2])
        XCTAssertEqual(position.of(0), 0)
        XCTAssertEqual(position.of(2), 0.5, "one below, two equal: (1 + 2/2) / 4")
        XCTAssertEqual(position.of(2.5), 0.75)
        XCTAssertEqual(position.of(9), 1)
        XCTAssertEqual(ValidationPosition([]).of(1), 0.5)
    }
}
