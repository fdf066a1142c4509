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

/// What a stage gets when it runs.
public struct StageContext {
    public let stageID: String
    /// Parameters with defaults filled in.
    public let params: JSONValue
    /// The stage's seed, derived from the pipeline seed and the stage id (or its `seed` parameter).
    public let seed: UInt64
    /// Files of the referenced outputs, per input name, in order.
    public let inputs: [String: [URL]]
    /// The stage and matrix values behind each of those files, in the same order.
    public var origins: [String: [InputOrigin]] = [:]
    /// The pipeline's name (part of the key of stages that gather variants).
    public var pipelineName = ""
    /// Where the stage writes its outputs (a fresh temporary folder).
    public let outputDirectory: URL
    /// The folder of the pipeline file, for relative paths.
    public let pipelineDirectory: URL
    /// Reports progress in [0, 1] for long stages.
    public let progress: @Sendable (Double) -> Void

    /// The file of output `name` in the output folder.
    public func output(_ name: String, of stage: any StageImplementation.Type) -> URL {
        outputDirectory.appendingPathComponent(stage.outputs.first { $0.name == name }?.file ?? name)
    }

    /// A parameter resolved as a path relative to the pipeline file.
    public func path(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue else { return nil }
        return URL(fileURLWithPath: text, relativeTo: pipelineDirectory).standardizedFileURL.path
    }
}

/// A stage type: its contract (parameters, inputs, outputs) and its work.
public protocol StageImplementation {
    /// The type name in pipelines, e.g. `ingest`.
    static var type: String { get }
    /// Bumped whenever the same inputs and parameters would give different outputs; part of the cache key.
    static var version: Int { get }
    static var summary: String { get }
    static var parameters: [ParameterSpec] { get }
    static var inputs: [InputSpec] { get }
    /// The outputs; the first is the default when an input names only the stage id.
    static var outputs: [OutputSpec] { get }
    /// Whether, in a matrix, one stage reads every variant's inputs (instead of a copy per
    /// variant); it then learns each input's variant (`StageContext.origins`), which enters its key.
    static var gathersVariants: Bool { get }
    /// Files (beyond inputs) whose content the result depends on: their digests enter the cache key.
    static func externalFiles(_ params: JSONValue, pipelineDirectory: URL) -> [String]
    /// Rules that span parameters, or this stage and the stages it reads (e.g. a strategy
    /// the input's model cannot serve): `validate` reports each at its JSON path.
    /// - Parameter upstream: per input name, the stages its references name.
    static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem]
    /// Does the work, writing every output into `context.outputDirectory`.
    static func run(_ context: StageContext) throws
}

extension StageImplementation {
    public static var gathersVariants: Bool { false }
    public static func externalFiles(_ params: JSONValue, pipelineDirectory: URL) -> [String] { [] }
    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] { [] }
}

/// A stage another stage reads, as `StageImplementation.check` sees it.
public struct UpstreamStage: Sendable {
    public let type: String
    /// Its parameters, defaults filled in.
    public let params: JSONValue
}

/// A rule a stage's parameters break: the parameter (nil: the stage as a whole) and why.
public struct ParameterProblem: Equatable, Sendable {
    public let parameter: String?
    public let message: String

    public init(_ parameter: String?, _ message: String) {
        self.parameter = parameter
        self.message = message
    }
}

/// The stage types AnomSynth knows.
public enum StageRegistry {
    /// Implemented stage types, by name.
    nonisolated(unsafe) public static let implemented: [String: any StageImplementation.Type] = [  // immutable
        IngestStage.type: IngestStage.self,
        PreprocessStage.type: PreprocessStage.self,
        TrainGeneratorStage.type: TrainGeneratorStage.self,
        SynthesizeStage.type: SynthesizeStage.self,
        AugmentStage.type: AugmentStage.self,
        TrainDetectorStage.type: TrainDetectorStage.self,
        EvaluateStage.type: EvaluateStage.self,
    ]

    /// Every type name, sorted.
    public static var allTypes: [String] { implemented.keys.sorted() }
}
