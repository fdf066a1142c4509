import ArchiveIO
import Foundation

/// The rows of a stage's dataset output as a cost estimate sees them.
public struct DataShape: Sendable, Equatable {
    public var rows: Int
    /// Model columns: one-hot categories counted one per category.
    public var columns: Int
    public var anomalies: Int
    /// One sample's shape when the rows are images (`[channels, height, width]`), else empty.
    public var image: [Int] = []

    public init(rows: Int, columns: Int, anomalies: Int, image: [Int] = []) {
        (self.rows, self.columns, self.anomalies, self.image) = (rows, columns, anomalies, image)
    }

    /// The shape an archive's manifest records (categories counted as their one-hot columns).
    init(_ manifest: Manifest) {
        let columns = manifest.columns.reduce(0) { $0 + ($1.kind == "categorical" ? max(1, $1.categories?.count ?? 1) : 1) }
        self.init(rows: manifest.rows, columns: columns, anomalies: manifest.rowsPerClass["anomaly"] ?? 0,
                  image: manifest.rowShape.count == 3 ? manifest.rowShape : [])
    }

    var normal: Int { rows - anomalies }

    /// These rows with `rows` of them kept, in the same proportions.
    func scaled(to rows: Int) -> DataShape {
        var shape = self
        shape.rows = rows
        shape.anomalies = self.rows > 0 ? Int((Double(anomalies) * Double(rows) / Double(self.rows)).rounded()) : 0
        return shape
    }
}

/// What a stage should cost before it runs: seconds of one core on the reference machine
/// (a 2-core AMD Zen 3, release build), what they come from, and the shapes of its dataset
/// outputs. A guide for `plan` and the run's time left, not a promise: the run corrects it by
/// the times of the stages that finish.
public struct StageEstimate: Sendable {
    public var seconds: Double
    /// Why, in a few words: `20,000 steps x 128 rows of a 20-column flow`.
    public var why: String
    /// Output name → shape (dataset outputs only).
    public var outputs: [String: DataShape]

    public init(seconds: Double, why: String, outputs: [String: DataShape] = [:]) {
        (self.seconds, self.why, self.outputs) = (seconds, why, outputs)
    }
}

/// Estimates each stage of a run from the rows and columns it will see and its model.
public enum CostEstimate {
    /// Per stage id: its estimate, for every stage whose inputs' shapes are known (a
    /// finished stage's shapes are read from its archives' manifests; it costs nothing).
    /// - Parameters:
    ///   - finished: a finished (cached or run) stage's files by output name; nil for one not finished.
    ///   - shapes: reads (once per file) the shape a written archive holds.
    ///   - readSources: whether an `ingest` not yet run may read its source to learn the shape.
    public static func estimate(_ pipeline: Pipeline, finished: (String) -> [String: URL]?, shapes: ArchiveShapes,
                                readSources: Bool) -> [String: StageEstimate] {
        var estimates: [String: StageEstimate] = [:]
        for id in pipeline.order {
            guard let stage = pipeline.stage(id) else { continue }
            var inputs: [String: [DataShape]] = [:]
            var known = true
            for (name, references) in stage.inputs {
                // Every stage read must be estimated; its outputs that are not rows (a JSON
                // report) have no shape and count for nothing.
                known = known && references.allSatisfy { estimates[$0.stage] != nil }
                inputs[name] = references.compactMap { estimates[$0.stage]?.outputs[$0.output] }
            }
            let context = EstimateContext(params: stage.params, inputs: inputs, directory: pipeline.directory,
                                          files: stage.implementation.externalFiles(stage.params, pipelineDirectory: pipeline.directory),
                                          readSources: readSources)
            if let files = finished(id) {
                // Done: nothing left to pay, and its archives say what they hold.
                var done = (known ? stage.implementation.estimate(context) : nil) ?? StageEstimate(seconds: 0, why: "done")
                done.seconds = 0
                for output in stage.implementation.outputs where output.isArchive {
                    if let shape = files[output.name].flatMap(shapes.shape) { done.outputs[output.name] = shape }
                }
                estimates[id] = done
            } else if known {
                estimates[id] = stage.implementation.estimate(context)
            }
        }
        return estimates
    }

    /// One line on where a run's time should go: the work, the wall clock on `threads`, and
    /// the stage type that dominates, with a typical stage's reason. Nil when nothing is left.
    public static func summary(_ estimates: [String: StageEstimate], pipeline: Pipeline, threads: Int) -> String? {
        let left = estimates.filter { $0.value.seconds > 0 }
        let work = left.values.reduce(0) { $0 + $1.seconds }
        guard work > 0 else { return nil }
        var byType: [String: [String]] = [:]
        for id in left.keys { byType[pipeline.stage(id)!.implementation.type, default: []].append(id) }
        let seconds = { (ids: [String]) in ids.reduce(0) { $0 + left[$1]!.seconds } }
        let (type, ids) = byType.max { (seconds($0.value), $1.key) < (seconds($1.value), $0.key) }!
        let largest = ids.max { (left[$0]!.seconds, $1) < (left[$1]!.seconds, $0) }!
        let share = Int((seconds(ids) / work * 100).rounded())
        return "estimated \(ProgressReporter.clock(work)) of work, ~\(ProgressReporter.clock(work / Double(max(1, threads)))) on \(threads) thread\(threads == 1 ? "" : "s"); "
            + "\(share)% in \(type) (\(ids.count) stage\(ids.count == 1 ? "" : "s"); the largest, \(largest), ~\(ProgressReporter.clock(left[largest]!.seconds)): \(left[largest]!.why))"
    }
}

/// The shapes written archives hold, each read from its manifest once.
public final class ArchiveShapes: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [String: DataShape] = [:]

    public init() {}

    func shape(_ file: URL) -> DataShape? {
        if let shape = lock.withLock({ known[file.path] }) { return shape }
        guard let manifest = try? DatasetArchive.manifest(file.path) else { return nil }
        let shape = DataShape(manifest)
        lock.withLock { known[file.path] = shape }
        return shape
    }
}

/// What a stage's `estimate` sees: its parameters (defaults filled in), its inputs' shapes
/// (per input name, in order) and its external files.
public struct EstimateContext {
    public let params: JSONValue
    public let inputs: [String: [DataShape]]
    /// The pipeline file's folder (relative paths start there).
    public let directory: URL
    public let files: [String]
    public let readSources: Bool

    /// The first shape of an input.
    func shape(_ name: String) -> DataShape? { inputs[name]?.first }
}
