import ArchiveIO
import Datasets
import Foundation

/// One planned stage as a self-contained, serializable job: what any executor needs to run
/// it in any process on any machine that sees the cache (`anomsynth exec-stage JOB.json`).
public struct StageJob: Codable, Sendable {
    /// One input file: where it is in the cache, its digest and where it came from.
    public struct Input: Codable, Sendable {
        public var path: String
        public var sha256: String
        public var stage: String
        public var output: String
        /// The matrix values of the stage that wrote it (`model=vae`), in order.
        public var assignments: [[String]]
    }

    public var pipelineName: String
    public var pipelineDirectory: String
    public var stageID: String
    public var type: String
    public var version: Int
    /// The parameters, defaults filled in, as canonical JSON.
    public var params: String
    /// As text: JSON numbers do not hold every 64-bit seed.
    public var seed: String
    /// Input name → files, in order.
    public var inputs: [String: [Input]]
    /// The cache entry the job fills.
    public var key: String
    public var keyMaterial: String
    public var cacheRoot: String
    /// Recompute even when the entry exists (`run --force`).
    public var force: Bool
    /// How its dataset archives are compressed (nil: zstd, the default).
    public var archiveCompression: ArchiveCompression?

    enum CodingKeys: String, CodingKey {
        case type, version, params, seed, inputs, key, force
        case pipelineName = "pipeline_name", pipelineDirectory = "pipeline_directory", stageID = "stage_id"
        case keyMaterial = "key_material", cacheRoot = "cache_root", archiveCompression = "archive_compression"
    }

    /// Reads a job file and checks it (`checked(source:)`): a job file is input like any other.
    /// - Throws: `StageError` naming the file and the field, or `PipelineInvalid` for parameters.
    public static func read(_ path: String) throws -> StageJob {
        guard let size = InputFile.regularFileSize(path) else {
            throw StageError("\(path): not a readable job file (a regular file is expected)")
        }
        guard size <= maximumJobBytes else {
            throw StageError("\(path): a job file of more than \(maximumJobBytes) bytes is not one anomsynth wrote")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw StageError("cannot read the job file \(path)") }
        let job: StageJob
        do { job = try JSONDecoder().decode(StageJob.self, from: data) } catch {
            throw StageError("\(path): not a stage job: \(describeDecodingProblem(error))")
        }
        try job.check(source: path)
        return job
    }

    /// The largest job file read: jobs hold parameters and input digests, a few kilobytes.
    public static let maximumJobBytes = 16 << 20

    /// The job as JSON (sorted keys).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// What running a job did.
    public struct Outcome {
        public var record: StageCache.Record
        /// False when the entry was there once the lock was held: another run computed it.
        public var computed: Bool
    }

    /// Runs the stage and seals its outputs as the cache entry `key`, unless a valid entry is
    /// there already (another process won the race: the same key gives the same bytes).
    /// Holds the entry's lock while it works.
    /// - Parameter progress: the stage's progress in [0, 1].
    /// - Throws: `StageError` (unknown type or version, a changed input) or the stage's own error.
    public func run(progress: @escaping @Sendable (Double) -> Void = { _ in }) throws -> Outcome {
        let implementation = try self.implementation()
        let cache = StageCache(root: URL(fileURLWithPath: cacheRoot))
        return try cache.withLock(key) {
            if !force, let record = cache.lookup(key) { return Outcome(record: record, computed: false) }
            for input in inputs.values.joined() {
                guard let data = FileManager.default.contents(atPath: input.path), StageCache.sha256(data) == input.sha256 else {
                    throw StageError("input \(input.stage).\(input.output) (\(input.path)) is missing or changed since the job was planned")
                }
            }
            let folder = try cache.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let parameters = try JSONParser.parse(Array(params.utf8), source: "job \(stageID) params").value
            guard let seedValue = UInt64(seed) else { throw StageError("job \(stageID): seed '\(seed)' is not a 64-bit unsigned integer") }
            var context = StageContext(stageID: stageID, params: parameters, seed: seedValue,
                                       inputs: inputs.mapValues { $0.map { URL(fileURLWithPath: $0.path) } },
                                       outputDirectory: folder, pipelineDirectory: URL(fileURLWithPath: pipelineDirectory),
                                       progress: progress)
            context.pipelineName = pipelineName
            context.archiveCompression = archiveCompression ?? .zstd
            context.origins = inputs.mapValues { files in
                files.map { InputOrigin(stage: $0.stage, output: $0.output,
                                        assignments: $0.assignments.map { MatrixAssignment(key: $0[0], value: $0[1]) }) }
            }
            try implementation.run(context)
            if force { cache.removeOwnEntry(key) }
            let record = try cache.commit(folder, key: key, stageID: stageID, implementation: implementation, keyMaterial: keyMaterial,
                                          archives: context.archiveCompression)
            return Outcome(record: record, computed: true)
        }
    }

    /// The implementation of the job's stage type and version.
    func implementation() throws -> any StageImplementation.Type {
        guard let implementation = StageRegistry.implemented[type] else { throw StageError("unknown stage type '\(type)'") }
        guard implementation.version == version else {
            throw StageError("the job is for \(type) version \(version), this anomsynth has version \(implementation.version)")
        }
        return implementation
    }
}
