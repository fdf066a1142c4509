import ArchiveIO
import Datasets
import Foundation
@testable import PipelineEngine
import TensorCore
import TestSupport
import XCTest

/// Cache behaviour end to end on a two-stage pipeline over a small real file.
final class RunnerTests: XCTestCase {
    private var folder: URL!
    private var pipelineFile: String { folder.appendingPathComponent("p.json").path }

    override func setUpWithError() throws {
        folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        try """
            {"name": "tiny", "seed": 5, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"test_fraction": 0.3}}},
              {"id": "prep2", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"scale": "minmax"}}
            ]}
            """.write(toFile: pipelineFile, atomically: true, encoding: .utf8)
    }

    private func runPipeline(_ overrides: [String] = [], force: Set<String> = [], cache: String = "cache") throws -> [String: RunSummary.StageOutcome.Status] {
        let pipeline = try PipelineLoader.load(pipelineFile, overrides: overrides)
        var options = RunOptions(outputRoot: folder.appendingPathComponent("runs"), cacheRoot: folder.appendingPathComponent(cache),
                                 reporter: ProgressReporter(quiet: true))
        options.force = force
        let summary = Runner(pipeline: pipeline, options: options).run()
        return Dictionary(uniqueKeysWithValues: summary.stages.map { ($0.id, $0.status) })
    }

    func test_secondRun_isServedFromCache() throws {
        XCTAssertEqual(try runPipeline(), ["raw": .ran, "prep": .ran, "prep2": .ran])
        XCTAssertEqual(try runPipeline(), ["raw": .cached, "prep": .cached, "prep2": .cached])
        let (train, transform) = try DatasetArchive.read(folder.appendingPathComponent("runs/tiny/prep/train.tar.zst").path)
        XCTAssertNotNil(transform)
        XCTAssertEqual(train.rowCount, 135)
    }

    func test_editingOneParameter_rerunsExactlyThatStageAndItsDependents() throws {
        _ = try runPipeline()
        XCTAssertEqual(try runPipeline(["prep.params.split.test_fraction=0.2"]), ["raw": .cached, "prep": .ran, "prep2": .cached])
        XCTAssertEqual(try runPipeline(["prep.params.split.test_fraction=0.2"]), ["raw": .cached, "prep": .cached, "prep2": .cached])
    }

    func test_editingTheDataFile_rerunsIngestAndEverythingDownstream() throws {
        _ = try runPipeline()
        let data = folder.appendingPathComponent("kdd.dat")
        var text = try String(contentsOf: data, encoding: .utf8)
        text = text.replacingOccurrences(of: "\n0,tcp", with: "\n1,tcp", options: [], range: text.range(of: "\n0,tcp"))
        try text.write(to: data, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runPipeline(), ["raw": .ran, "prep": .ran, "prep2": .ran])
    }

