import Foundation
import TensorCore
import TestSupport
import XCTest

/// `anomsynth score --explain`: per row, the source columns that raised its score, on a file
/// with a category and a date column (their model columns summed back), in CSV and JSON.
final class ScoreExplainTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try temporaryDirectory()
        var rng = SeededRNG(seed: 9)
        var lines = ["id,a,b,colour,day,label"]
        for r in 0..<1500 {
            let anomaly = r % 20 == 0
            let b = rng.normal() + (anomaly ? 6 : 0)
            let day = String(format: "2024-%02d-%02d", 1 + r % 12, 1 + r % 28)
            lines.append("r\(r),\(rng.normal()),\(b),\(["red", "green", "blue"][r % 3]),\(day),\(anomaly ? 1 : 0)")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        try """
            {"name": "why", "seed": 4, "stages": [
             {"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}, "ignore": ["id"], "dates": ["day"]}},
             {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
             {"id": "trees", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost", "trees": 40}},
             {"id": "ae", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "autoencoder", "epochs": 20, "latent_dim": 2}},
             {"id": "vae", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "vae", "epochs": 2}}]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let run = try anomsynth(["run", folder.appendingPathComponent("p.json").path, "--quiet", "--out", path("runs"), "--cache-dir", path("cache")])
        XCTAssertEqual(run.status, 0, run.output)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func anomsynth(_ arguments: [String], environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments, environment: environment)
    }

    private func score(_ detector: String, _ options: [String], environment: [String: String?] = [:]) throws -> String {
        let out = path("\(detector)-\(options.joined()).out")
        let result = try anomsynth(["score", path("runs/why/\(detector)/detector.safetensors"), path("d.csv"), "--label", "label",
                                    "--id", "id", "--out", out] + options, environment: environment)
        XCTAssertEqual(result.status, 0, result.output)
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    func test_explainK_namesThePlantedColumn_withItsValueAndTheTypicalOne() throws {
        let lines = try score("trees", ["--explain", "2"]).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines[0], ["id", "score", "anomaly", "label"]
                       + (1...2).flatMap { k in ["column", "contribution", "value", "typical"].map { "explain_\(k)_\($0)" } })
        let anomalies = lines.dropFirst().filter { $0[3] == "1" }
        XCTAssertEqual(anomalies.count, 75)
        XCTAssertGreaterThanOrEqual(anomalies.filter { $0[4] == "b" }.count, 70, "b, where the anomalies were planted, comes first")
        for row in lines.dropFirst() {
            XCTAssertTrue(["a", "b", "colour", "day"].contains(row[4]) && ["a", "b", "colour", "day"].contains(row[8]), "\(row)")
            XCTAssertGreaterThanOrEqual(Float(row[5])!, Float(row[9])!, "largest contribution first")
            for k in [4, 8] where row[k] == "colour" { XCTAssertTrue(["red", "green", "blue"].contains(row[k + 2]), "\(row)") }
            for k in [4, 8] where row[k] == "day" { XCTAssertTrue(row[k + 2].hasPrefix("2024-"), "a date as a date: \(row)") }
        }
    }

    func test_explainAll_json_addsUpToTheLogOdds_overTheSourceColumns() throws {
        let lines = try score("trees", ["--explain-all", "--json"]).split(separator: "\n")
        XCTAssertEqual(lines.count, 1500)
        var checked = 0
        for line in lines {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let explanation = try XCTUnwrap(object["explanation"] as? [String: Any])
            let columns = try XCTUnwrap(explanation["columns"] as? [[String: Any]])
            XCTAssertEqual(columns.compactMap { $0["column"] as? String }, ["a", "b", "colour", "day"], "one-hot groups and date parts summed")
            XCTAssertEqual(explanation["unit"] as? String, "log-odds of the score")
            let score = try XCTUnwrap(object["score"] as? Double)
            guard score > 0.01, score < 0.99 else { continue }
            let total = columns.reduce(try XCTUnwrap(explanation["base"] as? Double)) { $0 + ($1["contribution"] as! Double) }
            XCTAssertEqual(total, Foundation.log(score / (1 - score)), accuracy: 1e-4)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 5)
    }

    func test_explanations_areTheSameBytes_onEveryProductKernel() throws {
        let kernels = ProductKernel.InstructionSet.allCases.filter(\.isSupported)
        let outputs = try kernels.map { try score("ae", ["--explain-all"], environment: [ProductKernel.selectionVariable: $0.rawValue]) }
        for (kernel, output) in zip(kernels, outputs) { XCTAssertEqual(output, outputs[0], "\(kernel) against \(kernels[0])") }
    }

    func test_aDetectorThatCannotExplain_isRefusedByName_andBadCountsExit2() throws {
        let refused = try anomsynth(["score", path("runs/why/vae/detector.safetensors"), path("d.csv"), "--label", "label", "--id", "id",
                                     "--out", path("v.csv"), "--explain", "3"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.output.contains("a vae detector cannot explain its scores; explanations come from mlp, logistic, xgboost, autoencoder, iforest, knn, hbos"),
                      refused.output)
        for options in [["--explain", "0"], ["--explain", "2", "--explain-all"]] {
            let bad = try anomsynth(["score", path("runs/why/trees/detector.safetensors"), path("d.csv"), "--out", path("x.csv")] + options)
            XCTAssertEqual(bad.status, 2, bad.output)
        }
    }
}
