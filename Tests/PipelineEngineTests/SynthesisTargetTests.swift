import ArchiveIO
import Datasets
import Foundation
import Models
@testable import PipelineEngine
import Reporting
import TensorCore
import TestSupport
import XCTest

/// Synthetic counts that follow the data (`anomaly_ratio` in synthesize), checked by
/// `validate` against augment's, and a variant whose filters leave no rows.
final class SynthesisTargetTests: XCTestCase {
    private func run(_ stages: String, data: (name: String, text: String)? = nil, in folder: URL) throws -> RunSummary {
        if let data {
            try data.text.write(to: folder.appendingPathComponent(data.name), atomically: true, encoding: .utf8)
        } else {
            try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        }
        try #"{"name": "target", "seed": 5, "stages": [\#(stages)]}"#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        return runQuietly(pipeline, in: folder)
    }

    private let kdd = """
        {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
        {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
        {"id": "smote", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "smote", "neighbours": 3}}
        """

    func test_anomalyRatio_makesWhatAugmentNeeds_afterTheFilters() throws {
        // The neighbour check drops synthetic rows whose neighbours are mostly normal: the
        // stage draws again until the rows augment needs have passed.
        let summary = try run(kdd + """
            , {"id": "syn", "type": "synthesize", "inputs": {"model": "smote", "reference": "prep.train"},
               "params": {"anomaly_ratio": 0.4, "neighbour_check": 5}},
            {"id": "aug", "type": "augment", "inputs": {"data": "prep.train", "synthetic": ["syn"]}, "params": {"anomaly_ratio": 0.4}}
            """, in: try temporaryDirectory())
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        func output(_ stage: String, _ name: String) throws -> String { try XCTUnwrap(summary.stages.first { $0.id == stage }?.outputs[name]) }
        let train = try DatasetArchive.read(try output("prep", "train")).dataset
        let synthetic = try DatasetArchive.read(try output("syn", "data")).dataset
        let needed = AugmentStage.rowsNeeded(ratio: 0.4, rows: train.rowCount, anomalies: train.anomalyCount)
        XCTAssertGreaterThan(needed, 0)
        XCTAssertEqual(synthetic.rowCount, needed, "exactly what augment adds, after filtering")
        let quality = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try output("syn", "quality")))) as? [String: Any])
        XCTAssertEqual(quality["requested"] as? Int, needed)
        XCTAssertGreaterThan(try XCTUnwrap(quality["drawn"] as? Int), needed, "the filters dropped rows, so more were drawn")
        let augmented = try DatasetArchive.read(try output("aug", "data")).dataset
        XCTAssertEqual(Double(augmented.anomalyCount) / Double(augmented.rowCount), 0.4, accuracy: 0.01)
        XCTAssertEqual(AugmentStage.rowsNeeded(ratio: 0.1, rows: 100, anomalies: 20), 0, "already above the ratio")
        XCTAssertEqual(AugmentStage.rowsNeeded(ratio: 0.5, rows: 100, anomalies: 10), 80)
    }

    func test_validate_refusesCountsThatCannotFillAugment() throws {
        let folder = try temporaryDirectory()
        let stages = kdd + """
            , {"id": "syn", "type": "synthesize", "inputs": {"model": "smote", "reference": "prep.train"}, "params": {"anomaly_ratio": 0.1}},
            {"id": "aug", "type": "augment", "inputs": {"data": "prep.train", "synthetic": ["syn"]}, "params": {"anomaly_ratio": 0.3}}
            """
        XCTAssertEqual(errorMessage { _ = try self.run(stages, in: folder) }.components(separatedBy: ": $.").last,
                       "stages[4].params.anomaly_ratio: anomaly_ratio 0.3 needs more synthetic rows than a synthesize input makes for its anomaly_ratio 0.1; give the synthesize stage at least 0.3, or set shortfall: use_available")
        let both = stages.replacingOccurrences(of: #""anomaly_ratio": 0.1"#, with: #""anomaly_ratio": 0.3, "count": 10"#)
        XCTAssertTrue(errorMessage { _ = try self.run(both, in: try temporaryDirectory()) }.hasSuffix("$.stages[3].params.anomaly_ratio: give count or anomaly_ratio, not both"))
    }

    /// Every combination of the two categories exists among the real rows, so every SMOTE row
    /// is a copy and is dropped: the variant has no synthetic rows, and the run goes on.
    func test_aVariantWithoutSyntheticRows_isReported_andTheRunSucceeds() throws {
        let rows = (0..<48).map { i in "\(i % 2 == 0 ? "red" : "blue"),\((i / 2) % 2 == 0 ? "S" : "L"),\(i >= 40 ? 1 : 0)" }
        let summary = try run("""
            {"id": "raw", "type": "ingest", "params": {"path": "cats.csv", "label": {"column": "label", "positive": "1"}}},
            {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
            {"id": "smote", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "smote", "neighbours": 3}},
            {"id": "syn", "type": "synthesize", "inputs": {"model": "smote", "reference": "prep.train"}, "params": {"anomaly_ratio": 0.3}},
            {"id": "aug", "type": "augment", "inputs": {"data": "prep.train", "synthetic": ["syn"]}, "params": {"anomaly_ratio": 0.3}},
            {"id": "trees", "type": "train_detector", "inputs": {"data": "aug"}, "params": {"model": "xgboost"}},
            {"id": "trees_none", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost"}},
            {"id": "eval", "type": "evaluate", "params": {"bootstrap": 20},
             "inputs": {"detectors": ["trees_none", "trees"], "test": "prep.test", "synthetic": ["syn"], "quality": ["syn.quality"]}}
            """, data: ("cats.csv", "color,size,label\n" + rows.joined(separator: "\n") + "\n"), in: try temporaryDirectory())
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let synthetic = try DatasetArchive.read(try XCTUnwrap(summary.stages.first { $0.id == "syn" }?.outputs["data"])).dataset
        XCTAssertEqual(synthetic.rowCount, 0)
        let metrics = try MetricsDocument.read(try XCTUnwrap(summary.metrics.first))
        XCTAssertEqual(metrics.results.map { "\($0.variant)/\($0.detector)" }, ["none/xgboost", "smote/minority/xgboost"],
                       "the empty variant keeps its name, not 'none'")
        let warning = "smote/minority / xgboost: its synthetic inputs (smote/minority) held no rows (the training rows already met the anomaly ratio, or the filters dropped every row: their quality.json says which), so trees learned from the real rows alone"
        XCTAssertEqual(metrics.warnings, [warning])
        XCTAssertEqual(summary.warnings, [warning])
        let report = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        XCTAssertTrue(report.contains("held no rows"), "the report's warnings say so")
    }
}

