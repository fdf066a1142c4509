/// The result of `anomsynth run`, printed by `run --json` (a contract: see docs/DESIGN.md).
public struct RunSummary: Codable, Sendable {
    /// One stage's outcome.
    public struct StageOutcome: Codable, Sendable {
        /// `waited`: another run computed the stage while this one waited for its lock.
        public enum Status: String, Codable, Sendable { case ran, cached, waited, failed, skipped }
        public var id: String
        public var status: Status
        /// The cache key (empty when the stage never got one: skipped).
        public var key: String
        public var seconds: Double
        /// Output name → path under the run folder.
        public var outputs: [String: String]
        public var error: String?
    }

    public var pipeline: String
    /// `succeeded` or `failed`.
    public var status: String
    public var stages: [StageOutcome]
    /// Every `metrics.json` the run wrote.
    public var metrics: [String]
    /// Every `report.html` the run wrote.
    public var reports: [String] = []
    /// The quality gates missed, one message each (the run then exits 3).
    public var missedGates: [String] = []
    /// Warnings of the evaluations (e.g. an undefined metric).
    public var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case pipeline, status, stages, metrics, reports, warnings
        case missedGates = "missed_gates"
    }
}
