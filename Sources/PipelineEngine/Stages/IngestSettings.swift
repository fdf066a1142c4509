import ArchiveIO
import Datasets
import Foundation

/// What an ingest reads and how, typed: the `ingest` stage decodes its validated
/// parameters into it, `anomsynth ingest` and `score` fill it from their options, and
/// `request` is the one place that turns it into an `IngestRequest`.
public struct IngestSettings: Codable, Equatable, Sendable {
    /// The label column and its anomaly values.
    public struct Label: Codable, Equatable, Sendable {
        public var column: String?
        /// nil: the format's default (`1`; KEEL/ARFF: `positive`).
        public var positive: [String]?
        public var mayBeAbsent = false

        public init(column: String?, positive: [String]?, mayBeAbsent: Bool) {
            self.column = column
            self.positive = positive
            self.mayBeAbsent = mayBeAbsent
        }

        enum CodingKeys: String, CodingKey {
            case column, positive
            case mayBeAbsent = "may_be_absent"
        }
    }

    public var path = ""
    public var member: String?
    public var format: InputFormat?
    public var label: Label?
    public var labelsPath: String?
    public var delimiter = ","
    public var hasHeader = true
    /// nil: the reader's default texts for missing.
    public var missingValues: [String]?
    public var categorical: [String] = []
    public var ignore: [String] = []
    public var dates: [String] = []
    public var maxDecompressedBytes = DecompressionLimits().maximumBytes
    public var maxCompressionRatio = DecompressionLimits().maximumRatio

    public init() {}

    /// The request for the reader, with `path` and `labelsPath` passed through `resolve`
    /// (a pipeline resolves them against its own folder).
    public func request(resolve: (String) -> String = { $0 }) -> IngestRequest {
        var request = IngestRequest(path: resolve(path))
        request.member = member
        request.format = format
        request.labelsPath = labelsPath.map(resolve)
        if let label {
            request.labelColumn = label.column
            request.positive = label.positive ?? []
            request.positiveMayBeAbsent = label.mayBeAbsent
        }
        if let delimiter = delimiter.first { request.csv.delimiter = delimiter }
        request.csv.hasHeader = hasHeader
        if let missingValues { request.csv.missingValues = missingValues }
        for column in categorical { request.csv.columnTypes[column] = .categorical }
        request.roles = ColumnRoles(ignore: ignore, dates: dates)
        request.decompression = DecompressionLimits(maximumBytes: maxDecompressedBytes, maximumRatio: maxCompressionRatio)
        return request
    }

    enum CodingKeys: String, CodingKey {
        case path, member, format, label, delimiter, categorical, ignore, dates
        case labelsPath = "labels_path", hasHeader = "has_header", missingValues = "missing_values"
        case maxDecompressedBytes = "max_decompressed_bytes", maxCompressionRatio = "max_compression_ratio"
    }
}
