import ArchiveIO
import Foundation

/// One matrix axis set to a value: `model=vae` for the axis `gen.params.model`.
public struct MatrixAssignment: Hashable, Sendable {
    /// The axis's last key (`model`), or `seed`.
    public let key: String
    /// The value as text (strings unquoted, other JSON canonical).
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// `key=value,key=value`.
    public static func name(_ assignments: [MatrixAssignment]) -> String {
        assignments.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// A validated pipeline: named stages with resolved inputs and complete parameters.
public struct Pipeline {
    /// A reference to a stage's output: `id` (its first output) or `id.output`.
    public struct Reference: Hashable, Sendable, CustomStringConvertible {
        public let stage: String
        public let output: String
        public var description: String { "\(stage).\(output)" }
    }

    /// One stage as the runner needs it.
    public struct Stage {
        public let id: String
        public let implementation: any StageImplementation.Type
        /// Parameters as written (after `--set`), defaults filled in.
        public let params: JSONValue
        /// Input name → references, in order.
        public let inputs: [String: [Reference]]
        /// The stage's seed: its `seed` parameter, else derived from the pipeline seed and the id.
        public let seed: UInt64
        /// The matrix values this stage depends on (`scale=minmax`); empty when every variant shares it.
        public var assignments: [MatrixAssignment] = []
        /// The matrix variant this stage belongs to (`scale=minmax`), nil when every variant shares it.
        public var variant: String? { assignments.isEmpty ? nil : MatrixAssignment.name(assignments) }
        /// Ids of the stages this one reads.
        public var dependencies: [String] { Array(Set(inputs.values.flatMap { $0.map(\.stage) })).sorted() }
    }

    public let file: String
    public let directory: URL
    public let name: String
    public let seed: UInt64
    /// In file order (variants of a stage next to each other).
    public let stages: [Stage]
    /// The matrix variants, in expansion order (empty without a matrix).
    public var variants: [String] = []
    /// Per stage type, what a scheduler gives each of its jobs (the `resources` block).
    public var resources: [String: StageResources] = [:]
    /// How the dataset archives of its stages are compressed (`archive_compression`).
    public var archiveCompression: ArchiveCompression = .zstd

    /// The stage with an id.
    public func stage(_ id: String) -> Stage? { stages.first { $0.id == id } }

    /// Stage ids in an order where every stage comes after the stages it reads.
    public var order: [String] {
        var done = Set<String>(), result: [String] = []
        func visit(_ id: String) {
            guard !done.contains(id), let stage = stage(id) else { return }
            done.insert(id)
            stage.dependencies.forEach(visit)
            result.append(id)
        }
        stages.map(\.id).forEach(visit)
        return result
    }

    /// The seed of a stage derived from the pipeline seed and its id (FNV-1a of the id mixed in).
    static func derivedSeed(_ seed: UInt64, _ id: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return seed ^ hash
    }

    /// `ids` and every stage they read, directly or not.
    public func closure(of ids: Set<String>) -> Set<String> {
        var result = Set<String>(), queue = Array(ids)
        while let id = queue.popLast() {
            guard result.insert(id).inserted, let stage = stage(id) else { continue }
            queue += stage.dependencies
        }
        return result
    }
}
