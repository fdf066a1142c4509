import Datasets
import Foundation

/// The formats `ingest` reads.
public enum InputFormat: String, Codable, Sendable, CaseIterable {
    case csv, keel, arff, idx, npy
    /// numpy's `.npz` (a zip of `.npy` arrays) as ADBench ships it: `X` the rows, `y` 1 for an anomaly.
    case npz

    /// The format a file name implies (after any compression suffix), or nil.
    public static func infer(from name: String) -> InputFormat? {
        var lower = name.lowercased()
        for suffix in [".gz", ".zst", ".xz"] where lower.hasSuffix(suffix) { lower.removeLast(suffix.count) }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") { return .csv }
        if lower.hasSuffix(".dat") { return .keel }
        if lower.hasSuffix(".arff") { return .arff }
        if lower.hasSuffix(".npy") { return .npy }
        if lower.hasSuffix(".npz") { return .npz }
        if lower.hasSuffix(".idx") || lower.contains("-idx") { return .idx }
        return nil
    }
}

/// What to read and how: the `ingest` stage's parameters.
public struct IngestRequest: Sendable {
    public var path: String
    /// A member of an archive at `path`.
    public var member: String?
    /// nil: inferred from the file (or member) name.
    public var format: InputFormat?
    /// The label column. CSV: nil means no label (every row normal); KEEL/ARFF: nil
    /// means the last attribute. Not used for IDX/NPY (see `labelsPath`).
    public var labelColumn: String?
    /// Label values meaning anomaly; empty: `positive` for KEEL/ARFF, `1` otherwise.
    public var positive: [String] = []
    /// Whether the anomaly values may not occur at all (a file of normal rows only).
    public var positiveMayBeAbsent = false
    /// IDX and NPY: a second file of one label per row.
    public var labelsPath: String?
    public var csv = CSVOptions()
    /// How far a compressed input may expand.
    public var decompression = DecompressionLimits()
    /// Columns to leave out and date columns to turn into numbers.
    public var roles = ColumnRoles()

    public init(path: String) { self.path = path }
}

/// Reads one input file (plain, compressed, or an archive member) into a dataset.
public enum Ingest {
    /// - Throws: `DatasetError` or `ArchiveError` naming the file, member and line; an
    ///   infinite value (`inf`, or a number past float32's ±3.4e38) is an error too.
    public static func read(_ request: IngestRequest) throws -> Dataset {
        let source = request.member.map { "\(request.path):\($0)" } ?? request.path
        let dataset = try readValues(request).applying(request.roles, source: source)
        if let (row, column) = dataset.firstInfiniteValue() {
            throw DatasetError(source, "row \(row + 1), column '\(dataset.columns[column].name)': the value is infinite "
                + "('inf', or a number beyond float32's range of ±3.4e38); replace it, or list its text as a missing value")
        }
        return dataset
    }

    private static func readValues(_ request: IngestRequest) throws -> Dataset {
        if (request.format ?? InputFormat.infer(from: request.path)) == .npz { return try readNPZ(request) }
        if request.member == nil, request.format == nil, isDatasetArchive(request.path) { return try readDatasetArchive(request) }
        if request.format == nil, InputFormat.infer(from: request.member ?? request.path) == nil,
           !ArchiveByteSource.isArchive(request.path) {
            throw DatasetError(request.path, "cannot tell the format from the name; give it (csv, keel, arff, idx, npy, npz)")
        }
        var source = try open(request.path, member: request.member, limits: request.decompression)
        guard let format = request.format ?? InputFormat.infer(from: source.name) else {
            throw DatasetError(source.name, "cannot tell the format from the name; give it (csv, keel, arff, idx, npy, npz)")
        }
        switch format {
        case .csv:
            let label = request.labelColumn.map {
                LabelSpec(column: $0, positive: request.positive.isEmpty ? ["1"] : request.positive, mayBeAbsent: request.positiveMayBeAbsent)
            }
            return try CSVReader.read(&source, label: label, options: request.csv)
        case .keel, .arff:
            return try ARFFReader.read(&source, labelColumn: request.labelColumn,
                                       positive: request.positive.isEmpty ? ["positive"] : request.positive,
                                       positiveMayBeAbsent: request.positiveMayBeAbsent,
                                       missingValues: request.csv.missingValues)
        case .idx, .npy:
            let (shape, values) = try decodeArray(format, bytes: try source.readAll(), name: source.name)
            let labels = try request.labelsPath.map { labelsPath in
                var labelSource = try open(labelsPath, member: nil, limits: request.decompression)
                return try numericLabels(try decodeArray(format, bytes: try labelSource.readAll(), name: labelSource.name).1,
                                         request, source: labelsPath)
            }
            return try Dataset.numeric(shape: shape, values: values, labels: labels, source: source.name)
        case .npz:
            return try readNPZ(request)
        }
    }

