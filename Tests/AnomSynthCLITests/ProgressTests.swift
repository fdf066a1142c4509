@testable import AnomSynthCLI
import Foundation
import TestSupport
import XCTest

/// Progress as events: lines with counts and estimates, stages skipped after a failure
/// named together, and JSON lines with `--json`.
final class ProgressTests: XCTestCase {
    /// An ingest that fails and seven stages downstream of it.
    private func failingPipeline() throws -> String {
        let folder = try temporaryDirectory()
        try "@relation r\n@attribute x real\n@attribute class {positive,negative}\n@data\n1,positive\noops,negative\n"
            .write(to: folder.appendingPathComponent("bad.dat"), atomically: true, encoding: .utf8)
        let detectors = (1...6).map { #"{"id": "d\#($0)", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "iforest"}}"# }
        try (#"{"name": "bad", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "bad.dat"}}, "#
             + #"{"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}, "# + detectors.joined(separator: ", ") + "]}")
            .write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        return folder.path
    }

    func test_lines_countTheStages_andNameSkippedOnesTogether() throws {
        let folder = try failingPipeline()
        let result = try runProcess(try anomsynthExecutable(), ["run", "\(folder)/p.json", "--out", "\(folder)/runs", "--cache-dir", "\(folder)/cache"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.output.contains("failed  raw ("), result.output)
        XCTAssertTrue(result.output.contains("[1/8, 0:0"), "the count done and the time so far: \(result.output)")
        XCTAssertTrue(result.output.contains("skipped 7 stages whose inputs did not finish: prep, d1, d2, d3, d4, … (2 more; `--json` lists each)"), result.output)
        XCTAssertFalse(result.output.contains("skipped d"), "one line for many skipped stages, in pipeline order")
    }

    func test_json_writesEveryEventAsAJSONLine() throws {
        let folder = try failingPipeline()
        let result = try runProcess(try anomsynthExecutable(), ["run", "\(folder)/p.json", "--json", "--out", "\(folder)/runs", "--cache-dir", "\(folder)/cache"])
        XCTAssertEqual(result.status, 1)
        let objects = try result.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
        }
        XCTAssertEqual(objects.count, result.output.split(separator: "\n").filter { !$0.hasPrefix("error:") }.count, "every other line is JSON: \(result.output)")
        let finished = objects.filter { $0["event"] as? String == "stage_finished" }
        XCTAssertEqual(finished.count, 8)
        XCTAssertEqual(finished.filter { $0["status"] as? String == "skipped" }.count, 7, "each skipped stage is an event")
        XCTAssertEqual(finished.last?["done"] as? Int, 8)
        XCTAssertEqual(finished.last?["total"] as? Int, 8)
        XCTAssertNotNil(finished.first?["remaining_estimate"] as? Double)
        XCTAssertEqual(objects.filter { $0["pipeline"] as? String == "bad" }.count, 1, "the summary, on stdout")
    }
}

/// Columns of `plan` and `cache ls`: long stage names are never cut.
final class TextColumnsTests: XCTestCase {
    func test_aligned_padsButNeverCuts() {
        XCTAssertEqual("run".aligned(to: 7), "run    ")
        XCTAssertEqual("mlp@model=vae,fold=3".aligned(to: 16), "mlp@model=vae,fold=3")
    }
}
