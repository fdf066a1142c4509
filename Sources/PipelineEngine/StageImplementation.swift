import Foundation
import Reporting

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
    /// Parameters applied to a published copy of the outputs rather than when computing
    /// them (evaluate's gates): left out of the cache key, so that editing one reuses the
    /// cached result and only `completePublished` runs again.
    static var publicationParameters: Set<String> { get }
    /// Completes the published copy of this stage's outputs (never the cache entry) at the
    /// end of a run: applies the publication parameters and adds what only the run knows.
    /// - Parameters:
    ///   - outputs: output name → the published file.
    ///   - run: every stage of the run, for a report's stage table.
    /// - Returns: what the run's summary reports of it (results files, missed gates, warnings).
    static func completePublished(_ outputs: [String: URL], params: JSONValue, run: [StageRow]) throws -> PublishedResults
    /// What the stage should cost and the shapes of its outputs (`CostEstimate`), from its
    /// parameters and its inputs' shapes; nil when they do not tell (e.g. a source not read).
    static func estimate(_ context: EstimateContext) -> StageEstimate?
}

extension StageImplementation {
    public static var gathersVariants: Bool { false }
    public static func externalFiles(_ params: JSONValue, pipelineDirectory: URL) -> [String] { [] }
    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] { [] }
    public static var publicationParameters: Set<String> { [] }
    public static func completePublished(_ outputs: [String: URL], params: JSONValue, run: [StageRow]) throws -> PublishedResults {
        PublishedResults()
    }
    public static func estimate(_ context: EstimateContext) -> StageEstimate? { nil }
}

/// What a published stage tells the run's summary (`StageImplementation.completePublished`),
/// so that the runner needs to know no stage type.
public struct PublishedResults: Sendable, Equatable {
    /// Machine-readable results (`metrics.json`).
    public var metrics: [String] = []
    /// Reports for people (`report.html`).
    public var reports: [String] = []
    /// Quality gates missed, one sentence each (the run exits 3).
    public var missedGates: [String] = []
    public var warnings: [String] = []

    public init(metrics: [String] = [], reports: [String] = [], missedGates: [String] = [], warnings: [String] = []) {
        (self.metrics, self.reports, self.missedGates, self.warnings) = (metrics, reports, missedGates, warnings)
    }
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
