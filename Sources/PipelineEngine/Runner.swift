import Dispatch
import Foundation
import Reporting
import TensorCore

/// The version of AnomSynth, part of every cache key.
public enum AnomSynthVersion {
    public static let current = "0.1.0"
}

/// How a pipeline runs.
public struct RunOptions {
    /// Where stage outputs are linked: `<out>/<pipeline name>/<stage id>/`.
    public var outputRoot: URL
    public var cacheRoot: URL
    /// Stages to rerun (with everything downstream) even when cached.
    public var force: Set<String> = []
    /// Stages run at once when independent.
    public var jobs = 1
    /// The threads the running stages share: each computes on an equal part (at least one),
    /// re-divided as stages start and finish (results do not depend on it).
    public var threads = Parallelism.threads
    public var reporter: ProgressReporter
    /// Where the stages that are not cached run.
    public var executor: any StageExecutor = InProcessExecutor()
    /// Only these stages and the stages they read (nil: every stage).
    public var stages: Set<String>?
    /// Whether outputs are copied to `outputRoot` and the run recorded there (false for a
    /// process that computes one stage of a run that publishes elsewhere).
    public var publishes = true

    public init(outputRoot: URL, cacheRoot: URL, reporter: ProgressReporter) {
        self.outputRoot = outputRoot
        self.cacheRoot = cacheRoot
        self.reporter = reporter
    }
}

/// Runs a pipeline's stages in dependency order, serving unchanged stages from the cache.
/// Its mutable state (records, outcomes) is guarded by `lock`.
public final class Runner: @unchecked Sendable {
    private let pipeline: Pipeline
    private let options: RunOptions
    private let cache: StageCache
    private let lock = NSLock()
    private var records: [String: StageCache.Record] = [:]
    private var outcomes: [String: RunSummary.StageOutcome] = [:]
    /// Stages computing now (their threads' share follows it).
    private var running = 0

    public init(pipeline: Pipeline, options: RunOptions) {
        self.pipeline = pipeline
        self.options = options
        self.cache = StageCache(root: options.cacheRoot)
    }

    /// Runs every stage; a failed stage's dependents are skipped.
    public func run() -> RunSummary {
        try? cache.prepare()  // tagged before any job is handed out (a job fills tagged caches only); a failure shows per stage
        let forced = forcedStages()
        let included = options.stages.map { pipeline.closure(of: $0) }
        var pending = pipeline.order.filter { included?.contains($0) ?? true }
        options.reporter.begin(stages: pending.map { ($0, pipeline.stage($0)!.implementation.type) })
        defer { options.reporter.end() }
        let shapes = ArchiveShapes()
        while !pending.isEmpty {
            // What is left, re-estimated as finished stages show what their outputs hold.
            options.reporter.estimated(CostEstimate.estimate(pipeline, finished: { id in lock.withLock { records[id] }.map(cache.files) },
                                                             shapes: shapes, readSources: false))
            let settled = lock.withLock { Set(outcomes.keys) }
            let ready = pending.filter { id in pipeline.stage(id)!.dependencies.allSatisfy(settled.contains) }
            pending.removeAll { ready.contains($0) }
            let semaphore = DispatchSemaphore(value: max(1, options.jobs))
            DispatchQueue.concurrentPerform(iterations: ready.count) { index in
                semaphore.wait()
                share(starting: true)
                defer {
                    share(starting: false)
                    semaphore.signal()
                }
                let outcome = execute(pipeline.stage(ready[index])!, force: forced.contains(ready[index]))
                lock.withLock { outcomes[outcome.id] = outcome }
            }
        }
        var stages = pipeline.stages.compactMap { outcomes[$0.id] }
        var results = PublishedResults()
        if options.publishes { (stages, results) = completePublished(stages) }
        var summary = RunSummary(pipeline: pipeline.name,
                                 status: stages.contains { $0.status == .failed || $0.status == .skipped } ? "failed" : "succeeded",
                                 stages: stages, metrics: results.metrics)
        (summary.reports, summary.missedGates, summary.warnings) = (results.reports, results.missedGates, results.warnings)
        if options.publishes { writeLastRun() }
        return summary
    }

    /// Counts a stage in or out and divides the threads among the stages running.
    private func share(starting: Bool) {
        lock.withLock {
            running += starting ? 1 : -1
            Parallelism.threads = max(1, options.threads / max(running, 1))
        }
    }

    /// Lets each published stage complete its copy (evaluate: gates and the run's stage
    /// table): the cache entry cannot hold what changes from run to run. A stage that
    /// cannot be completed fails (its gates would otherwise go unchecked).
    /// - Returns: the outcomes, and what the stages report to the summary, in stage order.
    private func completePublished(_ stages: [RunSummary.StageOutcome]) -> ([RunSummary.StageOutcome], PublishedResults) {
        let rows = stages.map { StageRow(id: $0.id, type: pipeline.stage($0.id)!.implementation.type, status: $0.status.rawValue,
                                         seconds: $0.seconds, key: $0.key) }
        var results = PublishedResults()
        let completed = stages.map { outcome in
            guard !outcome.outputs.isEmpty else { return outcome }
            let stage = pipeline.stage(outcome.id)!
            do {
                let published = try stage.implementation.completePublished(outcome.outputs.mapValues { URL(fileURLWithPath: $0) },
                                                                            params: stage.params, run: rows)
                results.metrics += published.metrics
                results.reports += published.reports
                results.missedGates += published.missedGates
                results.warnings += published.warnings
                return outcome
            } catch {
                var failed = outcome
                failed.status = .failed
                failed.error = "its published outputs could not be completed: \(error)"
                options.reporter.warning("\(stage.id): \(failed.error!)")
                return failed
            }
        }
        return (completed, results)
    }

