import TensorCore

/// How a column's values are to be read.
public enum ColumnKind: Equatable, Sendable, Codable {
    /// Real numbers; `integer` when every value is whole (restored by rounding on inverse transforms).
    case numeric(integer: Bool)
    /// One of a fixed list of categories; the feature matrix holds the category's index.
    case categorical(categories: [String])
}

extension ColumnKind {
    /// The categories of a categorical kind, nil for a numeric one.
    public var categories: [String]? {
        if case .categorical(let categories) = self { return categories }
        return nil
    }
}

/// One column of a dataset's feature matrix.
public struct Column: Equatable, Sendable, Codable {
    public var name: String
    public var kind: ColumnKind
    /// For a column made by a transform (a one-hot indicator), the input column it came from.
    public var originalName: String?

    public init(name: String, kind: ColumnKind, originalName: String? = nil) {
        self.name = name
        self.kind = kind
        self.originalName = originalName
    }

    /// The categories of a categorical column, nil for a numeric one.
    public var categories: [String]? { kind.categories }
}

/// A table of float32 features with a label (1 = anomaly) and a provenance per row.
///
/// Categorical columns hold the index of their category; missing values are NaN.
/// `provenance[i]` indexes `sources`, whose first entry is always `"real"`.
public struct Dataset: Equatable, Sendable {
    /// `[rows, columns.count]`.
    public var features: Tensor
    public var columns: [Column]
    /// 0 (normal) or 1 (anomaly), one per row.
    public var labels: [UInt8]
    /// Index into `sources`, one per row.
    public var provenance: [Int32]
    /// Where rows came from: `"real"`, then e.g. `"vae/minority"`.
    public var sources: [String]
    /// For image data, the shape of one row (e.g. `[28, 28]`); empty otherwise.
    public var rowShape: [Int]
    /// The label column of the file the rows came from, so that `export` can write it back
    /// as the user had it; nil when unknown (e.g. synthetic rows, IDX labels).
    public var labelColumn: LabelColumn?

    /// Creates a dataset, checking that every part has one entry per row or column.
    /// - Throws: `DatasetError` naming the part that does not fit.
    public init(features: Tensor, columns: [Column], labels: [UInt8], provenance: [Int32]? = nil,
                sources: [String] = ["real"], rowShape: [Int] = [], source: String = "dataset") throws {
        let rows = features.rank == 2 ? features.shape[0] : 0
        guard features.rank == 2, features.shape[1] == columns.count else {
            throw DatasetError(source, "features \(describe(features.shape)) do not match \(columns.count) columns")
        }
        guard labels.count == rows else { throw DatasetError(source, "\(labels.count) labels for \(rows) rows") }
        guard labels.allSatisfy({ $0 <= 1 }) else { throw DatasetError(source, "labels must be 0 or 1") }
        let provenance = provenance ?? [Int32](repeating: 0, count: rows)
        guard provenance.count == rows else { throw DatasetError(source, "\(provenance.count) provenance entries for \(rows) rows") }
        guard sources.first == "real" else { throw DatasetError(source, "the first source must be \"real\"") }
        if let bad = provenance.first(where: { $0 < 0 || Int($0) >= sources.count }) {
            throw DatasetError(source, "provenance \(bad) does not name one of \(sources.count) sources")
        }
        self.features = features
        self.columns = columns
        self.labels = labels
        self.provenance = provenance
        self.sources = sources
        self.rowShape = rowShape
    }

    public var rowCount: Int { features.shape[0] }
    public var anomalyCount: Int { labels.reduce(0) { $0 + Int($1) } }

    /// The indices of the rows of one class (0 normal, 1 anomaly), in order.
    public func indices(ofClass label: UInt8) -> [Int] { (0..<rowCount).filter { labels[$0] == label } }

    /// Rows per source, in the order of `sources`.
    public var rowsPerSource: [Int] {
        var counts = [Int](repeating: 0, count: sources.count)
        for p in provenance { counts[Int(p)] += 1 }
        return counts
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) throws -> Dataset {
        var subset = self
        subset.features = try features.gatherRows(indices)
        subset.labels = indices.map { labels[$0] }
        subset.provenance = indices.map { provenance[$0] }
        return subset
    }
}

extension Dataset {
    /// The row and column of the first infinite value, or nil (missing values are NaN, not infinite).
    public func firstInfiniteValue() -> (row: Int, column: Int)? {
        let width = columns.count
        return features.withUnsafeBufferPointer { values in
            guard let index = values.firstIndex(where: { $0.isInfinite }), width > 0 else { return nil }
            return (index / width, index % width)
        }
    }
}

/// What a model is fitted to and makes: the model-space columns and the shape of one sample.
public struct SampleSchema: Codable, Equatable, Sendable {
    public var columns: [Column]
    /// `[columns.count]` for a table, `[channels, height, width]` for images (NCHW, as PyTorch).
    public var shape: [Int]

    public init(columns: [Column], shape: [Int]? = nil) {
        self.columns = columns
        self.shape = shape ?? [columns.count]
    }

    /// Whether a sample is an image, `[channels, height, width]`.
    public var isImage: Bool { shape.count == 3 }
}

extension Dataset {
    /// The shape of one sample: `rowShape` for images, `[columns]` for a table.
    public var sampleShape: [Int] { rowShape.isEmpty ? [columns.count] : rowShape }

    /// The columns and sample shape models are built for.
    public var schema: SampleSchema { SampleSchema(columns: columns, shape: sampleShape) }
}

/// A file's label column: its name and the texts of its two classes.
public struct LabelColumn: Codable, Equatable, Sendable {
    public var name: String
    /// The (first) text meaning anomaly.
    public var anomaly: String
    /// The text of every other row, when the file had exactly one (nil: several).
    public var normal: String?

    public init(name: String, anomaly: String, normal: String?) {
        self.name = name
        self.anomaly = anomaly
        self.normal = normal
    }
}
