@testable import AnomSynthCLI
import ArgumentParser
import Foundation
import PipelineEngine
import Reporting
import TestSupport
import XCTest

/// The pipeline commands, in-process and as a separate process (for kill -9).
final class PipelineCommandsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        try """
            {"name": "cli", "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
    }

    private func run(_ arguments: [String]) throws { try runCommand(arguments) }

    private var common: [String] {
        ["--out", folder.appendingPathComponent("runs").path, "--cache-dir", folder.appendingPathComponent("cache").path]
    }

    func test_run_validate_plan_cache_inProcess() throws {
        let pipeline = folder.appendingPathComponent("p.json").path
        try run(["validate", pipeline])
        try run(["run", pipeline, "--quiet"] + common)
        try run(["plan", pipeline] + common)
        try run(["cache", "verify", "--cache-dir", folder.appendingPathComponent("cache").path])
        try run(["cache", "gc", "--unused", "--cache-dir", folder.appendingPathComponent("cache").path, "--out", folder.appendingPathComponent("runs").path])
        XCTAssertEqual(StageCache(root: folder.appendingPathComponent("cache")).keys().count, 2, "entries of the latest run are kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/cli/prep/train.tar.zst").path))
    }

    func test_exitCodes_invalidIs2_failedStageIs1_unknownForceIsAnArgumentError() throws {
        let bad = folder.appendingPathComponent("bad.json").path
        try #"{"name": "cli", "stages": [{"id": "raw", "type": "ingest", "params": {"path": "missing.csv"}}]}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try run(["validate", bad])) { XCTAssertEqual($0 as? ExitCode, ExitCode(2)) }
        XCTAssertThrowsError(try run(["run", bad, "--quiet"] + common)) { XCTAssertEqual($0 as? ExitCode, ExitCode(2)) }
        try "@relation r\n@attribute x real\n@attribute class {positive}\n@data\noops,positive\n"
            .write(to: folder.appendingPathComponent("kdd.dat"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try run(["run", folder.appendingPathComponent("p.json").path, "--quiet"] + common)) {
            XCTAssertEqual($0 as? ExitCode, ExitCode(1))
        }
        XCTAssertThrowsError(try run(["run", folder.appendingPathComponent("p.json").path, "--force", "nope"] + common)) {
            XCTAssertTrue("\($0)".contains("no such stage"), "\($0)")
        }
    }

    private func executable() throws -> URL { try anomsynthExecutable() }

    func test_runJSON_printsTheSummaryContract() throws {
        let result = try runProcess(try executable(), ["run", folder.appendingPathComponent("p.json").path, "--json"] + common)
        XCTAssertEqual(result.status, 0, result.output)
        let summary = runSummary(in: result.output)
        XCTAssertEqual(summary?["pipeline"] as? String, "cli")
        XCTAssertEqual(summary?["status"] as? String, "succeeded")
        let stages = summary?["stages"] as? [[String: Any]]
        XCTAssertEqual(stages?.map { $0["id"] as? String }, ["raw", "prep"])
        XCTAssertEqual(stages?.map { $0["status"] as? String }, ["ran", "ran"])
        XCTAssertEqual((stages?[0]["key"] as? String)?.count, 64)
        XCTAssertNotNil(stages?[1]["seconds"] as? Double)
        XCTAssertNotNil((stages?[1]["outputs"] as? [String: String])?["train"])
        XCTAssertNotNil(summary?["metrics"] as? [String])
    }

    func test_killDashNineDuringAStage_thenRerun_givesTheCorrectResult() throws {
        let binary = try executable()
        // A CSV large enough that ingesting it takes a while in a debug build.
        var text = "a,b,c,d,label\n"
        for r in 0..<300_000 { text += "\(r % 97).5,\(r % 13),\(r % 7).25,\(r),\(r % 50 == 0 ? 1 : 0)\n" }
        try text.write(to: folder.appendingPathComponent("big.csv"), atomically: true, encoding: .utf8)
        let pipeline = folder.appendingPathComponent("big.json").path
        try """
            {"name": "big", "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "big.csv", "label": {"column": "label", "positive": ["1"]}}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}]}
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", pipeline, "--quiet"] + common
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let cache = StageCache(root: folder.appendingPathComponent("cache"))
        for key in cache.keys() { XCTAssertNil(cache.verify(key), "no half-written entry") }
        let rerun = try runProcess(binary, ["run", pipeline, "--json"] + common)
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertTrue(rerun.output.contains(#""status":"succeeded""#), rerun.output)
        let fresh = try runProcess(binary, ["run", pipeline, "--json", "--out", folder.appendingPathComponent("runs2").path,
                                            "--cache-dir", folder.appendingPathComponent("cache2").path])
        XCTAssertEqual(fresh.status, 0, fresh.output)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("runs/big/prep/train.tar.zst")),
                       try Data(contentsOf: folder.appendingPathComponent("runs2/big/prep/train.tar.zst")))
    }

    func test_twoProcesses_withTheSameSeed_writeByteIdenticalSyntheticData() throws {
        let binary = try executable()
        let pipeline = repositoryRoot.appendingPathComponent("pipelines/normal-only-kdd.json").path
        let sets = ["--set", "flow.params.epochs=2", "--set", "flow.params.hidden_units=16", "--set", "typed.params.count=30",
                    "--set", "tail.params.count=20", "--set", "tail.params.quantile=0.5", "--quiet"]
        var files: [Data] = []
        for index in 0..<2 {
            let out = folder.appendingPathComponent("runs\(index)").path, cache = folder.appendingPathComponent("cache\(index)").path
            let result = try runProcess(binary, ["run", pipeline, "--out", out, "--cache-dir", cache] + sets)
            XCTAssertEqual(result.status, 0, result.output)
            for stage in ["typed", "tail"] {
                files.append(try Data(contentsOf: URL(fileURLWithPath: "\(out)/normal-only-kdd/\(stage)/synthetic.tar.zst")))
            }
        }
        XCTAssertEqual(files[0], files[2], "typed anomalies differ between processes")
        XCTAssertEqual(files[1], files[3], "the flow's tail samples differ between processes")
    }
}

