import ArchiveIO
import Datasets
import Foundation
import Models

/// Applies a trained detector to new rows in their original columns (`anomsynth score`):
/// the rows are read as `ingest` reads them, preprocessed with the transform stored in the
/// detector file, scored, and cut at a threshold chosen on the detector's own validation rows.
public enum Scoring {
    /// One score per row, with the rows' ids and (when the data has one) labels.
    public struct Result {
        /// The id columns' names and, per row, their values as text.
        public var idColumns: [String]
        public var ids: [[String]]
        public var scores: [Float]
        /// 1 where the score reaches the threshold.
        public var decisions: [UInt8]
        /// The data's labels, when a label column was given.
        public var labels: [UInt8]?
        public var threshold: Float
        public var thresholdRule: String
        /// Each row's explanation, when one was asked for.
        public var explanation: ScoreExplanation?

        /// CSV: the id columns, `score`, `anomaly` (the decision), when known `label`, then
        /// the explanation's columns (`ScoreExplanation.csvHeader`).
        public func csv() -> String {
            var text = (idColumns.map(CSVWriter.quote) + ["score", "anomaly"] + (labels == nil ? [] : ["label"])
                        + (explanation?.csvHeader ?? [])).joined(separator: ",") + "\n"
            for row in scores.indices {
                let fields = ids[row].map(CSVWriter.quote) + ["\(scores[row])", "\(decisions[row])"] + (labels.map { ["\($0[row])"] } ?? [])
                    + (explanation?.csvFields(row: row) ?? [])
                text += fields.joined(separator: ",") + "\n"
            }
            return text
        }

        /// JSON lines: per row its ids, `score`, `anomaly`, `label` when known, and the explanation.
        public func jsonLines() throws -> String {
            var text = ""
            for row in scores.indices {
                var object: [String: Any] = ["score": Double(scores[row]), "anomaly": Int(decisions[row])]
                if !idColumns.isEmpty { object["id"] = Dictionary(zip(idColumns, ids[row]), uniquingKeysWith: { first, _ in first }) }
                if let labels { object["label"] = Int(labels[row]) }
                if let explanation { object["explanation"] = explanation.json(row: row) }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                text += String(decoding: data, as: UTF8.self) + "\n"
            }
            return text
        }
    }

    /// What `score` explains: the `top` columns of each row that raised its score most, or
    /// every column (nil).
    public struct ExplainRequest: Sendable {
        public var top: Int?
        public init(top: Int?) { self.top = top }
    }

    /// Scores the rows `request` reads with the detector at `detectorPath`.
    /// - Parameters:
    ///   - idColumns: columns copied to the result and left out of the features.
    ///   - rule: the threshold rule, as `evaluate`'s `threshold`.
    /// - Throws: errors naming the file: a detector without a stored transform, columns that
    ///   differ from the training rows', an unknown id column.
    ///   - explain: the explanation to add, if any (detectors that cannot explain are refused).
    public static func score(detectorPath: String, request: IngestRequest, idColumns: [String], rule: ThresholdRule,
                             contamination: Double = 0.05, explain: ExplainRequest? = nil) throws -> Result {
        let saved = try DetectorStore.load(detectorPath)
        guard let text = saved.metadata[DetectorStore.transformKey] else {
            throw StageError("\(detectorPath): no preprocessing transform inside (trained on rows that were not preprocessed, or by AnomSynth before scoring existed); retrain it")
        }
        let transform: Transform
        do { transform = try JSONDecoder().decode(Transform.self, from: Data(text.utf8)) } catch {
            throw StageError("\(detectorPath): metadata \(DetectorStore.transformKey) is not a preprocessing transform: \(describeDecodingProblem(error))")
        }
        try transform.check(source: "\(detectorPath): metadata \(DetectorStore.transformKey)")
        guard transform.outputColumns.map(\.name) == saved.columns.map(\.name) else {
            throw StageError("\(detectorPath): metadata \(DetectorStore.transformKey) makes the columns \(transform.outputColumns.map(\.name)), the detector reads \(saved.columns.map(\.name))")
        }
        var read = request
        read.roles = ColumnRoles()  // applied below, once the ids are taken
        let raw = try Ingest.read(read)
        let source = request.member.map { "\(request.path):\($0)" } ?? request.path
        let ids = try idColumns.map { name -> [String] in
            guard let j = raw.columns.firstIndex(where: { $0.name == name }) else {
                throw StageError("\(source): no id column '\(name)'; the columns are \(raw.columns.map(\.name).joined(separator: ", "))")
            }
            return (0..<raw.rowCount).map { CSVWriter.format(raw.features[$0, j], raw.columns[j]) }
        }
        // Date columns the training rows had as NAME_days come back as dates without being named again.
        let fittedNames = Set(transform.inputColumns.map(\.name))
        let dates = request.roles.dates + raw.columns.filter { column in
            column.categories != nil && !fittedNames.contains(column.name) && fittedNames.contains("\(column.name)_days")
                && !request.roles.dates.contains(column.name) && !idColumns.contains(column.name)
        }.map(\.name)
        let features = try raw.applying(ColumnRoles(ignore: idColumns + request.roles.ignore, dates: dates), source: source)
        let fitted = transform.inputColumns.map(\.name), given = features.columns.map(\.name)
        if fitted != given {
            let extra = given.filter { !fitted.contains($0) }, missing = fitted.filter { !given.contains($0) }
            throw StageError("\(source): the columns differ from the detector's training rows"
                + (missing.isEmpty ? "" : "; missing: \(missing.joined(separator: ", "))")
                + (extra.isEmpty ? "; the same columns in another order: \(given.joined(separator: ", ")), expected \(fitted.joined(separator: ", "))"
                   : "; not in training: \(extra.joined(separator: ", ")) (a label column: give it with --label; others: --id or --ignore)"))
        }
        let rows = try transform.apply(features, source: source)
        guard rows.columns.map(\.name) == saved.columns.map(\.name) else {
            throw StageError("\(source): the preprocessed columns \(rows.columns.map(\.name)) differ from the detector's \(saved.columns.map(\.name))")
        }
        let scores = try saved.detector.scoreInChunks(rows)
        let (threshold, description) = try rule.choose(for: saved, contamination: contamination, name: detectorPath)
        var result = Result(idColumns: idColumns, ids: (0..<rows.rowCount).map { row in ids.map { $0[row] } }, scores: scores,
                            decisions: scores.map { $0 >= threshold ? 1 : 0 }, labels: request.labelColumn == nil && request.labelsPath == nil ? nil : rows.labels,
                            threshold: threshold, thresholdRule: description)
        if let explain {
            guard let explainable = saved.detector as? any ExplainableDetector else {
                throw StageError("\(detectorPath): a \(saved.detector.kind) detector cannot explain its scores; explanations come from \(ScoreExplanation.explainableKinds.joined(separator: ", "))")
            }
            result.explanation = ScoreExplanation(try explainable.attributionsInChunks(rows), transform: transform, rows: features, top: explain.top)
        }
        return result
    }
}
