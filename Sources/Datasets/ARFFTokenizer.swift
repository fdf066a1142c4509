/// Splits ARFF lines into values: separated by commas, with spaces around them ignored,
/// quoted with `'` or `"` (a quoted value may hold commas and spaces; `\'`, `\"`, `\\`,
/// `\n`, `\t` and `\r` are escapes inside quotes), as Weka writes them. One record per line.
struct ARFFTokenizer {
    let source: String

    /// Calls `body(line, number)` for every line of `source`, without its line break.
    func forEachLine<Source: ByteSource>(in input: inout Source, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        try CSVTokenizer(delimiter: CSVTokenizer.newline, source: source).stream(&input) { base, start, end, atEnd, line in
            var position = start, lines = 0
            while position < end {
                var stop = position
                while stop < end, base[stop] != CSVTokenizer.newline { stop += 1 }
                if stop == end, !atEnd { break }
                var length = stop - position
                if length > 0, base[position + length - 1] == CSVTokenizer.carriageReturn { length -= 1 }
                try body(UnsafeBufferPointer(start: base + position, count: length), line + lines)
                lines += 1
                position = min(end, stop + 1)
            }
            return (position, lines)
        }
    }

    /// The values of one line, unquoted and unescaped, into `storage` (cleared first); the
    /// fields point into it and stay valid until its next use.
    /// - Throws: `DatasetError` naming the line: an unclosed quote, text after a closing quote.
    func values(of text: UnsafeBufferPointer<UInt8>, line: Int, storage: inout [UInt8]) throws -> [CSVTokenizer.Field] {
        storage.removeAll(keepingCapacity: true)
        storage.reserveCapacity(text.count + 1)
        var spans: [(offset: Int, count: Int, quoted: Bool)] = []
        var p = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while true {
            while p < text.count, isSpace(text[p]) { p += 1 }
            let offset = storage.count
            if p < text.count, text[p] == UInt8(ascii: "'") || text[p] == CSVTokenizer.quote {
                let quote = text[p]
                p += 1
                var closed = false
                while p < text.count {
                    let byte = text[p]
                    if byte == quote { closed = true; p += 1; break }
                    if byte == UInt8(ascii: "\\"), p + 1 < text.count {
                        let escaped = text[p + 1]
                        switch escaped {
                        case UInt8(ascii: "n"): storage.append(CSVTokenizer.newline)
                        case UInt8(ascii: "t"): storage.append(0x09)
                        case UInt8(ascii: "r"): storage.append(CSVTokenizer.carriageReturn)
                        default: storage.append(escaped)
                        }
                        p += 2
                        continue
                    }
                    storage.append(byte)
                    p += 1
                }
                guard closed else { throw DatasetError(source, line: line, "a value quoted with \(Character(Unicode.Scalar(quote))) is not closed on its line") }
                spans.append((offset, storage.count - offset, true))
                while p < text.count, isSpace(text[p]) { p += 1 }
                guard p == text.count || text[p] == UInt8(ascii: ",") else {
                    throw DatasetError(source, line: line, "unexpected text after a closing quote")
                }
            } else {
                var stop = p
                while stop < text.count, text[stop] != UInt8(ascii: ",") { stop += 1 }
                var last = stop
                while last > p, isSpace(text[last - 1]) { last -= 1 }
                storage.append(contentsOf: UnsafeBufferPointer(rebasing: text[p..<last]))
                spans.append((offset, last - p, false))
                p = stop
            }
            if p >= text.count { break }
            p += 1  // the comma
        }
        return storage.withUnsafeBufferPointer { bytes in
            spans.map { CSVTokenizer.Field(start: bytes.baseAddress! + $0.offset, count: $0.count, quoted: $0.quoted) }
        }
    }
}