/// Quality gates and `diff`, through the commands.
final class GateCommandsTests: XCTestCase {
    private let fast = fastBenchmarkOverrides
    private func run(_ arguments: [String]) throws { try runCommand(arguments) }

    func test_missedGate_exits3_afterWritingTheReport_andDiffShowsTheChange() throws {
        let folder = try temporaryDirectory()
        let pipeline = repositoryRoot.appendingPathComponent("pipelines/benchmark.json").path
        let common = ["--quiet", "--out", folder.appendingPathComponent("runs").path, "--cache-dir", folder.appendingPathComponent("cache").path]
        let passing = #"eval.params.gates=[{"metric": "roc_auc", "detector": "mlp", "variant": "none", "min": 0.5}]"#
        try run(["run", pipeline, "--set", passing] + fast + common)
        let metrics = folder.appendingPathComponent("runs/benchmark/eval/metrics.json").path
        let first = folder.appendingPathComponent("first.json").path
        try FileManager.default.copyItem(atPath: metrics, toPath: first)
        let missed = #"eval.params.gates=[{"metric": "roc_auc", "detector": "mlp", "min": 1.01}]"#
        XCTAssertThrowsError(try run(["run", pipeline, "--set", missed] + fast + common)) { XCTAssertEqual($0 as? ExitCode, ExitCode(3)) }
        let report = try String(contentsOfFile: folder.appendingPathComponent("runs/benchmark/eval/report.html").path, encoding: .utf8)
        XCTAssertTrue(report.contains("1 of 1 quality gate missed"), "the report is written before the exit")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metrics))) as? [String: Any]
        XCTAssertEqual((document?["gates"] as? [[String: Any]])?.first?["passed"] as? Bool, false)
        // A different seed for the MLPs changes their metrics: diff shows it.
        try run(["run", pipeline, "--set", "mlp.params.seed=99", "--set", passing] + fast + common)
        try run(["diff", first, folder.appendingPathComponent("runs/benchmark").path])
        let diff = MetricsDiff(before: try MetricsDocument.read(first), after: try MetricsDocument.read(metrics))
        XCTAssertTrue(diff.rows.contains { $0.variant == "vae" && $0.detector == "mlp" && ($0.change ?? 0) != 0 })
        XCTAssertTrue(diff.rows.filter { $0.variant == "none" }.allSatisfy { $0.change == 0 }, "unchanged detectors, unchanged metrics")
        XCTAssertThrowsError(try run(["diff", first, folder.path])) { XCTAssertTrue("\($0)".contains("holds several metrics.json") || "\($0)".contains("holds no metrics.json"), "\($0)") }
    }
}
