import Foundation
import TestSupport
import XCTest

/// `exec-stage` job files as an attacker on a shared file system would write them: a job can
/// fill only the cache entry its own content hashes to, inside a cache a run made, and never
/// removes or writes anything else.
final class HostileJobFileTests: XCTestCase {
    private var folder: URL!
    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    override func setUpWithError() throws { folder = try temporaryDirectory() }

    private func anomsynth(_ arguments: [String], environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments, environment: environment)
    }

    /// Runs a two-stage pipeline (ingest, preprocess) in job processes; returns the
    /// preprocess job as a JSON object and the ingest job's key.
    private func plannedJobs() throws -> (preprocess: [String: Any], ingestKey: String) {
        try ("a,b,label\n" + (0..<40).map { "\($0 % 7).5,\($0 % 5),\($0 % 10 == 0 ? 1 : 0)" }.joined(separator: "\n") + "\n")
            .write(toFile: path("d.csv"), atomically: true, encoding: .utf8)
        try #"{"name": "small", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}}}, {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}]}"#
            .write(toFile: path("p.json"), atomically: true, encoding: .utf8)
        let run = try anomsynth(["run", path("p.json"), "--executor", "process", "--out", path("runs"), "--cache-dir", path("cache"), "--quiet"])
        XCTAssertEqual(run.status, 0, run.output)
        var preprocess: [String: Any]?, ingestKey: String?
        for name in try FileManager.default.contentsOfDirectory(atPath: path("cache/jobs")) where name.hasSuffix(".job.json") {
            let job = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("cache/jobs/\(name)")))) as? [String: Any])
            if job["type"] as? String == "preprocess" { preprocess = job } else { ingestKey = job["key"] as? String }
        }
        return (try XCTUnwrap(preprocess), try XCTUnwrap(ingestKey))
    }

    private func write(_ job: [String: Any], _ name: String) throws -> String {
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Every file under a folder with its bytes (what must not change).
    private func snapshot(_ name: String) throws -> [String: Data] { try regularFiles(under: folder.appendingPathComponent(name)) }

    func test_aJobsKeyAndFields_areCheckedBeforeAnythingIsTouched() throws {
        let (job, ingestKey) = try plannedJobs()
        try FileManager.default.createDirectory(atPath: path("victim"), withIntermediateDirectories: true)
        try "precious".write(toFile: path("victim/notes.txt"), atomically: true, encoding: .utf8)
        let cacheBefore = try snapshot("cache/entries"), victimBefore = try snapshot("victim")
        let key = try XCTUnwrap(job["key"] as? String)
        func with(_ field: String, _ value: Any) -> [String: Any] { var copy = job; copy[field] = value; return copy }
        var params = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data((job["params"] as! String).utf8)) as? [String: Any])
        params["scale"] = "bogus"
        let badParams = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        params.removeValue(forKey: "scale")
        let partialParams = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        var inputs = job["inputs"] as! [String: [[String: Any]]]
        inputs["data"]![0]["path"] = "/etc/hostname"
        let cases: [(String, [String: Any], String)] = [
            ("victim", with("key", "../../victim"), "key: expected 64 lowercase hexadecimal digits"),
            ("empty", with("key", ""), "key: expected 64"),
            ("dotdot", with("key", ".."), "key: expected 64"),
            ("outside", with("key", "../../x"), "key: expected 64"),
            ("nul", with("key", key + "\u{0}"), "key: expected 64"),
            ("upper", with("key", key.uppercased()), "key: expected 64"),
            ("other", with("key", ingestKey), "is not the key of this job's content"),
            ("material", with("key_material", "{}"), "key_material: does not describe this job"),
            ("params", with("params", badParams), "$.params.scale: expected one of"),
            ("partial", with("params", partialParams), "params: incomplete"),
            ("root", with("cache_root", path("victim")), "is not an AnomSynth cache"),
            ("relative", with("cache_root", "cache"), "cache_root: expected an absolute path"),
            ("input", with("inputs", inputs), "expected a file of an entry of the cache"),
            ("stage", with("stage_id", "../x"), "stage_id: expected a stage id"),
            ("seed", with("seed", "-1"), "seed: expected a 64-bit unsigned integer"),
        ]
        for (name, forged, expected) in cases {
            let result = try anomsynth(["exec-stage", try write(forged, "\(name).job.json")])
            XCTAssertEqual(result.status, 1, "\(name): \(result.output)")
            XCTAssertTrue(result.output.contains("\(name).job.json: ") && result.output.contains(expected), "\(name): expected '\(expected)' in \(result.output)")
            XCTAssertEqual(try snapshot("victim"), victimBefore, "\(name): the user's folder is untouched")
            XCTAssertEqual(try snapshot("cache/entries"), cacheBefore, "\(name): the cache is untouched")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x")), "\(name): nothing is written outside the cache")
        }
        // The job as planned is served from its entry.
        let valid = try anomsynth(["exec-stage", try write(job, "valid.job.json")])
        XCTAssertEqual(valid.status, 0, valid.output)
        XCTAssertTrue(valid.output.contains("prep: already in the cache \(key.prefix(12))"), valid.output)
        // Job parameters are checked as validate checks them (a number out of range).
        var big = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data((job["params"] as! String).utf8)) as? [String: Any])
        big["max_categories"] = 1_000_000_000
        let tooBig = try anomsynth(["exec-stage", try write(with("params", String(decoding: try JSONSerialization.data(withJSONObject: big), as: UTF8.self)), "big.job.json")])
        XCTAssertEqual(tooBig.status, 1)
        XCTAssertTrue(tooBig.output.contains("$.params.max_categories: expected an integer <= 100000"), tooBig.output)
    }

    func test_aFolderInTheCacheThatTheCacheDidNotMake_isNeverRemoved() throws {
        let (job, _) = try plannedJobs()
        let key = try XCTUnwrap(job["key"] as? String)
        let entry = path("cache/entries/\(key)")
        try FileManager.default.removeItem(atPath: entry)
        try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true)
        try "mine".write(toFile: "\(entry)/notes.txt", atomically: true, encoding: .utf8)
        let result = try anomsynth(["exec-stage", try write(job, "job.json")])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("was not made by this cache; remove it by hand"), result.output)
        XCTAssertEqual(try String(contentsOfFile: "\(entry)/notes.txt", encoding: .utf8), "mine")
    }

    func test_aForgedSlurmJobList_isRefused_beforeAnyIdReachesSlurm() throws {
        try "a,b\n1,2\n3,4\n".write(toFile: path("d.csv"), atomically: true, encoding: .utf8)
        try #"{"name": "small", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "d.csv"}}]}"#
            .write(toFile: path("p.json"), atomically: true, encoding: .utf8)
        let slurm = path("runs/small/.slurm")
        try FileManager.default.createDirectory(atPath: slurm, withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            (#"[{"stage": "raw", "id": "--user=root", "log": "\#(slurm)/raw.log", "status_file": "\#(slurm)/raw.status"}]"#, "[0].id: expected a Slurm job id (digits), got '--user=root'"),
            (#"[{"stage": "../x", "id": "12", "log": "\#(slurm)/raw.log", "status_file": "\#(slurm)/raw.status"}]"#, "[0].stage: '../x' is not a stage of small"),
            (#"[{"stage": "raw", "id": "12", "log": "/etc/passwd", "status_file": "/etc/shadow"}]"#, "[0].log: expected this run's files for raw"),
            (#"{"jobs": 1}"#, "not a Slurm job list"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: "\(slurm)/run.json", atomically: true, encoding: .utf8)
            let result = try anomsynth(["status", path("p.json"), "--out", path("runs"), "--cache-dir", path("cache")])
            XCTAssertEqual(result.status, 1, result.output)
            XCTAssertTrue(result.output.contains("\(slurm)/run.json: ") && result.output.contains(expected), "expected '\(expected)' in \(result.output)")
        }
    }

    func test_aKilledRun_takesItsStageProcessesWithIt() throws {
        try ("a,b,label\n" + (0..<200).map { "\(Double($0 % 13) / 3),\($0 % 7),\($0 % 10 == 0 ? 1 : 0)" }.joined(separator: "\n") + "\n")
            .write(toFile: path("d.csv"), atomically: true, encoding: .utf8)
        // A generator that trains for minutes: the run is killed while its job process works.
        try #"{"name": "slow", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "d.csv", "label": {"column": "label"}}}, {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}, {"id": "gen", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "vae", "epochs": 100000, "max_steps": 100000000}}]}"#
            .write(toFile: path("p.json"), atomically: true, encoding: .utf8)
        let run = Process()
        run.executableURL = try anomsynthExecutable()
        run.arguments = ["run", path("p.json"), "--executor", "process", "--out", path("runs"), "--cache-dir", path("cache"), "--quiet"]
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        try run.run()
        /// The exec-stage processes of this test's jobs, with their command lines.
        func children() -> [(pid: pid_t, arguments: String)] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }.compactMap { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
                let arguments = String(decoding: data, as: UTF8.self)
                return arguments.contains("exec-stage") && arguments.contains(folder.path) ? (pid, arguments) : nil
            }
        }
        func isGeneratorJob(_ arguments: String) -> Bool {
            guard let job = arguments.split(separator: "\0").first(where: { $0.hasSuffix(".job.json") }),
                  let text = try? String(contentsOfFile: String(job), encoding: .utf8) else { return false }
            return text.contains("train_generator")
        }
        var genJob: [pid_t] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, genJob.isEmpty {
            genJob = children().filter { isGeneratorJob($0.arguments) }.map(\.pid)
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertFalse(genJob.isEmpty, "the generator's job process started")
        Thread.sleep(forTimeInterval: 0.5)
        kill(run.processIdentifier, SIGKILL)
        run.waitUntilExit()
        let gone = Date().addingTimeInterval(5)
        while Date() < gone, !children().isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(children().map(\.pid), [], "no stage process outlives its run")
    }

    func test_twoRunsOnOneCache_sayWhichComputedEachStage() throws {
        let pipeline = fixture("golden/pipeline.json")
        func start(_ name: String) throws -> (Process, Pipe) {
            let process = Process(), pipe = Pipe()
            process.executableURL = try anomsynthExecutable()
            process.arguments = ["run", pipeline, "--out", path("\(name)/runs"), "--cache-dir", path("cache"), "--json", "--jobs", "2"]
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, pipe)
        }
        let runs = try [start("a"), start("b")]
        var statuses: [[String: String]] = []
        for (process, pipe) in runs {
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, output)
            let stages = (runSummary(in: output)?["stages"] as? [[String: Any]]) ?? []
            statuses.append(Dictionary(uniqueKeysWithValues: stages.compactMap { stage in
                (stage["id"] as? String).flatMap { id in (stage["status"] as? String).map { (id, $0) } }
            }))
        }
        XCTAssertEqual(statuses[0].count, 26)
        for (id, status) in statuses[0] {
            let other = statuses[1][id]
            XCTAssertFalse(status == "ran" && other == "ran", "\(id) was computed once, but both runs say 'ran'")
            XCTAssertTrue(["ran", "waited", "cached"].contains(status) && ["ran", "waited", "cached"].contains(other ?? ""), "\(id): \(status) / \(other ?? "-")")
        }
        XCTAssertTrue(statuses.joined().contains { $0.value == "waited" } || statuses[1].values.allSatisfy { $0 == "cached" },
                      "a run that found a stage computed by the other while it waited says so")
    }
}
