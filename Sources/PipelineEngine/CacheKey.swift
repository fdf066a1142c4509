import ArchiveIO
import Foundation
import TensorCore

/// What a stage's cache key is made of (a contract: docs/DESIGN.md, "Caching").
public enum CacheKey {
    /// Everything a key hashes, gathered from a planned stage or from a job file, so that
    /// `exec-stage` recomputes a job's key from the job's own content and refuses a key that
    /// does not match it.
    struct Parts {
        var implementation: any StageImplementation.Type
        /// The parameters as given to the stage, defaults filled in (publication parameters are
        /// left out of the key here).
        var params: JSONValue
        var seed: UInt64
        /// Input name → the SHA-256 of each file it reads, in order.
        var inputDigests: [String: [String]]
        /// Input name → where each file came from (`stage.output`), in order.
        var inputOrigins: [String: [String]]
        var pipelineName: String
        var pipelineDirectory: URL
        var archiveCompression: ArchiveCompression
    }

    /// The canonical JSON that a stage's key is the SHA-256 of: the tool version, the product
    /// kernel's identity, the stage type and its implementation version, the parameters
    /// (defaults filled in; without those applied only when publishing, such as evaluate's
    /// gates), the seed, the content digests of its inputs and of the files it reads (and,
    /// for a stage that gathers matrix variants, the pipeline's name and each input's
    /// origin). No paths, no times.
    /// - Parameter digest: the SHA-256 of a referenced output, nil when unknown.
    /// - Throws: `StageError` when an input's digest or an external file is unavailable.
    public static func material(_ stage: Pipeline.Stage, of pipeline: Pipeline,
                                digest: (Pipeline.Reference) -> String?) throws -> String {
        let digests = try stage.inputs.mapValues { references in
            try references.map { reference in
                guard let value = digest(reference) else { throw StageError("input \(reference) is not available") }
                return value
            }
        }
        return try material(Parts(implementation: stage.implementation, params: stage.params, seed: stage.seed,
                                  inputDigests: digests, inputOrigins: stage.inputs.mapValues { $0.map(\.description) },
                                  pipelineName: pipeline.name, pipelineDirectory: pipeline.directory,
                                  archiveCompression: pipeline.archiveCompression))
    }

    /// The material of `parts` (see `material(_:of:digest:)`).
    /// - Throws: `StageError` when a file the stage reads cannot be read.
    static func material(_ parts: Parts) throws -> String {
        let implementation = parts.implementation
        let inputs = parts.inputDigests.map { (key: $0.key, value: JSONValue.array($0.value.map(JSONValue.string))) }
        var files: [(key: String, value: JSONValue)] = []
        for path in implementation.externalFiles(parts.params, pipelineDirectory: parts.pipelineDirectory) {
            guard let data = FileManager.default.contents(atPath: path) else { throw StageError("cannot read \(path)") }
            files.append((URL(fileURLWithPath: path).lastPathComponent, .string(StageCache.sha256(data))))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("anomsynth", .string(AnomSynthVersion.current)), ("blas", .string(ProductKernel.provenance.identity)),
            ("type", .string(implementation.type)), ("version", .number(Double(implementation.version))),
            ("params", computedParameters(parts.params, of: implementation)), ("seed", .string(String(parts.seed))),
            ("inputs", .object(inputs)), ("files", .object(files)),
        ]
        if parts.archiveCompression != .zstd, implementation.outputs.contains(where: \.isArchive) {
            // Other bytes and file names; absent for the default, so zstd pipelines keep their keys.
            members.append(("archive_compression", .string(parts.archiveCompression.rawValue)))
        }
        if implementation.gathersVariants {
            // The pipeline's name and the variant of each input (in its stage id) are part of what such a stage writes.
            members.append(("pipeline", .string(parts.pipelineName)))
            members.append(("origins", .object(parts.inputOrigins.map { ($0.key, .array($0.value.map(JSONValue.string))) })))
        }
        return JSONValue.object(members).canonical
    }

    /// The parameters that decide what a stage computes: all but its publication parameters.
    static func computedParameters(_ params: JSONValue, of implementation: any StageImplementation.Type) -> JSONValue {
        let published = implementation.publicationParameters
        guard !published.isEmpty, let members = params.objectValue else { return params }
        return .object(members.filter { !published.contains($0.key) })
    }

    /// The key: lowercase hex SHA-256 of the material.
    public static func key(_ material: String) -> String { StageCache.sha256(material) }

    /// Whether `text` has the form of a key: 64 lowercase hexadecimal digits, and so is safe
    /// as one path component.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
