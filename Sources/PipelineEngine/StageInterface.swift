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
}

/// Where an input file comes from: the stage that wrote it and the matrix values it depends on.
public struct InputOrigin: Sendable, CustomStringConvertible {
    public let stage: String
    public let output: String
    public let assignments: [MatrixAssignment]
    /// `stage.output`.
    public var description: String { "\(stage).\(output)" }
}
