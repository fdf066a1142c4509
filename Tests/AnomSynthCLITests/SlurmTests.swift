import Foundation
import TestSupport
import XCTest

/// `run --executor slurm` on a real single-node cluster: `make test` starts one
/// (`scripts/slurm-cluster.sh`) and sets `SLURM_CONF`; without it these tests are skipped.
final class SlurmTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["SLURM_CONF"] != nil else {
            throw XCTSkip("no Slurm cluster: `make test` starts one (scripts/slurm-cluster.sh) and sets SLURM_CONF")
        }
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sinfo", "-h", "-o", "%T"])
        XCTAssertEqual(check.status, 0, "SLURM_CONF is set but the cluster does not answer: \(check.output)")
        folder = try temporaryDirectory()
    }

    private func setPartition(_ state: String) throws {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["scontrol", "update", "PartitionName=debug", "State=\(state)"])
        XCTAssertEqual(result.status, 0, "scontrol update State=\(state): \(result.output)")
    }

    private func anomsynth(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments)
    }

    func test_aMatrixPipelineOnTheCluster_givesTheBytesOfALocalRun_andASecondRunSubmitsNothing() throws {
        let pipeline = fixture("golden/pipeline.json")
        func arguments(_ name: String) -> [String] {
            ["run", pipeline, "--out", folder.appendingPathComponent("\(name)/runs").path,
             "--cache-dir", folder.appendingPathComponent("\(name)/cache").path, "--quiet"]
        }
        XCTAssertEqual(try anomsynth(arguments("local")).status, 0)
        // Submit and return, look at the queue, then collect with a second `run`.
        let detached = try anomsynth(arguments("slurm") + ["--executor", "slurm", "--detach"])
        XCTAssertEqual(detached.status, 0, detached.output)
        XCTAssertTrue(detached.output.contains("submitted 26 jobs"), detached.output)
        let status = try anomsynth(["status", pipeline, "--out", folder.appendingPathComponent("slurm/runs").path])
        XCTAssertTrue(status.output.contains("of 26 jobs"), status.output)
        let collected = try anomsynth(arguments("slurm") + ["--executor", "slurm"])
        XCTAssertEqual(collected.status, 0, collected.output)
        let local = try regularFiles(under: folder.appendingPathComponent("local/runs/golden"))
        let cluster = try regularFiles(under: folder.appendingPathComponent("slurm/runs/golden"))
        XCTAssertEqual(Set(cluster.keys), Set(local.keys))
        for (path, data) in local where !path.hasSuffix("/report.md") && !path.hasSuffix("/report.html") {
            XCTAssertEqual(cluster[path], data, "\(path) differs between a local and a Slurm run")
        }
        let again = try anomsynth(arguments("slurm") + ["--executor", "slurm", "--json"])
        let summary = runSummary(in: again.output)
        XCTAssertEqual(Set((summary?["stages"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }), ["cached"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("slurm/runs/golden/.slurm/run.json").path),
                       "nothing was submitted")
    }

    func test_aFailingJob_isReportedWithItsExitStatusAndLog_andItsDependantsAreSkipped() throws {
        try "@relation r\n@attribute x real\n@attribute class {positive,negative}\n@data\n1,positive\noops,negative\n"
            .write(to: folder.appendingPathComponent("bad.dat"), atomically: true, encoding: .utf8)
        try #"{"name": "bad", "seed": 1, "resources": {"ingest": {"cpus": 1, "memory": "500M", "time": "5:00"}}, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "bad.dat"}}, {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}]}"#
            .write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let result = try anomsynth(["run", folder.appendingPathComponent("p.json").path, "--executor", "slurm",
                                    "--out", folder.appendingPathComponent("runs").path, "--cache-dir", folder.appendingPathComponent("cache").path])
        XCTAssertEqual(result.status, 1)
        let log = folder.appendingPathComponent("runs/bad/.slurm/raw.log").path
        XCTAssertTrue(result.output.contains("error: stage raw: failed on the cluster (job "), result.output)
        XCTAssertTrue(result.output.contains("exit status 1); log \(log)"), result.output)
        XCTAssertTrue(result.output.contains("skipped prep"), result.output)
        XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).contains("'oops' is not a number"))
    }

    func test_ctrlC_cancelsTheSubmittedJobs_andLeavesTheCacheIntact() throws {
        // A down partition queues the jobs without running them, so the run is still
        // waiting when Ctrl-C comes, however fast or loaded the machine.
        try setPartition("DOWN")
        defer { try? setPartition("UP") }
        let binary = try anomsynthExecutable()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", fixture("golden/pipeline.json"), "--executor", "slurm", "--quiet",
                             "--out", folder.appendingPathComponent("runs").path, "--cache-dir", folder.appendingPathComponent("cache").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let jobs = folder.appendingPathComponent("runs/golden/.slurm/run.json").path
        var submitted: [[String: Any]] = []
        for _ in 0..<300 {
            submitted = ((try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jobs)))) as? [[String: Any]]) ?? []
            if submitted.count == 26 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(submitted.count, 26)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let ids = submitted.compactMap { $0["id"] as? String }
        var left = ""
        for _ in 0..<20 {
            left = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["squeue", "-h", "-o", "%i", "-j", ids.joined(separator: ",")]).output
            if left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertEqual(left.trimmingCharacters(in: .whitespacesAndNewlines), "", "every job was cancelled")
        let verify = try anomsynth(["cache", "verify", "--cache-dir", folder.appendingPathComponent("cache").path])
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}