/// `unlabelled_suspects`: positive-unlabelled learning in train_detector.
final class UnlabelledSuspectsTests: XCTestCase {
    /// A train_detector stage's parameters as `validate` fills them in.
    private func validated(_ params: String) throws -> JSONValue {
        let file = try temporaryDirectory().appendingPathComponent("p.json")
        try #"{"name": "x", "stages": [{"id": "raw", "type": "ingest", "params": {"path": "\#(fixture("tiny.arff"))"}}, {"id": "det", "type": "train_detector", "inputs": {"data": "raw"}, "params": \#(params)}]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        return try XCTUnwrap(try PipelineLoader.load(file.path).stage("det")?.params)
    }

    /// 300 normal rows near the origin, 30 anomalies near (4, 4), of which 24 are labelled
    /// normal (hidden); the cross-fitted trees find most of the hidden ones among the suspects.
    func test_suspects_areTheHiddenAnomalies_andOnlyRealNormalRowsAreLeftOut() throws {
        var rng = SeededRNG(seed: 80)
        var rows: [[Float]] = (0..<300).map { _ in [rng.normal(), rng.normal()] }
        rows += (0..<30).map { _ in [4 + rng.normal() * 0.5, 4 + rng.normal() * 0.5] }
        let truth = [UInt8](repeating: 0, count: 300) + [UInt8](repeating: 1, count: 30)
        let labels = truth.indices.map { $0 >= 324 ? UInt8(1) : 0 }  // 6 labelled anomalies
        let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]
        let data = try Dataset(features: try Tensor(rows: rows), columns: columns, labels: labels)
        let params = try validated(#"{"model": "xgboost", "trees": 20, "class_weight": "none"}"#)
        let kept = try TrainDetectorStage.withoutSuspects(data, share: 0.1, params: params, using: &rng)
        let leftOut = Set(0..<data.rowCount).subtracting(kept)
        XCTAssertEqual(leftOut.count, 32, "10% of the 324 rows labelled normal")
        XCTAssertTrue(leftOut.allSatisfy { labels[$0] == 0 }, "labelled anomalies are never left out")
        let hidden = leftOut.filter { truth[$0] == 1 }.count
        XCTAssertGreaterThanOrEqual(hidden, 18, "most of the 24 hidden anomalies are suspects (chance: about 2)")
        var same = SeededRNG(seed: 7), other = SeededRNG(seed: 7)
        XCTAssertEqual(try TrainDetectorStage.withoutSuspects(data, share: 0.1, params: params, using: &same),
                       try TrainDetectorStage.withoutSuspects(data, share: 0.1, params: params, using: &other), "seeded")
        // Both classes are needed in each half: two labelled anomalies are dealt one to each.
        XCTAssertEqual(try TrainDetectorStage.withoutSuspects(try data.rows(Array(0..<300) + [328, 329]), share: 0.1, params: params, using: &rng).count, 272)
        let fewAnomalies = try data.rows(Array(0..<300) + [329])
        XCTAssertTrue(errorMessage { try TrainDetectorStage.withoutSuspects(fewAnomalies, share: 0.1, params: params, using: &rng) }
            .contains("cross-fitting needs both classes in each half"))
    }
}

