import Foundation
import Synchronization
import TensorCore

/// Blocks of whole lines parsed on several cores at once.
extension CSVReader {
    /// Pieces each core parses of a block (`CSVOptions.blockBytes`), at most.
    static let piecesPerThread = 8

    /// Parses the complete lines of a block in pieces at once, each into one of `forks`
    /// (empty forks of the converter, given its categories), merged in order. Only for
    /// blocks without quotes (a line break then always ends a record).
    /// - Returns: nil when the block does not qualify; else the consumed offset and lines.
    static func parseInParallel(
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

/// A flag any thread may raise and read.
private final class AtomicFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func set() { raised.store(true, ordering: .relaxed) }
    var isSet: Bool { raised.load(ordering: .relaxed) }
}
