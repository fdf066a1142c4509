#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// The first rows of a CSV file: room for the matrix, and rows read without a sample.
extension CSVReader {
    /// An empty array with room for the features of the rows `expectedSize` bytes hold
    /// (guessed from the line breaks in the next MiB of text, with 2% to spare), its pages
    /// mapped on another thread while reading goes on. Empty for small files.
    static func reserveFeatures(width: Int, _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, expectedSize: Int) -> [Float] {
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
    static func convertPlainSample(
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
    static func firstRowKinds(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, names: [String], delimiter: UInt8,
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
                      missing.firstIndex(matching: base + p, count: count) == nil
                else { return nil }
                let number = parseFloat(base + p, count).map { !$0.isNaN } ?? false
                kinds.append(number ? .numeric(integer: true) : .categorical(categories: []))
            }
            p = q + 1
        }
        return kinds
    }
}
