import Foundation

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
    public var threads = min(4, ProcessInfo.processInfo.activeProcessorCount)
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
        let name = source.name
        var header: [String]?
        var labelIndex: Int?
        var sample: InferenceSample?
        var converter: RowConverter?
        let expectedSize = source.expectedSize
        var reserved: [Float] = []  // room for the features, reserved once the header is read
        var headerDone = false
        func takeReserved() -> [Float] {
            defer { reserved = [] }  // the converter's copy is then the only one: appending does not copy it
            return reserved
        }

        func startConverting() throws {
            guard let header, let sample else { return }
            let kinds = sample.kinds(names: header, declared: options.columnTypes, missing: options.missingValues)
            let made = RowConverter(source: name, names: header, kinds: kinds, label: label, labelIndex: labelIndex,
                                    missing: options.missingValues)
            made.adopt(takeReserved())
            try sample.replay(into: made)
            converter = made
        }

        func handle(_ fields: UnsafeBufferPointer<CSVTokenizer.Field>, _ line: Int) throws {
            if header == nil {
                let names = options.hasHeader
                    ? fields.map { String(decoding: UnsafeBufferPointer(start: $0.start, count: $0.count), as: UTF8.self).trimmingSpaces }
                    : (0..<fields.count).map { "c\($0)" }
                try checkHeader(names, source: name, line: line)
                if let label {
                    guard let index = names.firstIndex(of: label.column) else {
                        throw DatasetError(name, line: line, "no label column '\(label.column)'; the columns are \(names.joined(separator: ", "))")
                    }
                    labelIndex = index
                }
                header = names
                if options.hasHeader { return }
            }
            guard let columns = header, fields.count == columns.count else {
                throw DatasetError(name, line: line, "\(fields.count) fields, header has \(header?.count ?? 0)")
            }
            if let converter {
                try converter.append(fields, line: line)
                return
            }
            let rows = sample ?? InferenceSample(width: columns.count)
            sample = rows
            rows.append(fields, line: line)
            if rows.rowCount >= options.inferenceRows { try startConverting() }
        }

        let tokenizer = CSVTokenizer(delimiter: delimiter, source: name, chunkSize: options.blockBytes)
        let fields = CSVTokenizer.FieldList()
        var scratch: [UInt8] = []
        var forks: [RowConverter] = []  // made once, reused by every block
        let block: CSVTokenizer.BlockHandler = { base, start, end, atEnd, line in
            // The header and the sample that decides the columns' types, a record at a time:
            // the rest of the block can then go to the parallel parser.
            var position = start, lines = 0
            while converter == nil, position < end {
                if let header, !headerDone {
                    headerDone = true
                    let width = header.count - (labelIndex == nil ? 0 : 1)
                    if let expectedSize { reserved = reserveFeatures(width: width, base, position, end, expectedSize: expectedSize) }
                    if sample == nil, let (made, next, rows) = convertPlainSample(base, position, end, atEnd, names: header, label: label,
                                                                                  labelIndex: labelIndex, options: options, source: name) {
                        made.adopt(takeReserved())
                        (converter, position, lines) = (made, next, lines + rows)
                        break
                    }
                }
                let (next, spanned) = try tokenizer.parseRecords(base, from: position, to: end, atEnd: atEnd, line: line + lines, fields: fields,
                                                                 scratch: &scratch, oneRecord: true, handle)
                if next == position { return (position, lines) }  // a record cut off by the block's end
                (position, lines) = (next, lines + spanned)
            }
            if let converter, options.threads > 1, let columns = header?.count {
                // Several pieces per core, taken by the cores as they finish: one slow piece (a
                // core lent to another process) then holds the block up less.
                if forks.isEmpty { forks = (0..<options.threads * piecesPerThread).map { _ in converter.fork() } }
                if let (next, spanned) = try parseInParallel(tokenizer, base, position, end, atEnd, line + lines, converter, columns, forks: forks) {
                    return (next, lines + spanned)
                }
            }
            let (next, spanned) = try tokenizer.parseRecords(base, from: position, to: end, atEnd: atEnd, line: line + lines, fields: fields,
                                                             scratch: &scratch, handle)
            return (next, lines + spanned)
        }
        if let file = source as? FileByteSource, let mapped = MappedFile(file) {
            try tokenizer.stream(mapped: mapped, block: block)
        } else {
            try tokenizer.stream(&source, block: block)
        }
        guard header != nil else { throw DatasetError(name, "empty file: expected a header row") }
        if converter == nil { try startConverting() }
        guard let converter else { throw DatasetError(name, "no data rows") }
        return try converter.dataset()
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
