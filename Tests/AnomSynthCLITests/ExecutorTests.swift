import Foundation
import TestSupport
import XCTest

/// Stages as serializable jobs: `run --executor process` runs every stage in its own
/// `anomsynth exec-stage` process and must give exactly the bytes of an in-process run.
final class ExecutorTests: XCTestCase {
    private var folder: URL!
    override func setUpWithError() throws { folder = try temporaryDirectory() }

    private func anomsynth(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments)
    }

    func test_processExecutor_givesTheBytesOfAnInProcessRun_andThenEverythingIsCached() throws {
        let pipeline = fixture("golden/pipeline.json")
        func run(_ name: String, _ extra: [String]) throws -> (status: Int32, output: String) {
            try anomsynth(["run", pipeline, "--out", folder.appendingPathComponent("\(name)/runs").path,
                           "--cache-dir", folder.appendingPathComponent("\(name)/cache").path, "--quiet"] + extra)
        }
        XCTAssertEqual(try run("local", []).status, 0)
        let separate = try run("process", ["--executor", "process", "--jobs", "2"])
        XCTAssertEqual(separate.status, 0, separate.output)
        let local = try regularFiles(under: folder.appendingPathComponent("local/runs/golden"))
        let processes = try regularFiles(under: folder.appendingPathComponent("process/runs/golden"))
        XCTAssertEqual(Set(processes.keys), Set(local.keys))
        XCTAssertGreaterThan(local.count, 30)
        // Every archive, model, quality file and metrics.json; the published reports end with
        // this run's stage table (seconds per stage), so they are the only files that differ.
        for (path, data) in local where !path.hasSuffix("/report.md") && !path.hasSuffix("/report.html") {
            XCTAssertEqual(processes[path], data, "\(path) differs between the executors")
        }
        let jobs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("process/cache/jobs").path)
        XCTAssertEqual(jobs.filter { $0.hasSuffix(".job.json") }.count, 26, "one job per stage")
        let again = try run("process", ["--executor", "process", "--json"])
        let summary = runSummary(in: again.output)
        let statuses = (summary?["stages"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        XCTAssertEqual(Set(statuses), ["cached"])
    }

    func test_aFailingJob_namesItsLog_andABadJobFileIsAClearError() throws {
        try "@relation r\n@attribute x real\n@attribute class {positive,negative}\n@data\n1,positive\noops,negative\n"
            .write(to: folder.appendingPathComponent("bad.dat"), atomically: true, encoding: .utf8)
        try #"{"name": "bad", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "bad.dat"}}]}"#
            .write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let result = try anomsynth(["run", folder.appendingPathComponent("p.json").path, "--executor", "process",
                                    "--out", folder.appendingPathComponent("runs").path, "--cache-dir", folder.appendingPathComponent("cache").path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.output.contains("exec-stage failed (exit status 1); log \(folder.appendingPathComponent("cache/jobs").path)/"), result.output)
        XCTAssertTrue(result.output.contains("'oops' is not a number"), "the log's last lines are quoted: \(result.output)")
        try "{\"stage_id\": 3}".write(to: folder.appendingPathComponent("job.json"), atomically: true, encoding: .utf8)
        let bad = try anomsynth(["exec-stage", folder.appendingPathComponent("job.json").path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.output.contains("job.json: not a stage job: missing 'type' at the top level"), bad.output)
    }
}
