import Foundation

/// A quality gate of a pipeline: a bound on a metric of the results it selects (all of
/// them, or one variant and/or detector), optionally relative to a baseline variant's
/// value for the same detector ("flow beats none by 0.02 PR-AUC").
public struct GateSpec: Codable, Equatable, Sendable {
    public var metric: String
    public var variant: String?
    public var detector: String?
    public var min: Double?
    public var max: Double?
    /// A baseline variant: the gate bounds `value - value of the baseline`.
    public var relativeTo: String?

    public init(metric: String, variant: String? = nil, detector: String? = nil, min: Double? = nil, max: Double? = nil, relativeTo: String? = nil) {
        self.metric = metric
        self.variant = variant
        self.detector = detector
        self.min = min
        self.max = max
        self.relativeTo = relativeTo
    }

    enum CodingKeys: String, CodingKey {
        case metric, variant, detector, min, max
        case relativeTo = "relative_to"
    }

    /// The rule as a sentence: "PR-AUC of vae / mlp must be at least 0.6", "PR-AUC of vae / mlp
    /// must be at least that of none (with the same detector)".
    public var summary: String {
        let subject = [variant ?? "every variant", detector ?? "every detector"].joined(separator: " / ")
        let name = Self.displayName(metric)
        guard let baseline = relativeTo else {
            let bounds = [min.map { "at least \(format($0))" }, max.map { "at most \(format($0))" }].compactMap { $0 }
            return "\(name) of \(subject) must be \(bounds.joined(separator: " and "))"
        }
        let bounds = [min.map { $0 == 0 ? "at least that of \(baseline)" : $0 > 0 ? "at least \(format($0)) above that of \(baseline)" : "at most \(format(-$0)) below that of \(baseline)" },
                      max.map { $0 == 0 ? "at most that of \(baseline)" : $0 > 0 ? "at most \(format($0)) above that of \(baseline)" : "at least \(format(-$0)) below that of \(baseline)" }]
            .compactMap { $0 }
        return "\(name) of \(subject) must be \(bounds.joined(separator: " and ")) (with the same detector)"
    }

    /// How reports name a metric: "PR-AUC", "ROC-AUC", "F1", "G-mean"; others as they are.
    static func displayName(_ metric: String) -> String {
        ["pr_auc": "PR-AUC", "roc_auc": "ROC-AUC", "f1": "F1", "gmean": "G-mean", "precision_at_k": "precision@k"][metric] ?? metric
    }

    private func format(_ value: Double) -> String { String(format: "%g", value) }
}

/// What a gate found.
public struct GateOutcome: Codable, Equatable, Sendable {
    /// One selected result: its value (relative to the baseline, if the gate says so) and verdict.
    public struct Check: Codable, Equatable, Sendable {
        public var variant: String
        public var detector: String
        public var value: Double?
        public var passed: Bool
    }

    public var gate: GateSpec
    public var passed: Bool
    public var checks: [Check]
    /// Why it failed, for the report and the CLI.
    public var message: String?
}

/// Checking quality gates against results.
public enum Gates {
    /// Checks each gate against the results. A gate that selects no result, or meets an
    /// undefined metric, fails (with the reason), so that a typo cannot pass silently.
    public static func check(_ gates: [GateSpec], results: [MetricsResult]) -> [GateOutcome] {
        gates.map { gate in
            let selected = results.filter { result in
                (gate.variant.map { $0 == result.variant } ?? true) && (gate.detector.map { $0 == result.detector } ?? true)
                    && result.variant != gate.relativeTo
            }
            guard !selected.isEmpty else {
                let known = results.map { "\($0.variant)/\($0.detector)" }.joined(separator: ", ")
                return GateOutcome(gate: gate, passed: false, checks: [],
                                   message: "\(gate.summary), but no result is \([gate.variant, gate.detector].compactMap { $0 }.joined(separator: " / ")) (the results: \(known))")
            }
            var failures: [String] = []
            let checks = selected.map { result -> GateOutcome.Check in
                var value = result.scorecard.value(of: gate.metric)
                if let baseline = gate.relativeTo {
                    let base = results.first { $0.variant == baseline && $0.detector == result.detector }?.scorecard.value(of: gate.metric)
                    value = base.flatMap { b in value.map { $0 - b } }
                }
                let passed = value.map { v in (gate.min.map { v >= $0 } ?? true) && (gate.max.map { v <= $0 } ?? true) } ?? false
                if !passed {
                    let shown = value.map { v in gate.relativeTo.map { String(format: "%.4f %@ that of %@", abs(v), v < 0 ? "below" : "above", $0) }
                        ?? String(format: "%.4f", v) } ?? "undefined"
                    failures.append("\(result.variant) / \(result.detector) has \(shown)")
                }
                return GateOutcome.Check(variant: result.variant, detector: result.detector, value: value, passed: passed)
            }
            return GateOutcome(gate: gate, passed: failures.isEmpty, checks: checks,
                               message: failures.isEmpty ? nil : "\(gate.summary), but \(failures.joined(separator: "; "))")
        }
    }
}