    func test_setOverride_changesTheKey_andSameResultsGiveSameBytes() throws {
        let pipeline = try PipelineLoader.load(pipelineFile)
        let changed = try PipelineLoader.load(pipelineFile, overrides: ["raw.params.has_header=false"])
        let material = { (p: Pipeline) in try CacheKey.material(p.stage("raw")!, of: p) { _ in nil } }
        XCTAssertNotEqual(CacheKey.key(try material(pipeline)), CacheKey.key(try material(changed)))
        _ = try runPipeline(cache: "one")
        let first = try Data(contentsOf: folder.appendingPathComponent("runs/tiny/prep/train.tar.zst"))
        _ = try runPipeline(cache: "two")
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("runs/tiny/prep/train.tar.zst")), first, "same pipeline, data and seed: same bytes")
    }

    /// `archive_compression: gzip`: every dataset archive is a `.tar.gz` that stock Python's
    /// tarfile opens, holding the same data, the same bytes run after run (also when each
    /// stage runs in its own `exec-stage` process); the keys differ from zstd's.
    func test_archiveCompression_gzip_writesTarGz_sameDataAndBytes() throws {
        let plain = runQuietly(try PipelineLoader.load(pipelineFile), in: folder.appendingPathComponent("zstd"))
        let gzipFile = folder.appendingPathComponent("gzip.json").path
        try String(contentsOfFile: pipelineFile, encoding: .utf8)
            .replacingOccurrences(of: #""seed": 5,"#, with: #""seed": 5, "archive_compression": "gzip","#)
            .write(toFile: gzipFile, atomically: true, encoding: .utf8)
        let gzip = runQuietly(try PipelineLoader.load(gzipFile), in: folder.appendingPathComponent("gzip"))
        XCTAssertEqual(gzip.status, "succeeded", "\(gzip.stages.compactMap(\.error))")
        let train = try XCTUnwrap(gzip.stages.first { $0.id == "prep" }?.outputs["train"])
        XCTAssertTrue(train.hasSuffix("/prep/train.tar.gz"), train)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: train)).prefix(2), Data([0x1f, 0x8b]), "gzip's magic bytes")
        let zstdTrain = try XCTUnwrap(plain.stages.first { $0.id == "prep" }?.outputs["train"])
        XCTAssertEqual(try DatasetArchive.read(train).dataset.features, try DatasetArchive.read(zstdTrain).dataset.features)
        XCTAssertTrue(zip(plain.stages, gzip.stages).allSatisfy { $0.key != $1.key }, "every stage here writes archives: other keys")
        if let python = python(with: []) {
            let listing = try runProcess(python, ["-c", "import sys, tarfile; print(sorted(tarfile.open(sys.argv[1]).getnames()))", train])
            XCTAssertEqual(listing.status, 0, listing.output)
            XCTAssertTrue(listing.output.contains("'features.npy'") && listing.output.contains("'manifest.json'"), listing.output)
        }
        var options = RunOptions(outputRoot: folder.appendingPathComponent("process/runs"), cacheRoot: folder.appendingPathComponent("process/cache"),
                                 reporter: ProgressReporter(quiet: true))
        options.executor = ProcessExecutor(executable: try anomsynthExecutable(), folder: folder.appendingPathComponent("process/jobs"))
        let separate = Runner(pipeline: try PipelineLoader.load(gzipFile), options: options).run()
        XCTAssertEqual(separate.status, "succeeded", "\(separate.stages.compactMap(\.error))")
        for (a, b) in zip(gzip.stages, separate.stages) {
            XCTAssertEqual(a.key, b.key)
            for (name, path) in a.outputs {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(b.outputs[name]))), "\(a.id).\(name)")
            }
        }
        let invalid = folder.appendingPathComponent("invalid.json").path
        try String(contentsOfFile: gzipFile, encoding: .utf8).replacingOccurrences(of: #""gzip""#, with: #""lz4""#)
            .write(toFile: invalid, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineLoader.load(invalid)) { error in
            XCTAssertTrue("\(error)".contains("$.archive_compression: expected one of 'zstd', 'gzip', 'xz', 'none', got \"lz4\""), "\(error)")
        }
    }

    func test_keyOfAFixturePipeline_isPinned() throws {
        // A change here means every user's cache is invalidated: bump stage versions deliberately, not by accident
        // (the column roles ignore and dates added two parameters with defaults: deliberate).
        let pipeline = try PipelineLoader.load(pipelineFile)
        let material = try CacheKey.material(pipeline.stage("raw")!, of: pipeline) { _ in nil }
        XCTAssertEqual(material, #"{"anomsynth":"0.1.0","blas":"\#(ProductKernel.provenance.identity)","files":{"kdd.dat":"\#(StageCache.sha256(try Data(contentsOf: folder.appendingPathComponent("kdd.dat"))))"},"inputs":{},"params":{"categorical":[],"dates":[],"delimiter":",","has_header":true,"ignore":[],"max_compression_ratio":200,"max_decompressed_bytes":4294967296,"path":"kdd.dat"},"seed":"9941345542212637076","type":"ingest","version":3}"#)
    }

    func test_publishedOutputs_areCopies_soEditingOneLeavesTheCacheIntact() throws {
        _ = try runPipeline()
        let published = folder.appendingPathComponent("runs/tiny/raw/data.tar.zst")
        try Data("edited by the user".utf8).write(to: published)  // in place, as an editor might
        let cache = StageCache(root: folder.appendingPathComponent("cache"))
        for key in cache.keys() { XCTAssertNil(cache.verify(key), "cache entry \(key) is intact") }
        XCTAssertEqual(try runPipeline()["raw"], .cached)
        XCTAssertNoThrow(try DatasetArchive.read(published.path), "the run publishes a fresh copy")
    }

    func test_force_rerunsTheStageAndItsDependents() throws {
        _ = try runPipeline()
        XCTAssertEqual(try runPipeline(force: ["raw"]), ["raw": .ran, "prep": .ran, "prep2": .ran])
        XCTAssertEqual(try runPipeline(force: ["prep"]), ["raw": .cached, "prep": .ran, "prep2": .cached])
    }

    func test_corruptedCacheEntry_isDetectedAndRecomputed() throws {
        _ = try runPipeline()
        let cache = StageCache(root: folder.appendingPathComponent("cache"))
        let key = try XCTUnwrap(cache.keys().first { (try? JSONDecoder().decode(StageCache.Record.self, from: Data(contentsOf: cache.entry($0).appendingPathComponent("record.json"))))?.stageID == "raw" })
        let file = cache.entry(key).appendingPathComponent("data.tar.zst")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        XCTAssertNotNil(cache.verify(key))
        XCTAssertEqual(try runPipeline()["raw"], .ran)
        XCTAssertNil(cache.verify(key))
    }

    func test_failingStage_skipsDependents_andLeavesNoEntry() throws {
        try "@relation r\n@attribute x real\n@attribute class {positive,negative}\n@data\n1,positive\noops,negative\n"
            .write(to: folder.appendingPathComponent("kdd.dat"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(pipelineFile)
        let summary = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                                      cacheRoot: folder.appendingPathComponent("cache"),
                                                                      reporter: ProgressReporter(quiet: true))).run()
        XCTAssertEqual(summary.status, "failed")
        XCTAssertEqual(summary.stages.map(\.status), [.failed, .skipped, .skipped])
        XCTAssertTrue(summary.stages[0].error?.contains("kdd.dat:6: column 'x': 'oops' is not a number") == true, summary.stages[0].error ?? "")
        XCTAssertEqual(StageCache(root: folder.appendingPathComponent("cache")).keys(), [])
    }

    func test_twoConcurrentRunsOnOneCache_bothSucceed() throws {
        final class Collector: @unchecked Sendable {
            let lock = NSLock()
            var results: [[String: RunSummary.StageOutcome.Status]] = []
            var failures: [String] = []
        }
        let collector = Collector()
        nonisolated(unsafe) let test = self
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                let statuses = try test.runPipeline()
                collector.lock.withLock { collector.results.append(statuses) }
            } catch {
                collector.lock.withLock { collector.failures.append("\(error)") }
            }
        }
        XCTAssertEqual(collector.failures, [])
        XCTAssertEqual(collector.results.count, 2)
        for statuses in collector.results { XCTAssertEqual(statuses.count, 3) }
        XCTAssertEqual(StageCache(root: folder.appendingPathComponent("cache")).keys().count, 3)
        XCTAssertEqual(try runPipeline(), ["raw": .cached, "prep": .cached, "prep2": .cached])
    }

    func test_plan_explainsWhatChanged() throws {
        _ = try runPipeline()
        let pipeline = try PipelineLoader.load(pipelineFile, overrides: ["prep.params.scale=robust"])
        let steps = Planner.plan(pipeline, cacheRoot: folder.appendingPathComponent("cache"), outputRoot: folder.appendingPathComponent("runs"))
        XCTAssertEqual(steps.map(\.action), ["cached", "run", "cached"])
        XCTAssertEqual(steps[1].reason, "changed: params.scale \"standard\" -> \"robust\"")
    }
}