    /// The forced stages and everything downstream of them.
    private func forcedStages() -> Set<String> {
        var forced = options.force
        for id in pipeline.order where pipeline.stage(id)!.dependencies.contains(where: forced.contains) { forced.insert(id) }
        return forced
    }

    private func execute(_ stage: Pipeline.Stage, force: Bool) -> RunSummary.StageOutcome {
        let started = Date()
        var outcome = RunSummary.StageOutcome(id: stage.id, status: .skipped, key: "", seconds: 0, outputs: [:])
        let failedInputs = stage.dependencies.filter { id in lock.withLock { outcomes[id].map { $0.status == .failed || $0.status == .skipped } ?? true } }
        guard failedInputs.isEmpty else {
            outcome.error = failedInputs.count <= ProgressReporter.skippedLinesShown
                ? "skipped: input stage \(failedInputs.joined(separator: ", ")) did not finish"
                : "skipped: \(failedInputs.count) input stages did not finish (\(failedInputs.prefix(ProgressReporter.skippedLinesShown).joined(separator: ", ")), …)"
            options.reporter.stageFinished(outcome)
            return outcome
        }
        do {
            let material = try keyMaterial(stage)
            let key = StageCache.sha256(material)
            outcome.key = key
            let record: StageCache.Record, status: RunSummary.StageOutcome.Status
            if !force, let cached = cache.lookup(key, corrupt: { options.reporter.warning("\($0); recomputing") }) {
                (record, status) = (cached, .cached)
            } else {
                options.reporter.stageStarted(stage.id)
                let job = job(stage, key: key, material: material, force: force)
                let done = try options.executor.execute(job) { [reporter = options.reporter, id = stage.id] in reporter.progress(id, $0) }
                (record, status) = (done.record, done.computed ? .ran : .waited)
            }
            lock.withLock { records[stage.id] = record }
            outcome.outputs = options.publishes ? try publish(stage, record: record)
                : record.outputs.mapValues { cache.entry(record.key).appendingPathComponent($0).path }
            outcome.status = status
        } catch {
            outcome.status = .failed
            outcome.error = "\(error)"
        }
        outcome.seconds = Date().timeIntervalSince(started)
        options.reporter.stageFinished(outcome)
        return outcome
    }

    func keyMaterial(_ stage: Pipeline.Stage) throws -> String {
        try CacheKey.material(stage, of: pipeline) { reference in
            lock.withLock { records[reference.stage] }.flatMap { record in
                record.outputs[reference.output].flatMap { record.files[$0]?.sha256 }
            }
        }
    }

    /// The job that runs `stage`: its inputs are the cache files of the records so far.
    private func job(_ stage: Pipeline.Stage, key: String, material: String, force: Bool) -> StageJob {
        let inputs = stage.inputs.mapValues { references in
            references.compactMap { reference -> StageJob.Input? in
                guard let record = lock.withLock({ records[reference.stage] }), let file = record.outputs[reference.output],
                      let digest = record.files[file]?.sha256 else { return nil }
                let assignments = pipeline.stage(reference.stage)?.assignments ?? []
                return StageJob.Input(path: cache.entry(record.key).appendingPathComponent(file).path, sha256: digest,
                                      stage: reference.stage, output: reference.output, assignments: assignments.map { [$0.key, $0.value] })
            }
        }
        return StageJob(pipelineName: pipeline.name, pipelineDirectory: pipeline.directory.path, stageID: stage.id,
                        type: stage.implementation.type, version: stage.implementation.version, params: stage.params.canonical,
                        seed: String(stage.seed), inputs: inputs, key: key, keyMaterial: material,
                        cacheRoot: cache.root.standardizedFileURL.path, force: force,
                        archiveCompression: pipeline.archiveCompression == .zstd ? nil : pipeline.archiveCompression)
    }

    /// Copies a stage's outputs into `<out>/<pipeline>/<stage>/`: copies, not links, so a
    /// user who edits a published file changes that file only, never the cache entry.
    private func publish(_ stage: Pipeline.Stage, record: StageCache.Record) throws -> [String: String] {
        let folder = options.outputRoot.appendingPathComponent("\(pipeline.name)/\(stage.id)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var paths: [String: String] = [:]
        for (output, file) in record.outputs {
            let source = cache.entry(record.key).appendingPathComponent(file), target = folder.appendingPathComponent(file)
            try FileCopy.copy(source.path, to: target.path)
            paths[output] = target.path
        }
        return paths
    }

    /// Records each stage's key material for `plan` to explain the next run's changes.
    private func writeLastRun() {
        let folder = options.outputRoot.appendingPathComponent(pipeline.name)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let entries = lock.withLock { records.mapValues { ["key": $0.key, "key_material": $0.keyMaterial] } }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(entries) { try? data.write(to: folder.appendingPathComponent(".last-run.json"), options: .atomic) }
    }
}