    /// Whether `path` is an archive AnomSynth wrote (it holds a `manifest.json` of the dataset format).
    static func isDatasetArchive(_ path: String) -> Bool {
        guard ArchiveByteSource.isArchive(path), let names = try? ArchiveByteSource.memberNames(path) else { return false }
        return names.contains(DatasetArchive.manifestName)
    }

    /// A dataset archive (from `ingest`, or any stage) as it is: its labels are already set.
    private static func readDatasetArchive(_ request: IngestRequest) throws -> Dataset {
        guard request.labelColumn == nil, request.labelsPath == nil, request.positive.isEmpty else {
            throw DatasetError(request.path, "a dataset archive carries its labels; give no label settings for it")
        }
        let (dataset, transform) = try DatasetArchive.read(request.path)
        guard transform == nil else {
            throw DatasetError(request.path, "this archive holds preprocessed rows (it has a transform.json); ingest the raw data, or export it to CSV first")
        }
        return dataset
    }

    /// Label values with the anomaly values of the request (default 1) as numbers.
    private static func numericLabels(_ values: [Float], _ request: IngestRequest, source: String) throws -> (values: [Float], positive: [Float]) {
        let positive = try (request.positive.isEmpty ? ["1"] : request.positive).map { text -> Float in
            guard let value = Float(text) else { throw DatasetError(source, "anomaly value '\(text)' is not a number") }
            return value
        }
        return (values, positive)
    }

    /// An `.npz` file: the rows from its `X` array (or `member`), labels from `y` when it has one.
    private static func readNPZ(_ request: IngestRequest) throws -> Dataset {
        let members = try ArchiveByteSource.memberNames(request.path, maximumBytes: request.decompression.maximumBytes)
        var seen = Set<String>()
        if let twice = members.first(where: { !seen.insert($0).inserted }) {
            // numpy keeps the last of two members of one name, a streaming reader the first: the same file would give two datasets.
            throw DatasetError(request.path, "holds the array '\(twice)' twice; an .npz must name each array once")
        }
        let rowsMember = request.member ?? "X.npy"
        guard members.contains(rowsMember) else {
            throw DatasetError(request.path, "no array '\(rowsMember)' (ADBench's rows are X; it holds \(members.prefix(10).joined(separator: ", "))); name the rows' array as the member")
        }
        func array(_ member: String) throws -> ([Int], [Float]) {
            var source = try ArchiveByteSource(path: request.path, member: member, limits: request.decompression)
            return try decodeArray(.npy, bytes: try source.readAll(), name: source.name)
        }
        let (shape, values) = try array(rowsMember)
        let labels = try members.contains("y.npy") ? numericLabels(try array("y.npy").1, request, source: "\(request.path):y.npy") : nil
        return try Dataset.numeric(shape: shape, values: values, labels: labels, source: "\(request.path):\(rowsMember)")
    }

    private static func decodeArray(_ format: InputFormat, bytes: [UInt8], name: String) throws -> ([Int], [Float]) {
        guard !bytes.isEmpty else { throw DatasetError(name, "empty file") }
        if format == .idx {
            let array = try IDXReader.decode(bytes, source: name)
            return (array.shape, array.values)
        }
        let array = try NPY.decode(bytes, source: name)
        return (array.shape.count == 1 ? [array.shape[0], 1] : array.shape, array.values)
    }

    /// A byte source for a plain file, a compressed file or an archive member.
    public static func open(_ path: String, member: String?, limits: DecompressionLimits = DecompressionLimits()) throws -> any ByteSource {
        if member != nil || ArchiveByteSource.isArchive(path) || ArchiveByteSource.isCompressedFile(path) {
            return try ArchiveByteSource(path: path, member: member, limits: limits)
        }
        return try FileByteSource(path: path)
    }
}
