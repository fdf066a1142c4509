import Foundation
@testable import PipelineEngine
import Reporting
import TensorCore
import TestSupport
import XCTest

/// A label that is a rule of one column: the run warns, naming the column, in the summary,
/// metrics.json and the report; an honest data set gets no such warning.
final class LeakWarningTests: XCTestCase {
    private func run(leaky: Bool) throws -> RunSummary {
        let folder = try temporaryDirectory()
        var rng = SeededRNG(seed: 31)
        var lines = ["a,b,flag_code,label"]
        for row in 0..<1000 {
            let anomaly = row % 10 == 0
            let flag = leaky ? (anomaly ? 7 + rng.uniform() : rng.uniform()) : rng.normal()
            lines.append("\(rng.normal() + (anomaly ? 1.5 : 0)),\(rng.normal()),\(flag),\(anomaly ? 1 : 0)")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        try #"""
            {"name": "leak", "seed": 2, "stages": [
             {"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}}},
             {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
             {"id": "forest", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "iforest", "trees": 20}},
             {"id": "eval", "type": "evaluate", "inputs": {"detectors": ["forest"], "test": "prep.test"}, "params": {"bootstrap": 20}}]}
            """#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        return Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"), cacheRoot: folder.appendingPathComponent("cache"),
                                                              reporter: ProgressReporter(quiet: true))).run()
    }

    func test_aColumnThatIsTheLabel_isNamed_andHonestDataIsNot() throws {
        let leaky = try run(leaky: true)
        XCTAssertEqual(leaky.status, "succeeded")
        let warning = try XCTUnwrap(leaky.warnings.first { $0.hasPrefix("column 'flag_code' alone separates the test classes (ROC-AUC 1.0000)") }, "\(leaky.warnings)")
        XCTAssertEqual(try MetricsDocument.read(try XCTUnwrap(leaky.metrics.first)).warnings.filter { $0 == warning }.count, 1)
        XCTAssertTrue(try String(contentsOfFile: try XCTUnwrap(leaky.reports.first), encoding: .utf8).contains("alone separates the test classes"))
        let honest = try run(leaky: false)
        XCTAssertFalse(honest.warnings.contains { $0.contains("separates") }, "\(honest.warnings)")
    }
}
