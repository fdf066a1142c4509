import ArchiveIO
import Foundation
@testable import PipelineEngine
import TensorCore
import TestSupport
import XCTest

/// Each stage's cost before it runs, from the rows, columns and model it will see; the run's
/// time left corrected by the stages that finish.
final class CostEstimateTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try temporaryDirectory()
        var rng = SeededRNG(seed: 5)
        var lines = ["a,b,c,colour,label"]
        for row in 0..<3000 {
            lines.append("\(rng.normal()),\(rng.normal()),\(rng.normal()),\(["red", "green", "blue"][row % 3]),\(row % 20 == 0 ? 1 : 0)")
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
    }

    private func pipeline(maxSteps: Int = 20_000) throws -> Pipeline {
        try """
            {"name": "cost", "seed": 1, "stages": [
             {"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}}},
             {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"test_fraction": 0.3}}},
             {"id": "flow", "type": "train_generator", "inputs": {"data": "prep.train"},
              "params": {"model": "flow", "train_on": "all", "epochs": 100, "max_steps": \(maxSteps)}},
             {"id": "vae", "type": "train_generator", "inputs": {"data": "prep.train"},
              "params": {"model": "vae", "train_on": "all", "epochs": 100, "max_steps": \(maxSteps)}},
             {"id": "syn", "type": "synthesize", "inputs": {"model": "vae", "reference": "prep.train"}, "params": {"anomaly_ratio": 0.2}},
             {"id": "aug", "type": "augment", "inputs": {"data": "prep.train", "synthetic": ["syn"]}, "params": {"anomaly_ratio": 0.2}},
             {"id": "trees", "type": "train_detector", "inputs": {"data": "aug"}, "params": {"model": "xgboost"}},
             {"id": "eval", "type": "evaluate", "inputs": {"detectors": ["trees"], "test": "prep.test"}}]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        return try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
    }

    private func plan(_ pipeline: Pipeline) -> (steps: [Planner.Step], estimates: [String: StageEstimate]) {
        let steps = Planner.plan(pipeline, cacheRoot: folder.appendingPathComponent("cache"), outputRoot: folder.appendingPathComponent("runs"))
        return (steps, Planner.estimates(pipeline, steps: steps, cacheRoot: folder.appendingPathComponent("cache")))
    }

    func test_shapesFlowFromTheSource_andNeuralCostsFollowStepsAndNetworks() throws {
        let (_, estimates) = plan(try pipeline())
        // The source read as ingest reads it: 3,000 rows, 3 numbers and a 3-category column (one-hot: 6 columns), 150 anomalies.
        XCTAssertEqual(estimates["raw"]?.outputs["data"], DataShape(rows: 3000, columns: 6, anomalies: 150))
        XCTAssertEqual(estimates["prep"]?.outputs["train"]?.rows, 2100)
        XCTAssertEqual(estimates["prep"]?.outputs["test"]?.rows, 900)
        // 2,100 rows at batch 128 are 17 steps an epoch: 1,700 steps over 100 epochs.
        XCTAssertTrue(estimates["flow"]?.why.hasPrefix("1,700 steps x 128 rows of a 6-column flow") == true, estimates["flow"]?.why ?? "")
        let flow = try XCTUnwrap(estimates["flow"]?.seconds), vae = try XCTUnwrap(estimates["vae"]?.seconds)
        XCTAssertGreaterThan(flow, vae, "8 couplings of two 128-unit layers outweigh the vae's networks")
        // The synthetic rows make the training rows 20% anomalies: 105 anomalies of 2,100 need 394 more.
        XCTAssertEqual(estimates["syn"]?.outputs["data"]?.rows, 394)
        XCTAssertEqual(estimates["aug"]?.outputs["data"]?.rows, 2494)
        XCTAssertEqual(estimates["trees"]?.why, "100 rounds on 1,995 rows x 6 columns")
        XCTAssertEqual(estimates["eval"]?.why, "1 detector on 900 test rows")
        // A step cap below the epochs' steps bounds the cost: the cap's share of it.
        let capped = plan(try pipeline(maxSteps: 850)).estimates
        XCTAssertEqual(try XCTUnwrap(capped["flow"]?.seconds) - CostRates.stageStart, (flow - CostRates.stageStart) / 2, accuracy: 1e-9)
        let summary = try XCTUnwrap(CostEstimate.summary(estimates, pipeline: try pipeline(), threads: 2))
        XCTAssertTrue(summary.contains("in train_generator (2 stages; the largest, flow, ~"), summary)
    }

    func test_finishedStages_costNothing_andTheirArchivesGiveTheShapes() throws {
        let pipeline = try pipeline()
        let options = RunOptions(outputRoot: folder.appendingPathComponent("runs"), cacheRoot: folder.appendingPathComponent("cache"),
                                 reporter: ProgressReporter(quiet: true))
        var only = options
        only.stages = ["prep"]
        XCTAssertEqual(Runner(pipeline: pipeline, options: only).run().status, "succeeded")
        let (steps, estimates) = plan(pipeline)
        XCTAssertEqual(steps.filter { $0.action == "cached" }.map(\.id), ["raw", "prep"])
        XCTAssertEqual(estimates["raw"]?.seconds, 0)
        XCTAssertEqual(estimates["prep"]?.seconds, 0)
        for output in ["train", "test"] {
            let manifest = try DatasetArchive.manifest(folder.appendingPathComponent("runs/cost/prep/\(output).tar.zst").path)
            XCTAssertEqual(estimates["prep"]?.outputs[output], DataShape(manifest), "the archive's own counts")
        }
        XCTAssertNotNil(estimates["flow"], "estimated from the cached split")
    }

    func test_theTimeLeft_startsFromTheEstimates_andLearnsFromEachTypeThatFinishes() {
        let reporter = ProgressReporter(style: .quiet)
        let stages = (0..<4).map { ("gen\($0)", "train_generator") } + [("eval", "evaluate")]
        reporter.begin(stages: stages)
        var estimates = Dictionary(uniqueKeysWithValues: (0..<4).map { ("gen\($0)", StageEstimate(seconds: 300, why: "20,000 steps")) })
        estimates["eval"] = StageEstimate(seconds: 10, why: "25 detectors")
        reporter.estimated(estimates)
        let threads = Double(Parallelism.threads)
        XCTAssertEqual(reporter.remainingEstimate(elapsed: 0, done: 0), 1210 / threads, accuracy: 1e-9, "one core's seconds over the threads")
        XCTAssertEqual(reporter.longRunMessage.map { $0.contains("mostly train_generator (4 stages left, about 5:00 each; the largest, gen0: 20,000 steps)") },
                       threads <= 2 ? true : nil, reporter.longRunMessage ?? "")
        // The first generator took twice its estimate: the others are expected to as well, evaluate
        // too (no stage of its type has finished: the corrections of all types).
        reporter.stageFinished(RunSummary.StageOutcome(id: "gen0", status: .ran, key: "", seconds: 600, outputs: [:]))
        XCTAssertEqual(reporter.remainingEstimate(elapsed: 600, done: 1), 3 * 600 + 20, accuracy: 1e-9)
    }
}
