/// Splits RFC 4180 text into records as bytes arrive: quoted fields (with embedded
/// delimiters, doubled quotes and line breaks), LF or CRLF line ends, a UTF-8 BOM.
///
/// Fields are handed out as pointers into the tokenizer's buffer (or, for quoted
/// fields with doubled quotes, into a scratch copy), valid only during the callback.
struct CSVTokenizer {
    /// One field of the current record.
    struct Field {
        let start: UnsafePointer<UInt8>
        let count: Int
        /// Whether the field was quoted (a quoted empty field is a value, not a missing one).
        let quoted: Bool
    }

    let delimiter: UInt8
    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let chunkSize = 1 << 20

    init(delimiter: UInt8) { self.delimiter = delimiter }

    /// Reads the whole source, calling `record(fields, line)` for each record with
    /// the 1-based line on which it starts. Blank lines are skipped.
    /// - Throws: `DatasetError` for an unterminated quote or text after a closing
    ///   quote, naming the line; errors thrown by `record`.
    func forEachRecord<Source: ByteSource>(
        in source: inout Source, _ record: ([Field], Int) throws -> Void
    ) throws {
        var buffer = [UInt8](repeating: 0, count: CSVTokenizer.chunkSize)
        var filled = 0, consumed = 0
        var line = 1
        var atStart = true
        var fields: [Field] = []
        var scratch: [UInt8] = []
        var finished = false
        while !finished {
            // Move the unparsed tail to the front and fill the rest.
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: filled - consumed)
                }
                filled -= consumed
                consumed = 0
            }
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let count = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            filled += count
            let atEnd = count == 0
            if atEnd { finished = true }
            if atStart, filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { consumed = 3 }
            if atStart, filled >= 3 || atEnd { atStart = false }
            try buffer.withUnsafeBufferPointer { bytes in
                let base = bytes.baseAddress!
                while consumed < filled {
                    guard let (next, lines) = try parseRecord(base, from: consumed, to: filled, atEnd: atEnd,
                                                              line: line, into: &fields, scratch: &scratch,
                                                              source: source.name) else { break }
                    let isBlank = fields.count == 1 && fields[0].count == 0 && !fields[0].quoted
                    if !isBlank { try record(fields, line) }
                    line += lines
                    consumed = next
                }
            }
        }
    }

    /// Parses one record starting at `start`; nil when the buffer ends inside it and more may come.
    /// - Returns: the offset after the record and the number of line breaks it spans.
    private func parseRecord(
        _ base: UnsafePointer<UInt8>, from start: Int, to end: Int, atEnd: Bool, line: Int,
        into fields: inout [Field], scratch: inout [UInt8], source: String
    ) throws -> (Int, Int)? {
        fields.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        if scratch.capacity < end - start { scratch.reserveCapacity(end - start) }
        var p = start
        var lines = 0
        while true {
            if p < end, base[p] == CSVTokenizer.quote {
                // Quoted field: find the closing quote; "" is an escaped quote.
                var q = p + 1
                var escaped = false
                var closed = false
                while q < end {
                    if base[q] == CSVTokenizer.quote {
                        if q + 1 < end, base[q + 1] == CSVTokenizer.quote {
                            escaped = true
                            q += 2
                            continue
                        }
                        if q + 1 == end, !atEnd { return nil }  // cannot tell "" from a closing quote yet
                        closed = true
                        break
                    }
                    if base[q] == CSVTokenizer.newline { lines += 1 }
                    q += 1
                }
                guard closed else {
                    if atEnd { throw DatasetError(source, line: line, "a quoted field is not closed before the end of the file") }
                    return nil
                }
                if escaped {
                    let offset = scratch.count
                    var k = p + 1
                    while k < q {
                        scratch.append(base[k])
                        k += base[k] == CSVTokenizer.quote ? 2 : 1
                    }
                    // scratch was reserved for the whole record, so its storage does not move.
                    let pointer = scratch.withUnsafeBufferPointer { $0.baseAddress! } + offset
                    fields.append(Field(start: pointer, count: scratch.count - offset, quoted: true))
                } else {
                    fields.append(Field(start: base + p + 1, count: q - p - 1, quoted: true))
                }
                p = q + 1
                if p == end {
                    if !atEnd { return nil }
                    return (p, lines)
                }
                let c = base[p]
                if c == delimiter { p += 1; continue }
                if c == CSVTokenizer.newline { return (p + 1, lines + 1) }
                if c == CSVTokenizer.carriageReturn {
                    if p + 1 < end, base[p + 1] == CSVTokenizer.newline { return (p + 2, lines + 1) }
                    if p + 1 == end, !atEnd { return nil }
                }
                throw DatasetError(source, line: line + lines, "unexpected text after a closing quote")
            }
            var q = p
            while q < end, base[q] != delimiter, base[q] != CSVTokenizer.newline { q += 1 }
            if q == end, !atEnd { return nil }
            var fieldEnd = q
            if fieldEnd > p, base[fieldEnd - 1] == CSVTokenizer.carriageReturn, q == end || base[q] == CSVTokenizer.newline {
                fieldEnd -= 1
            }
            fields.append(Field(start: base + p, count: fieldEnd - p, quoted: false))
            if q == end { return (q, lines) }
            if base[q] == delimiter {
                p = q + 1
                continue
            }
            return (q + 1, lines + 1)
        }
    }
}