final class MatrixTests: XCTestCase {
    func test_matrix_expandsVariants_andSharesUnchangedStages() throws {
        let folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        let file = folder.appendingPathComponent("m.json").path
        try """
            {"name": "m", "seed": 1, "matrix": {"prep.params.scale": ["standard", "minmax"]}, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}
            ]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(file)
        XCTAssertEqual(pipeline.variants, ["scale=standard", "scale=minmax"])
        XCTAssertEqual(pipeline.stages.map(\.id), ["raw", "prep@scale=standard", "prep@scale=minmax"])
        XCTAssertEqual(pipeline.stage("prep@scale=minmax")?.inputs["data"], [Pipeline.Reference(stage: "raw", output: "data")])
        let summary = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                                      cacheRoot: folder.appendingPathComponent("cache"),
                                                                      reporter: ProgressReporter(quiet: true))).run()
        XCTAssertEqual(summary.stages.map(\.status), [.ran, .ran, .ran])
        XCTAssertEqual(StageCache(root: folder.appendingPathComponent("cache")).keys().count, 3, "ingest ran once for both variants")

        try """
            {"name": "m", "matrix": {"seed": [1, 2], "nope.params.x": [1], "prep.params.scale": []}, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}}]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let message = errorMessage { try PipelineLoader.load(file) }
        XCTAssertTrue(message.contains(#"$.matrix["nope.params.x"]: no stage with id 'nope'"#), message)
        XCTAssertTrue(message.contains(#"$.matrix["prep.params.scale"]: expected a non-empty array of values"#), message)
    }
}
