import Foundation
import Synchronization
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
    /// Cores used to parse large all-numeric files (the result does not depend on it).
    public var threads = min(4, ProcessInfo.processInfo.activeProcessorCount)
    /// Bytes of text per block: a block of plain numbers is parsed in `threads` x 8 pieces at once.
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

    /// An empty array with room for the features of the rows `expectedSize` bytes hold
    /// (guessed from the line breaks in the next MiB of text, with 2% to spare), its pages
    /// mapped on another thread while reading goes on. Empty for small files.
    private static func reserveFeatures(width: Int, _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, expectedSize: Int) -> [Float] {
        guard expectedSize >= 1 << 22, width > 0 else { return [] }
        let window = min(end, start + (1 << 20))
        var lines = 0, scanned = start
        while let found = memchr(base + scanned, Int32(CSVTokenizer.newline), window - scanned) {
            lines += 1
            scanned = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base + 1
        }
        guard lines >= 16 else { return [] }
        let rows = Int(Double(expectedSize) / (Double(scanned - start) / Double(lines)) * 1.02) + 16
        return [Float](unsafeUninitializedCapacity: rows * width) { buffer, initialized in
            Prefault.pagesInBackground(of: UnsafeMutableRawBufferPointer(buffer))
            initialized = 0
        }
    }

    /// The first `inferenceRows` rows converted the fast way when they are plain numbers and
    /// unquoted text: nothing to keep, infer and replay. Columns are typed by the first row
    /// (numeric where its value is a number, else categorical; declared types first), which
    /// is what the sample would find unless a later row disagrees; such a row (text in a
    /// column typed numeric) is not plain, and the rows are then sampled as usual.
    /// - Returns: the converter, the offset after those rows and the lines they span; nil
    ///   when a row is not plain or the block ends first.
    private static func convertPlainSample(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ atEnd: Bool, names: [String], label: LabelSpec?,
        labelIndex: Int?, options: CSVOptions, source: String
    ) -> (RowConverter, consumed: Int, lines: Int)? {
        guard let delimiter = options.delimiter.asciiValue,
              let kinds = firstRowKinds(base, start, end, names: names, delimiter: delimiter, options: options) else { return nil }
        let converter = RowConverter(source: source, names: names, kinds: kinds, label: label, labelIndex: labelIndex,
                                     missing: options.missingValues)
        let (position, rows) = converter.appendPlainRecords(base, from: start, to: end, delimiter: delimiter, limit: options.inferenceRows)
        guard rows > 0, rows == options.inferenceRows || (atEnd && position == end) else { return nil }
        return (converter, position, rows)
    }

    /// Each column's kind as the record at `start` suggests it (integer while every value is
    /// whole, as the sample types them); nil when that record has a quote, a missing value
    /// or a value with spaces around it, or does not end before `end`.
    private static func firstRowKinds(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, names: [String], delimiter: UInt8,
                                      options: CSVOptions) -> [ColumnKind]? {
        guard let found = memchr(base + start, Int32(CSVTokenizer.newline), end - start) else { return nil }
        let lineEnd = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
        guard memchr(base + start, Int32(CSVTokenizer.quote), lineEnd - start) == nil else { return nil }
        let missing = options.missingValues.map { Array($0.utf8) }
        var kinds: [ColumnKind] = [], p = start
        for name in names {
            var q = min(p, lineEnd)
            while q < lineEnd, base[q] != delimiter { q += 1 }
            let count = q - p - (q == lineEnd && q > p && base[q - 1] == CSVTokenizer.carriageReturn ? 1 : 0)
            if let declared = options.columnTypes[name] {
                kinds.append(InferenceSample.kind(declared: declared))
            } else {
                guard count > 0, ![base[p], base[p + count - 1]].contains(where: { $0 == 0x20 || $0 == 0x09 }),
                      !missing.contains(where: { $0.count == count && $0.withUnsafeBufferPointer { memcmp($0.baseAddress!, base + p, count) == 0 } })
                else { return nil }
                let number = parseFloat(base + p, count).map { !$0.isNaN } ?? false
                kinds.append(number ? .numeric(integer: true) : .categorical(categories: []))
            }
            p = q + 1
        }
        return kinds
    }

    /// Pieces each core parses of a block (`CSVOptions.blockBytes`), at most.
    static let piecesPerThread = 8

    /// Parses the complete lines of a block in pieces at once, each into one of `forks`
    /// (empty forks of the converter, given its categories), merged in order. Only for
    /// blocks without quotes (a line break then always ends a record).
    /// - Returns: nil when the block does not qualify; else the consumed offset and lines.
    private static func parseInParallel(
        _ tokenizer: CSVTokenizer, _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ atEnd: Bool, _ line: Int,
        _ converter: RowConverter, _ columns: Int, forks: [RowConverter]
    ) throws -> (consumed: Int, lines: Int)? {
        let parts = forks.count
        var regionEnd = end
        if !atEnd {
            guard let last = (start..<end).last(where: { base[$0] == CSVTokenizer.newline }) else { return nil }
            regionEnd = last + 1
        }
        let length = regionEnd - start
        guard length >= 1 << 12 else { return nil }
        var bounds = [start]
        for part in 1..<parts {
            var cut = start + length * part / parts
            while cut < regionEnd, base[cut - 1] != CSVTokenizer.newline { cut += 1 }
            bounds.append(max(cut, bounds[bounds.count - 1]))
        }
        bounds.append(regionEnd)
        var results = [Result<Int, Error>](repeating: .success(0), count: parts)
        // Each part looks for quotes in its own bytes (on its own core, bringing them into
        // its cache) and stops if any part found one: the block is then parsed sequentially.
        let quoted = AtomicFlag()
        for fork in forks { fork.shareCategories(from: converter) }
        results.withUnsafeMutableBufferPointer { results in
            Parallelism.run(parts: parts) { part in
                let fork = forks[part]
                let fields = CSVTokenizer.FieldList()
                var scratch: [UInt8] = []
                results[part] = Result {
                    var position = bounds[part], line = 1
                    let end = bounds[part + 1]
                    if memchr(base + position, Int32(CSVTokenizer.quote), end - position) != nil { quoted.set() }
                    guard !quoted.isSet else { return 0 }
                    while position < end {
                        let (plainEnd, records) = fork.appendPlainRecords(base, from: position, to: end, delimiter: tokenizer.delimiter)
                        (position, line) = (plainEnd, line + records)
                        guard position < end else { break }
                        // Anything but plain numbers (blank lines, missing values, exponents, spaces): one record the general way.
                        let (next, lines) = try tokenizer.parseRecords(base, from: position, to: end, atEnd: true, line: line,
                                                                       fields: fields, scratch: &scratch, oneRecord: true) { fields, line in
                            guard fields.count == columns else {
                                throw DatasetError(tokenizer.source, line: line, "\(fields.count) fields, header has \(columns)")
                            }
                            try fork.append(fields, line: line)
                        }
                        position = next
                        line += lines
                    }
                    return line - 1
                }
            }
        }
        if quoted.isSet {
            forks.forEach { $0.discardRows() }
            return nil
        }
        var lines = 0
        for (part, result) in results.enumerated() {
            switch result {
            case .success(let spanned):
                converter.absorb(forks[part])
                lines += spanned
            case .failure(var error as DatasetError):
                // Lines were counted from 1 within the part: make them absolute.
                let before = (start..<bounds[part]).reduce(0) { $0 + (base[$1] == CSVTokenizer.newline ? 1 : 0) }
                error.line = error.line.map { line + before + $0 - 1 }
                throw error
            case .failure(let error):
                throw error
            }
        }
        return (regionEnd, lines)
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

/// A flag any thread may raise and read.
private final class AtomicFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func set() { raised.store(true, ordering: .relaxed) }
    var isSet: Bool { raised.load(ordering: .relaxed) }
}
