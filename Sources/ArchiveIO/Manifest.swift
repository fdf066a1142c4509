import Datasets
import Foundation

/// `manifest.json` of a dataset archive: the schema, counts, statistics and the
/// SHA-256 of every other member. Keys are snake_case and sorted when written.
public struct Manifest: Codable, Equatable, Sendable {
    /// Per-column statistics over the non-missing values.
    public struct ColumnStatistics: Codable, Equatable, Sendable {
        public var name: String
        public var min: Double?
        public var max: Double?
        public var mean: Double?
        public var std: Double?
        public var missing: Int
    }

    /// A member other than the manifest.
    public struct Member: Codable, Equatable, Sendable {
        public var bytes: Int
        public var sha256: String
    }

    /// A column as the manifest records it.
    public struct ColumnEntry: Codable, Equatable, Sendable {
        public var name: String
        /// `numeric` or `categorical`.
        public var kind: String
        public var integer: Bool?
        public var categories: [String]?
        public var originalName: String?

        enum CodingKeys: String, CodingKey {
            case name, kind, integer, categories
            case originalName = "original_name"
        }
    }

    public static let formatName = "anomsynth-dataset"
    public static let currentVersion = 1

    public var format = Manifest.formatName
    public var formatVersion = Manifest.currentVersion
    public var rows: Int
    public var columns: [ColumnEntry]
    public var rowShape: [Int]
    public var rowsPerClass: [String: Int]
    public var sources: [String]
    public var rowsPerSource: [String: Int]
    public var statistics: [ColumnStatistics]
    public var members: [String: Member]
    /// The source file's label column (name, anomaly and normal texts), when known.
    public var label: LabelColumn?

    enum CodingKeys: String, CodingKey {
        case format, rows, columns, sources, statistics, members, label
        case formatVersion = "format_version"
        case rowShape = "row_shape"
        case rowsPerClass = "rows_per_class"
        case rowsPerSource = "rows_per_source"
    }
}

extension Manifest {
    /// Describes a dataset whose members have the given checksums.
    init(describing data: Dataset, members: [String: Member]) {
        rows = data.rowCount
        columns = data.columns.map { column in
            switch column.kind {
            case .numeric(let integer):
                ColumnEntry(name: column.name, kind: "numeric", integer: integer, categories: nil, originalName: column.originalName)
            case .categorical(let categories):
                ColumnEntry(name: column.name, kind: "categorical", integer: nil, categories: categories, originalName: column.originalName)
            }
        }
        rowShape = data.rowShape
        rowsPerClass = ["normal": data.rowCount - data.anomalyCount, "anomaly": data.anomalyCount]
        sources = data.sources
        rowsPerSource = Dictionary(uniqueKeysWithValues: zip(data.sources, data.rowsPerSource))
        statistics = Manifest.statistics(of: data)
        self.members = members
        label = data.labelColumn
    }

    /// The dataset columns this manifest describes.
    func datasetColumns(archive: String) throws -> [Column] {
        try columns.map { entry in
            switch entry.kind {
            case "numeric": return Column(name: entry.name, kind: .numeric(integer: entry.integer ?? false), originalName: entry.originalName)
            case "categorical": return Column(name: entry.name, kind: .categorical(categories: entry.categories ?? []), originalName: entry.originalName)
            default: throw ArchiveError(archive, member: "manifest.json", "column '\(entry.name)' has unknown kind '\(entry.kind)'")
            }
        }
    }

    static func statistics(of data: Dataset) -> [ColumnStatistics] {
        let summary = data.columnSummary()
        return summary.enumerated().map { j, column in
            let n = Double(column.count)
            let mean = column.count > 0 ? column.sum / n : nil
            let std = mean.map { (Swift.max(0, column.squares / n - $0 * $0)).squareRoot() }
            return ColumnStatistics(name: data.columns[j].name, min: column.count > 0 ? column.low : nil,
                                    max: column.count > 0 ? column.high : nil, mean: mean, std: std,
                                    missing: data.rowCount - column.count)
        }
    }
}
