import Foundation

/// The type of a stage parameter, with its allowed range.
public indirect enum ParameterKind: Sendable {
    case integer(minimum: Int?, maximum: Int?)
    /// A number; `exclusive` makes both bounds exclusive.
    case number(minimum: Double?, maximum: Double?, exclusive: Bool)
    case string
    case boolean
    case choice([String])
    /// A file path, relative to the pipeline file; it must exist.
    case path
    case strings
    case object([ParameterSpec])
    /// An array of objects, each with these parameters.
    case objects([ParameterSpec])
}

/// One parameter of a stage type: its JSON name, type, default and meaning.
public struct ParameterSpec: Sendable {
    public let name: String
    public let kind: ParameterKind
    public let defaultValue: JSONValue?
    public let required: Bool
    public let description: String

    public init(_ name: String, _ kind: ParameterKind, default defaultValue: JSONValue? = nil, required: Bool = false,
                _ description: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.required = required
        self.description = description
    }
}
