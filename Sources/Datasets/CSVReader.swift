import Foundation
import TensorCore

/// Options for reading delimited text.
public struct CSVOptions: Equatable, Sendable {
    /// The field separator (one ASCII character).
    public var delimiter: Character = ","
    /// Texts that mean "missing" (compared after trimming spaces); an unquoted empty field always does.
    public var missingValues: [String] = ["", "?", "NA", "NaN", "nan", "N/A", "null"]
    /// Column types given by name; the others are inferred from the first `inferenceRows` rows.
    public var columnTypes: [String: DeclaredType] = [:]
    /// Rows read before deciding each column's type.
    public var inferenceRows = 10_000
    /// Whether the first row names the columns; without a header they are `c0, c1, ...`.
    public var hasHeader = true
    /// Cores used to parse large files without quotes (the result does not depend on it).
    public var threads = min(4, Parallelism.threads)
    /// Bytes of text per block: a block without quotes is parsed in `threads` x 8 pieces at once.
    public var blockBytes = 1 << 23

    public init() {}
}

/// Reads CSV (RFC 4180) with a header row, streaming: the text is parsed in chunks
/// as it is read, so memory stays near the size of the float32 matrix.
///
/// A column whose sampled values all parse as numbers is numeric (integer when they
/// are whole), otherwise categorical. A later value that is not a number in a
/// numeric column is an error naming the line and the column.
public enum CSVReader {
    /// Reads a whole CSV source into a dataset.
    /// - Parameters:
    ///   - label: the label column and its anomaly values; nil when every row is normal.
    /// - Throws: `DatasetError` naming the file and line: an empty file, a ragged row,
    ///   a missing label column, text in a numeric column, an anomaly value that never occurs.
    public static func read<Source: ByteSource>(
        _ source: inout Source, label: LabelSpec?, options: CSVOptions = CSVOptions()
    ) throws -> Dataset {
        guard let delimiter = options.delimiter.asciiValue else {
            throw DatasetError(source.name, "the delimiter must be one ASCII character, got '\(options.delimiter)'")
        }
        let reading = CSVReading(source: source.name, expectedSize: source.expectedSize, label: label, options: options, delimiter: delimiter)
        if let file = source as? FileByteSource, let mapped = MappedFile(file) {
            try reading.tokenizer.stream(mapped: mapped, block: reading.block)
        } else {
            try reading.tokenizer.stream(&source, block: reading.block)
        }
        return try reading.finish()
    }

    static func checkHeader(_ names: [String], source: String, line: Int) throws {
        if let empty = names.firstIndex(of: "") {
            throw DatasetError(source, line: line, "column \(empty + 1) of the header has no name")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw DatasetError(source, line: line, "column name '\(name)' appears twice in the header")
        }
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
