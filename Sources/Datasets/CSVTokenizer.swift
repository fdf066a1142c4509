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

    /// Reusable storage for the fields of one record (no per-record allocation).
    final class FieldList {
        private(set) var base: UnsafeMutablePointer<Field>
        private var capacity = 64
        private(set) var count = 0

        init() { base = .allocate(capacity: capacity) }
        deinit { base.deallocate() }

        @inline(__always) func reset() { count = 0 }

        @inline(__always) func append(_ field: Field) {
            if count == capacity {
                let grown = UnsafeMutablePointer<Field>.allocate(capacity: capacity * 2)
                grown.moveInitialize(from: base, count: count)
                base.deallocate()
                base = grown
                capacity *= 2
            }
            (base + count).initialize(to: field)
            count += 1
        }

        var fields: UnsafeBufferPointer<Field> { UnsafeBufferPointer(start: base, count: count) }
    }

    /// A handler for a block of buffered bytes: parses what it can and returns the
    /// offset after the last complete record and the line breaks it consumed.
    typealias BlockHandler = (_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ atEnd: Bool, _ line: Int) throws -> (consumed: Int, lines: Int)

    let delimiter: UInt8
    let source: String
    static let quote = UInt8(ascii: "\"")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    /// Bytes handed to a block handler at a time (more for a longer record).
    let chunkSize: Int

    init(delimiter: UInt8, source: String, chunkSize: Int = 1 << 22) {
        self.delimiter = delimiter
        self.source = source
        self.chunkSize = max(chunkSize, 1 << 10)
    }

    /// Reads the whole source, calling `record(fields, line)` for each record with the
    /// 1-based line on which it starts. Blank lines are skipped.
    /// - Throws: `DatasetError` for an unterminated quote or text after a closing
    ///   quote, naming the line; errors thrown by `record`.
    func forEachRecord<Source: ByteSource>(
        in source: inout Source, _ record: (UnsafeBufferPointer<Field>, Int) throws -> Void
    ) throws {
        let fields = FieldList()
        var scratch: [UInt8] = []
        try stream(&source) { base, start, end, atEnd, line in
            try parseRecords(base, from: start, to: end, atEnd: atEnd, line: line, fields: fields, scratch: &scratch, record)
        }
    }

    /// Fills a buffer from the source and hands it to `block` until the source ends;
    /// the handler may switch strategy between blocks (e.g. parse in parallel).
    func stream<Source: ByteSource>(_ source: inout Source, block: BlockHandler) throws {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0, consumed = 0
        var line = 1
        var atStart = true
        var finished = false
        while !finished {
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
            if atStart, filled >= 3 || atEnd {
                if filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { consumed = 3 }
                atStart = false
            }
            if atStart { continue }
            let (next, lines) = try buffer.withUnsafeBufferPointer { bytes in
                try block(bytes.baseAddress!, consumed, filled, atEnd, line)
            }
            consumed = next
            line += lines
        }
    }

    /// Hands a memory-mapped file to `block` in windows, without copying; the pages
    /// behind the cursor are released as it moves, so resident memory stays small.
    func stream(mapped file: MappedFile, block: BlockHandler) throws {
        let base = file.base
        var consumed = file.count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
        var line = 1
        var window = chunkSize
        var released = 0
        while consumed < file.count || file.count == 0 {
            let end = min(file.count, consumed + window)
            let atEnd = end == file.count
            let (next, lines) = try block(base, consumed, end, atEnd, line)
            if atEnd { break }
            // A record longer than the window: widen it until the record fits.
            window = next == consumed ? window * 2 : chunkSize
            consumed = next
            line += lines
            if consumed - released >= 1 << 24 {
                file.release(upTo: consumed)
                released = consumed
            }
        }
    }

    /// Parses every complete record in `[from, to)`; a record cut off by `to` is left
    /// for the next block unless `atEnd`.
    func parseRecords(
        _ base: UnsafePointer<UInt8>, from: Int, to end: Int, atEnd: Bool, line: Int,
        fields: FieldList, scratch: inout [UInt8], oneRecord: Bool = false,
        _ record: (UnsafeBufferPointer<Field>, Int) throws -> Void
    ) throws -> (consumed: Int, lines: Int) {
        var position = from, lines = 0
        while position < end, !oneRecord || position == from {
            guard let (next, spanned) = try parseRecord(base, from: position, to: end, atEnd: atEnd, line: line + lines,
                                                        into: fields, scratch: &scratch) else { break }
            let list = fields.fields
            let isBlank = list.count == 1 && list[0].count == 0 && !list[0].quoted
            if !isBlank { try record(list, line + lines) }
            lines += spanned
            position = next
        }
        return (position, lines)
    }

    /// Parses one record starting at `start`; nil when the buffer ends inside it and more may come.
    /// - Returns: the offset after the record and the number of line breaks it spans.
    @inline(__always)
    private func parseRecord(
        _ base: UnsafePointer<UInt8>, from start: Int, to end: Int, atEnd: Bool, line: Int,
        into fields: FieldList, scratch: inout [UInt8]
    ) throws -> (Int, Int)? {
        fields.reset()
        if !scratch.isEmpty { scratch.removeAll(keepingCapacity: true) }
        var p = start
        var lines = 0
        let delimiter = self.delimiter
        while true {
            if p < end, base[p] == CSVTokenizer.quote {
                guard let (field, next, spanned) = try parseQuotedField(base, at: p, to: end, atEnd: atEnd,
                                                                        line: line + lines, scratch: &scratch) else { return nil }
                fields.append(field)
                lines += spanned
                p = next
                if p == end { return atEnd ? (p, lines) : nil }
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
            while q < end {
                let c = base[q]
                if c == delimiter || c == CSVTokenizer.newline { break }
                q += 1
            }
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

    /// Parses a quoted field at `p` (the rare, slow path): finds the closing quote,
    /// undoubling `""` into `scratch` when needed.
    /// - Returns: the field, the offset after its closing quote and the line breaks inside it;
    ///   nil when the buffer ends before the field does.
    private func parseQuotedField(
        _ base: UnsafePointer<UInt8>, at p: Int, to end: Int, atEnd: Bool, line: Int, scratch: inout [UInt8]
    ) throws -> (Field, Int, Int)? {
        var q = p + 1
        var escaped = false
        var lines = 0
        while q < end {
            if base[q] == CSVTokenizer.quote {
                if q + 1 < end, base[q + 1] == CSVTokenizer.quote {
                    escaped = true
                    q += 2
                    continue
                }
                if q + 1 == end, !atEnd { return nil }  // cannot tell "" from a closing quote yet
                break
            }
            if base[q] == CSVTokenizer.newline { lines += 1 }
            q += 1
        }
        guard q < end else {
            if atEnd { throw DatasetError(source, line: line, "a quoted field is not closed before the end of the file") }
            return nil
        }
        guard escaped else { return (Field(start: base + p + 1, count: q - p - 1, quoted: true), q + 1, lines) }
        // Copies of this record's fields all come from [p, end): reserving that much at the
        // record's first copy keeps earlier fields' pointers valid.
        if scratch.isEmpty, scratch.capacity < end - p { scratch.reserveCapacity(end - p) }
        let offset = scratch.count
        var k = p + 1
        while k < q {
            scratch.append(base[k])
            k += base[k] == CSVTokenizer.quote ? 2 : 1
        }
        let pointer = scratch.withUnsafeBufferPointer { $0.baseAddress! } + offset
        return (Field(start: pointer, count: scratch.count - offset, quoted: true), q + 1, lines)
    }
}
