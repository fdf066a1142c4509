import Foundation

/// A point of a chart.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A named line or point set of a chart.
public struct Series: Equatable, Sendable {
    public var label: String
    public var points: [Point]
    /// A fixed color (CSS), instead of the next one of the palette.
    public var color: String?
    public init(label: String, points: [Point], color: String? = nil) {
        self.label = label
        self.points = points
        self.color = color
    }
}

/// Everything a report shows; `evaluate` fills it in, `HTMLReport` and `MarkdownReport` render it.
public struct ReportContent: Sendable {
    /// ROC and PR curves of one detector, a line per variant.
    public struct DetectorCurves: Sendable {
        public var detector: String
        public var roc: [Series]
        public var precisionRecall: [Series]
        public init(detector: String, roc: [Series], precisionRecall: [Series]) {
            self.detector = detector
            self.roc = roc
            self.precisionRecall = precisionRecall
        }
    }

    /// Test scores of normal and anomalous rows for one variant and detector.
    public struct Histogram: Sendable {
        public var title: String
        public var normal: [Float]
        public var anomalous: [Float]
        public init(title: String, normal: [Float], anomalous: [Float]) {
            self.title = title
            self.normal = normal
            self.anomalous = anomalous
        }
    }

    /// One synthetic set's quality (keys of `quality.json`).
    public struct QualityRow: Sendable {
        public var label: String
        public var values: [(name: String, value: Double)]
        public init(label: String, values: [(name: String, value: Double)]) {
            self.label = label
            self.values = values
        }
    }

    public var metrics: MetricsDocument
    public var curves: [DetectorCurves] = []
    public var histograms: [Histogram] = []
    /// Real normals, real anomalies and each synthetic set, projected on two principal components.
    public var scatter: [Series] = []
    public var scatterNote = ""
    /// Training (and validation) loss per epoch of each generator and detector, a chart each.
    public var losses: [(title: String, series: [Series])] = []
    public var quality: [QualityRow] = []
    /// For image data: real, synthetic, and each detector's most and least anomalous test images.
    public var imageGrids: [ImageGrid] = []
    /// Notes on how the evaluation was done (threshold rule, folds, baseline).
    public var notes: [String] = []

    public init(metrics: MetricsDocument) { self.metrics = metrics }
}

/// One stage of the run, for the table the runner adds to a published report.
public struct StageRow: Sendable {
    public var id: String
    public var type: String
    public var status: String
    public var seconds: Double
    public var key: String
    public init(id: String, type: String, status: String, seconds: Double, key: String) {
        self.id = id
        self.type = type
        self.status = status
        self.seconds = seconds
        self.key = key
    }
}

/// What a published report gets that its cached copy cannot hold, each at its mark: the
/// run's stage table (timings and cache status change from run to run) and the quality
/// gates' outcomes (gates are checked when a result is published, so that editing a gate
/// never recomputes the metrics).
public enum ReportPlaceholders {
    public static let stages = "<!-- anomsynth:stages -->"
    public static let gateSummary = "<!-- anomsynth:gate-summary -->"
    public static let gates = "<!-- anomsynth:gates -->"

    /// The report text with the gates and the stage table in place of their marks.
    public static func fill(_ report: String, gates: [GateOutcome], stages: [StageRow], html: Bool) -> String {
        report.replacingOccurrences(of: gateSummary, with: html ? HTMLReport.gateSummary(gates) : "")
            .replacingOccurrences(of: self.gates, with: html ? HTMLReport.gateSection(gates) : MarkdownReport.gateSection(gates))
            .replacingOccurrences(of: self.stages, with: html ? HTMLReport.stageTable(stages) : MarkdownReport.stageTable(stages))
    }
}
