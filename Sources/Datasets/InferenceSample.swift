/// The first rows of a CSV file, kept as raw bytes until the column types are decided.
final class InferenceSample {
    /// Starts with one unused byte so that its storage always has an address.
    private var bytes: [UInt8] = [0]
    private var spans: [(offset: Int, count: Int, quoted: Bool)] = []
    private var lines: [Int] = []
    private let width: Int

    init(width: Int) { self.width = width }

    var rowCount: Int { lines.count }

    /// Keeps a copy of one record's fields.
    func append(_ fields: UnsafeBufferPointer<CSVTokenizer.Field>, line: Int) {
        for field in fields {
            spans.append((bytes.count, field.count, field.quoted))
            bytes.append(contentsOf: UnsafeBufferPointer(start: field.start, count: field.count))
        }
        lines.append(line)
    }

    /// The kind of every column: declared, else numeric when every present sampled
    /// value parses as a number (integer when all are whole), else categorical.
    func kinds(names: [String], declared: [String: DeclaredType], missing: [String]) -> [ColumnKind] {
        let missingBytes = missing.map { Array($0.utf8) }
        return bytes.withUnsafeBufferPointer { buffer in
            names.enumerated().map { j, name in
                if let type = declared[name] { return Self.kind(declared: type) }
                var integer = true
                for row in 0..<rowCount {
                    let span = spans[row * width + j]
                    var start = span.offset, count = span.count
                    while count > 0, buffer[start] == 0x20 || buffer[start] == 0x09 { start += 1; count -= 1 }
                    while count > 0, buffer[start + count - 1] == 0x20 || buffer[start + count - 1] == 0x09 { count -= 1 }
                    if !span.quoted, missingBytes.firstIndex(matching: buffer.baseAddress! + start, count: count) != nil { continue }
                    guard count > 0, let value = parseFloat(buffer.baseAddress! + start, count), !value.isNaN else {
                        return .categorical(categories: [])
                    }
                    if value != value.rounded() { integer = false }
                }
                return .numeric(integer: integer)
            }
        }
    }

    /// The kind of a column whose type is declared.
    static func kind(declared type: DeclaredType) -> ColumnKind {
        switch type {
        case .categorical: return .categorical(categories: [])
        case .numeric: return .numeric(integer: false)
        case .integer: return .numeric(integer: true)
        }
    }

    /// Feeds every sampled row to the converter, in order.
    func replay(into converter: RowConverter) throws {
        let fields = UnsafeMutablePointer<CSVTokenizer.Field>.allocate(capacity: max(width, 1))
        defer { fields.deallocate() }
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for (row, line) in lines.enumerated() {
                for j in 0..<width {
                    let span = spans[row * width + j]
                    (fields + j).initialize(to: CSVTokenizer.Field(start: base + span.offset, count: span.count, quoted: span.quoted))
                }
                try converter.append(UnsafeBufferPointer(start: fields, count: width), line: line)
            }
        }
    }
}
