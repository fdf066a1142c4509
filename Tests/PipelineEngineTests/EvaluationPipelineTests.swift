import ArchiveIO
import Datasets
import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Models
@testable import PipelineEngine
import Reporting
import TestSupport
import XCTest

/// The detector and evaluation pipelines end to end, at reduced sizes.
final class EvaluationPipelineTests: XCTestCase {
    private func run(_ name: String, _ overrides: [String], in folder: URL) throws -> (Pipeline, RunSummary) {
        let pipeline = try PipelineLoader.load(repositoryRoot.appendingPathComponent("pipelines/\(name)").path, overrides: overrides)
        let summary = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                                     cacheRoot: folder.appendingPathComponent("cache"),
                                                                     reporter: ProgressReporter(quiet: true))).run()
        return (pipeline, summary)
    }

    private func metrics(_ summary: RunSummary) throws -> [String: Any] {
        let path = try XCTUnwrap(summary.metrics.first, "a metrics.json")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    private static let contractKeys = ["variant", "detector", "roc_auc", "pr_auc", "f1", "precision", "recall", "gmean",
                                       "threshold", "n_test", "n_test_anomalies"]

    private let generators = ["gen.params.epochs=3", "gen.params.hidden_units=16", "syn.params.count=500", "mlp.params.epochs=8",
                              "mlp_none.params.epochs=8", "eval.params.bootstrap=50"]
    private var fast: [String] { generators + ["autoencoder.params.epochs=3"] }

    func test_defaultPipeline_fiveFolds_everyVariant_reportAndCache() throws {
        let folder = try temporaryDirectory()
        let overrides = fast + ["mlp_typed.params.epochs=8", "typed.params.count=200"]
        let (pipeline, summary) = try run("default.json", overrides, in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        // The matrix copies a stage only per value it depends on; evaluate gathers all.
        XCTAssertNotNil(pipeline.stage("mlp_none@fold=0"))
        XCTAssertNil(pipeline.stage("mlp_none@model=smote,fold=0"))
        XCTAssertNotNil(pipeline.stage("mlp@model=smote,fold=0"))
        XCTAssertEqual(pipeline.stages.filter { $0.implementation.type == "evaluate" }.map(\.id), ["eval"])
        XCTAssertEqual(pipeline.stage("eval")?.inputs["detectors"]?.count, 5 * 8)
        let document = try metrics(summary)
        XCTAssertEqual(document["pipeline"] as? String, "default")
        let results = try XCTUnwrap(document["results"] as? [[String: Any]])
        for key in Self.contractKeys { XCTAssertTrue(results.allSatisfy { $0[key] != nil }, key) }
        XCTAssertEqual(results.map { "\($0["variant"]!)/\($0["detector"]!)" },
                       ["none/mlp", "smote/mlp", "gmm/typed/mlp", "gan/mlp", "vae/mlp", "flow/mlp", "none/autoencoder", "none/iforest"])
        XCTAssertTrue(results.allSatisfy { $0["n_test"] as? Int == 1484 && $0["n_test_anomalies"] as? Int == 51 }, "5 folds test every row once")
        XCTAssertTrue(results.allSatisfy { ($0["folds"] as? [Any])?.count == 5 })
        let comparisons = try XCTUnwrap(document["comparisons"] as? [[String: Any]])
        XCTAssertTrue(comparisons.contains { $0["variant"] as? String == "vae" && ($0["wilcoxon"] as? [String: Any])?["pairs"] != nil })
        let html = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(html.utf8)).parse(), "report.html is well-formed")
        XCTAssertTrue(html.contains("<td>eval</td><td>evaluate</td><td>ran</td>"), "the run's stage table is filled in")
        let roc = try XCTUnwrap(html.range(of: "ROC — mlp")).upperBound
        let end = try XCTUnwrap(html.range(of: "</svg>", range: roc..<html.endIndex)).lowerBound
        XCTAssertEqual(html[roc..<end].components(separatedBy: "class=\"series\"").count - 1, 6, "one curve per variant")
        let second = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                                    cacheRoot: folder.appendingPathComponent("cache"),
                                                                    reporter: ProgressReporter(quiet: true))).run()
        XCTAssertEqual(Set(second.stages.map(\.status)), [.cached])
        XCTAssertEqual(second.metrics, summary.metrics)
        let cachedHTML = try String(contentsOfFile: try XCTUnwrap(second.reports.first), encoding: .utf8)
        XCTAssertTrue(cachedHTML.contains("<td>eval</td><td>evaluate</td><td>cached</td>"))
    }

    /// The threshold comes from the detector's validation rows: it equals the best-F1 cut of
    /// the validation scores saved with the detector, and a different test set leaves it unchanged.
    func test_threshold_isChosenWithoutTheTestSet() throws {
        let folder = try temporaryDirectory()
        let bestF1 = fast + ["eval.params.threshold=best_f1"]
        let (_, first) = try run("benchmark.json", bestF1, in: folder)
        XCTAssertEqual(first.status, "succeeded", "\(first.stages.compactMap(\.error))")
        let results = try XCTUnwrap(try metrics(first)["results"] as? [[String: Any]])
        let detector = try DetectorStore.load(try XCTUnwrap(first.stages.first { $0.id == "mlp_none" }?.outputs["model"]))
        let scores = try XCTUnwrap(detector.extras["validation_scores"]?.scalars)
        let labels = try XCTUnwrap(detector.extras["validation_labels"]?.scalars).map { UInt8($0) }
        let none = try XCTUnwrap(results.first { $0["variant"] as? String == "none" && $0["detector"] as? String == "mlp" })
        // Equal up to the last digit JSON keeps of a double.
        XCTAssertEqual(try XCTUnwrap(none["threshold"] as? Double),
                       Double(try XCTUnwrap(DetectionMetrics.bestF1Threshold(scores: scores, labels: labels, midpoint: true))), accuracy: 1e-12)
        // The same detectors against other test rows (the training file): same thresholds, other metrics.
        let other = bestF1 + ["test.params.path=\(repositoryRoot.appendingPathComponent("data/yeast4-train.csv").path)"]
        let (_, second) = try run("benchmark.json", other, in: folder)
        let again = try XCTUnwrap(try metrics(second)["results"] as? [[String: Any]])
        XCTAssertEqual(again.map { $0["threshold"] as? Double }, results.map { $0["threshold"] as? Double })
        XCTAssertNotEqual(again.map { $0["n_test"] as? Int }, results.map { $0["n_test"] as? Int })
        XCTAssertEqual(second.stages.first { $0.id == "mlp_none" }?.status, .cached, "the detectors did not see the test set")
    }

    func test_benchmarkContract_variantsAndDetectors() throws {
        let (pipeline, summary) = try run("benchmark.json", fast, in: try temporaryDirectory())
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        XCTAssertEqual(pipeline.stage("train")?.implementation.type, "ingest")
        XCTAssertEqual(pipeline.stage("test")?.implementation.type, "ingest")
        let results = try XCTUnwrap(try metrics(summary)["results"] as? [[String: Any]])
        for supervised in ["mlp", "xgboost"] {
            XCTAssertEqual(Set(results.filter { $0["detector"] as? String == supervised }.compactMap { $0["variant"] as? String }),
                           ["none", "smote", "gan", "vae", "flow"])
        }
        XCTAssertEqual(Set(results.filter { !["mlp", "xgboost"].contains($0["detector"] as? String) }.map { "\($0["variant"]!)/\($0["detector"]!)" }),
                       ["none/autoencoder", "none/iforest"])
        XCTAssertTrue(results.allSatisfy { $0["n_test"] as? Int == 445 && $0["n_test_anomalies"] as? Int == 15 }, "no further split")
        // threshold "decision": the MLPs cut at probability 0.5 (as scikit-learn's predict), the one-class detectors at best F1.
        for result in results {
            let rule = try XCTUnwrap(result["threshold_rule"] as? String)
            if ["mlp", "xgboost"].contains(result["detector"] as? String) {
                XCTAssertEqual(result["threshold"] as? Double, 0.5)
                XCTAssertEqual(rule, "the classifier's own boundary: probability 0.5")
            } else {
                XCTAssertTrue(rule.hasPrefix("best F1") && rule.hasSuffix("(no boundary of its own)"), rule)
            }
        }
    }

    func test_compareGenerators_andOneClass_run() throws {
        let folder = try temporaryDirectory()
        let (_, compare) = try run("compare-generators.json", generators.filter { !$0.hasPrefix("syn.params.count") }, in: folder)
        XCTAssertEqual(compare.status, "succeeded", "\(compare.stages.compactMap(\.error))")
        XCTAssertEqual(try XCTUnwrap(try metrics(compare)["results"] as? [[String: Any]]).count, 5)
        let oneClassOverrides = ["flow.params.epochs=2", "autoencoder.params.epochs=3", "autoencoder_typed.params.epochs=3",
                                 "autoencoder_tail.params.epochs=3", "vae.params.epochs=3", "flow_likelihood.params.epochs=2",
                                 "flow_likelihood_typed.params.epochs=2",
                                 "discriminator.params.epochs=3", "tail.params.quantile=0.5", "eval.params.bootstrap=50"]
        let (_, oneClass) = try run("one-class.json", oneClassOverrides, in: folder)
        XCTAssertEqual(oneClass.status, "succeeded", "\(oneClass.stages.compactMap(\.error))")
        let train = try DatasetArchive.read(try XCTUnwrap(oneClass.stages.first { $0.id == "prep" }?.outputs["train"])).dataset
        XCTAssertEqual(train.anomalyCount, 0, "no labelled anomalies at all")
        let results = try XCTUnwrap(try metrics(oneClass)["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { "\($0["variant"]!)/\($0["detector"]!)" },
                       ["none/autoencoder", "gmm/typed/autoencoder", "flow/tail/autoencoder", "none/vae", "none/flow", "gmm/typed/flow",
                        "none/gan", "none/iforest", "none/knn", "none/hbos"])
        XCTAssertTrue(results.allSatisfy { ($0["threshold_rule"] as? String)?.hasPrefix("top 5") == true })
    }

    func test_testSetWithoutAnomalies_givesUndefinedROCAUC_withAWarning() throws {
        let folder = try temporaryDirectory()
        let normal = try String(contentsOfFile: repositoryRoot.appendingPathComponent("data/yeast4-test.csv").path, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasSuffix(",1") }.joined(separator: "\n") + "\n"
        let path = folder.appendingPathComponent("normal.csv").path
        try normal.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, refused) = try run("benchmark.json", fast + ["test.params.path=\(path)"], in: folder)
        XCTAssertTrue(refused.stages.first { $0.id == "test" }?.error?.contains("if the file has no anomalies, say so (label.may_be_absent: true in a pipeline") == true)
        let (_, summary) = try run("benchmark.json", fast + ["test.params.path=\(path)", "test.params.label.may_be_absent=true"], in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let text = try String(contentsOfFile: try XCTUnwrap(summary.metrics.first), encoding: .utf8)
        XCTAssertNil(text.range(of: #"\bnan\b"#, options: [.regularExpression, .caseInsensitive]), "no NaN value: \(text)")
        let results = try XCTUnwrap(try metrics(summary)["results"] as? [[String: Any]])
        XCTAssertTrue(results.allSatisfy { $0["roc_auc"] is NSNull && $0["pr_auc"] is NSNull })
        XCTAssertEqual(summary.warnings.first, "test set prep.test has no anomalies: ROC-AUC and PR-AUC are undefined (they need both classes)")
        let report = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        XCTAssertTrue(report.contains("<td>undefined</td>"))
    }

    func test_evaluateErrors_areClear() throws {
        let folder = try temporaryDirectory()
        let (_, noValidation) = try run("benchmark.json", fast + ["mlp_none.params.validation_fraction=0", "eval.params.threshold=best_f1"], in: folder)
        XCTAssertEqual(noValidation.stages.first { $0.id == "eval" }?.error,
                       "detector mlp_none has no validation rows to choose a threshold on; give it validation_fraction > 0")
        // A classifier's own boundary needs no validation rows.
        let (_, decision) = try run("benchmark.json", fast + ["mlp_none.params.validation_fraction=0"], in: folder)
        XCTAssertEqual(decision.status, "succeeded", "\(decision.stages.compactMap(\.error))")
        let (_, duplicate) = try run("benchmark.json", fast + ["autoencoder.params.model=iforest"], in: folder)
        XCTAssertTrue(duplicate.stages.first { $0.id == "eval" }?.error?.contains("give them different `name` parameters") == true)
        XCTAssertEqual(errorMessage { try self.run("benchmark.json", fast + ["iforest.params.negatives=true"], in: folder) },
                       repositoryRoot.appendingPathComponent("pipelines/benchmark.json").path
                       + ":20:93: $.stages[11].params: negatives: true (anomalies as negatives) is for the autoencoder, vae, flow and gan; iforest cannot use it")
        let (_, supervised) = try run("benchmark.json", fast + ["prep.params.train_anomalies=drop"], in: folder)
        XCTAssertTrue(supervised.stages.first { $0.id == "mlp_none" }?.error?.contains("is supervised but its training rows hold no anomalies") == true,
                      "\(supervised.stages.compactMap(\.error))")
    }
}