/// Column roles through a pipeline: the id left out, the timestamp as numbers.
final class ColumnRolesPipelineTests: XCTestCase {
    func test_ingestRoles_reachThePreprocessedColumns() throws {
        let folder = try temporaryDirectory()
        var text = "transaction_id,created_at,amount,merchant,is_fraud\n"
        for i in 0..<200 {
            text += "tx-\(i),2024-03-\(10 + i % 20) \(10 + i % 12):00,\(i % 17 == 0 ? 900 + i : i % 50),m\(i % 4),\(i % 17 == 0 ? "yes" : "no")\n"
        }
        try text.write(to: folder.appendingPathComponent("export.csv"), atomically: true, encoding: .utf8)
        try #"""
            {"name": "roles", "seed": 2, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "export.csv", "label": {"column": "is_fraud", "positive": "yes"},
                                                        "ignore": ["transaction_id"], "dates": ["created_at"]}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
              {"id": "trees", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost", "trees": 10}},
              {"id": "eval", "type": "evaluate", "inputs": {"detectors": ["trees"], "test": "prep.test"}, "params": {"bootstrap": 0}}
            ]}
            """#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        let summary = runQuietly(pipeline, in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let train = try DatasetArchive.read(try XCTUnwrap(summary.stages.first { $0.id == "prep" }?.outputs["train"])).dataset
        // Every date is in March: the month column is constant and set aside by preprocess.
        XCTAssertEqual(train.columns.map(\.name), ["created_at_days", "created_at_weekday", "created_at_hour", "amount",
                                                   "merchant=m0", "merchant=m1", "merchant=m2", "merchant=m3"], "no one-hot of the id")
        // Scoring the export: the id passed through, the dates recognized without being named again.
        var request = IngestRequest(path: folder.appendingPathComponent("export.csv").path)
        (request.labelColumn, request.positive) = ("is_fraud", ["yes"])
        let scored = try Scoring.score(detectorPath: try XCTUnwrap(summary.stages.first { $0.id == "trees" }?.outputs["model"]),
                                       request: request, idColumns: ["transaction_id"], rule: .bestF1)
        XCTAssertEqual(scored.ids.prefix(2).map { $0 }, [["tx-0"], ["tx-1"]])
        XCTAssertEqual(scored.scores.count, 200)
        XCTAssertEqual(scored.labels?.filter { $0 == 1 }.count, 12)
    }
}

/// `detector_validation_fraction`: generators leave out the rows the detectors validate on.
final class GeneratorHoldOutTests: XCTestCase {
    func test_generator_leavesOutTheDetectorsValidationRows() throws {
        let folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        try #"""
            {"name": "holdout", "seed": 4, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
              {"id": "all", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "smote", "neighbours": 2}},
              {"id": "fit", "type": "train_generator", "inputs": {"data": "prep.train"},
               "params": {"model": "smote", "neighbours": 2, "detector_validation_fraction": 0.3, "detector_validation_seed": 5}}
            ]}
            """#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        let summary = runQuietly(pipeline, in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        func output(_ stage: String, _ name: String) throws -> String { try XCTUnwrap(summary.stages.first { $0.id == stage }?.outputs[name]) }
        let train = try DatasetArchive.read(try output("prep", "train")).dataset
        let (_, validation) = try TrainDetectorStage.holdOut(train, fraction: 0.3, seed: 5)
        let heldAnomalies = validation.filter { train.labels[$0] == 1 }
        XCTAssertFalse(heldAnomalies.isEmpty)
        func minority(_ stage: String) throws -> Set<[Float]> {
            let state = try XCTUnwrap(try GeneratorStore.load(try output(stage, "model")).generator.exportState().tensors["minority"])
            return Set((0..<state.rows).map { r in (0..<state.columns).map { state[r, $0] } })
        }
        let rows = { (indices: [Int]) in Set(indices.map { r in (0..<train.columns.count).map { train.features[r, $0] } }) }
        XCTAssertEqual(try minority("all"), rows(train.indices(ofClass: 1)), "without it: every anomaly")
        XCTAssertEqual(try minority("fit"), rows(train.indices(ofClass: 1).filter { !heldAnomalies.contains($0) }),
                       "the anomalies the detectors validate on are not interpolated")
    }
}
