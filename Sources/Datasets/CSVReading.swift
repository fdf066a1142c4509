import Foundation

/// One `CSVReader.read` in progress: the header, the sample that decides the columns'
/// types, then the converter that fills the matrix. The tokenizer hands it blocks of
/// text (`block`); records before the converter exists go one at a time through
/// `handle`, the rest of each block to the serial or the parallel parser.
final class CSVReading {
    let tokenizer: CSVTokenizer
    private let name: String
    private let expectedSize: Int?
    private let label: LabelSpec?
    private let options: CSVOptions
    private var header: [String]?
    private var labelIndex: Int?
    private var headerDone = false
    private var sample: InferenceSample?
    private var converter: RowConverter?
    /// Room for the features, reserved once the header is read, until the converter adopts it.
    private var reserved: [Float] = []
    private let fields = CSVTokenizer.FieldList()
    private var scratch: [UInt8] = []
    /// The converter's copies for the parallel parser, made once and reused by every block.
    private var forks: [RowConverter] = []

    init(source: String, expectedSize: Int?, label: LabelSpec?, options: CSVOptions, delimiter: UInt8) {
        name = source
        self.expectedSize = expectedSize
        self.label = label
        self.options = options
        tokenizer = CSVTokenizer(delimiter: delimiter, source: source, chunkSize: options.blockBytes)
    }

    /// Parses a block of text: returns how much it consumed and the lines in it.
    func block(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ atEnd: Bool, _ line: Int) throws -> (consumed: Int, lines: Int) {
        // The header and the sample that decides the columns' types, a record at a time:
        // the rest of the block can then go to the parallel parser.
        var position = start, lines = 0
        while converter == nil, position < end {
            if let header, !headerDone {
                headerDone = true
                let width = header.count - (labelIndex == nil ? 0 : 1)
                if let expectedSize { reserved = CSVReader.reserveFeatures(width: width, base, position, end, expectedSize: expectedSize) }
                if sample == nil, let (made, next, rows) = CSVReader.convertPlainSample(base, position, end, atEnd, names: header, label: label,
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
            if forks.isEmpty { forks = (0..<options.threads * CSVReader.piecesPerThread).map { _ in converter.fork() } }
            if let (next, spanned) = try CSVReader.parseInParallel(tokenizer, base, position, end, atEnd, line + lines, converter, columns, forks: forks) {
                return (next, lines + spanned)
            }
        }
        let (next, spanned) = try tokenizer.parseRecords(base, from: position, to: end, atEnd: atEnd, line: line + lines, fields: fields,
                                                         scratch: &scratch, handle)
        return (next, lines + spanned)
    }

    /// The dataset, once every block is parsed.
    func finish() throws -> Dataset {
        guard header != nil else { throw DatasetError(name, "empty file: expected a header row") }
        if converter == nil { try startConverting() }
        guard let converter else { throw DatasetError(name, "no data rows") }
        return try converter.dataset()
    }

    /// One record: the header, a sample row, or (once the types are known) a converted row.
    private func handle(_ fields: UnsafeBufferPointer<CSVTokenizer.Field>, _ line: Int) throws {
        if header == nil {
            try readHeader(fields, line)
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

    private func readHeader(_ fields: UnsafeBufferPointer<CSVTokenizer.Field>, _ line: Int) throws {
        let names = options.hasHeader
            ? fields.map { String(decoding: UnsafeBufferPointer(start: $0.start, count: $0.count), as: UTF8.self).trimmingSpaces }
            : (0..<fields.count).map { "c\($0)" }
        try CSVReader.checkHeader(names, source: name, line: line)
        if let label {
            guard let index = names.firstIndex(of: label.column) else {
                throw DatasetError(name, line: line, "no label column '\(label.column)'; the columns are \(names.joined(separator: ", "))")
            }
            labelIndex = index
        }
        header = names
    }

    /// Decides the columns' types from the sample and converts it.
    private func startConverting() throws {
        guard let header, let sample else { return }
        let kinds = sample.kinds(names: header, declared: options.columnTypes, missing: options.missingValues)
        let made = RowConverter(source: name, names: header, kinds: kinds, label: label, labelIndex: labelIndex,
                                missing: options.missingValues)
        made.adopt(takeReserved())
        try sample.replay(into: made)
        converter = made
    }

    private func takeReserved() -> [Float] {
        defer { reserved = [] }  // the converter's copy is then the only one: appending does not copy it
        return reserved
    }
}
