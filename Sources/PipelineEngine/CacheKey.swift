import Foundation
import TensorCore

/// What a stage's cache key is made of (a contract: docs/DESIGN.md, "Caching").
public enum CacheKey {
    /// The canonical JSON that a stage's key is the SHA-256 of: the tool version, the BLAS
    /// library, version and kernel (results differ between kernels), the stage type and its implementation version, the parameters (defaults filled in;
    /// without those applied only when publishing, such as evaluate's gates),
    /// the seed, the content digests of its inputs and of the files it reads (and, for a
    /// stage that gathers matrix variants, the pipeline's name and each input's variant). No
    /// paths, no times.
    /// - Parameter digest: the SHA-256 of a referenced output, nil when unknown.
    /// - Throws: `StageError` when an input's digest or an external file is unavailable.
    public static func material(_ stage: Pipeline.Stage, of pipeline: Pipeline,
                                digest: (Pipeline.Reference) -> String?) throws -> String {
        let pipelineDirectory = pipeline.directory
        var inputs: [(key: String, value: JSONValue)] = []
        for (name, references) in stage.inputs {
            inputs.append((name, .array(try references.map { reference in
                guard let value = digest(reference) else { throw StageError("input \(reference) is not available") }
                return .string(value)
            })))
        }
        var files: [(key: String, value: JSONValue)] = []
        for path in stage.implementation.externalFiles(stage.params, pipelineDirectory: pipelineDirectory) {
            guard let data = FileManager.default.contents(atPath: path) else { throw StageError("cannot read \(path)") }
            files.append((URL(fileURLWithPath: path).lastPathComponent, .string(StageCache.sha256(data))))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("anomsynth", .string(AnomSynthVersion.current)), ("blas", .string(ProductKernel.provenance.identity)), ("type", .string(stage.implementation.type)),
            ("version", .number(Double(stage.implementation.version))), ("params", computedParameters(stage)),
            ("seed", .string(String(stage.seed))), ("inputs", .object(inputs)), ("files", .object(files)),
        ]
        if pipeline.archiveCompression != .zstd, stage.implementation.outputs.contains(where: \.isArchive) {
            // Other bytes and file names; absent for the default, so zstd pipelines keep their keys.
            members.append(("archive_compression", .string(pipeline.archiveCompression.rawValue)))
        }
        if stage.implementation.gathersVariants {
            // The pipeline's name and the variant of each input (in its stage id) are part of what such a stage writes.
            members.append(("pipeline", .string(pipeline.name)))
            members.append(("origins", .object(stage.inputs.map { ($0.key, .array($0.value.map { .string($0.description) })) })))
        }
        return JSONValue.object(members).canonical
    }

    /// The parameters that decide what a stage computes: all but its publication parameters.
    static func computedParameters(_ stage: Pipeline.Stage) -> JSONValue {
        let published = stage.implementation.publicationParameters
        guard !published.isEmpty, let members = stage.params.objectValue else { return stage.params }
        return .object(members.filter { !published.contains($0.key) })
    }

    /// The key: lowercase hex SHA-256 of the material.
    public static func key(_ material: String) -> String { StageCache.sha256(material) }
}
