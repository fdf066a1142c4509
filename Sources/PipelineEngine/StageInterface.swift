import ArchiveIO
import Foundation

/// An input of a stage type: a reference to another stage's output (`id` or `id.output`).
public struct InputSpec: Sendable {
    public let name: String
    public let required: Bool
    /// Whether the input takes a list of references.
    public let many: Bool
    public let description: String

    public init(_ name: String, required: Bool = true, many: Bool = false, _ description: String) {
        self.name = name
        self.required = required
        self.many = many
        self.description = description
    }
}

/// An output of a stage type: one file in the stage's output folder.
public struct OutputSpec: Sendable {
    public let name: String
    public let file: String
    public let description: String

    public init(_ name: String, file: String, _ description: String) {
        self.name = name
        self.file = file
        self.description = description
    }

    /// Whether the output is a dataset archive (named `.tar.zst` in the spec).
    public var isArchive: Bool { file.hasSuffix(ArchiveCompression.zstd.archiveExtension) }

    /// The file name when the pipeline's archives are compressed so: `synthetic.tar.gz` for gzip.
    public func file(archives: ArchiveCompression) -> String {
        isArchive ? String(file.dropLast(ArchiveCompression.zstd.archiveExtension.count)) + archives.archiveExtension : file
    }
}

/// Where an input file comes from: the stage that wrote it and the matrix values it depends on.
public struct InputOrigin: Sendable, CustomStringConvertible {
    public let stage: String
    public let output: String
    public let assignments: [MatrixAssignment]
    /// `stage.output`.
    public var description: String { "\(stage).\(output)" }
}
