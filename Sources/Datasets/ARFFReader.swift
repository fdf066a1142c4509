/// Reads ARFF and KEEL `.dat` files: `@relation`, `@attribute NAME TYPE` lines
/// (`numeric`, `real`, `integer` — KEEL adds `[min, max]` — or a nominal `{a, b}`),
/// optional KEEL `@inputs`/`@outputs`, then `@data` rows, one per line. `%` starts a
/// comment. Values may be quoted with `'` or `"` (see `ARFFTokenizer`).
///
/// The label defaults to the last attribute with anomaly value `positive`, KEEL's
/// convention for the minority class.
public enum ARFFReader {
    /// Reads a whole ARFF/KEEL source.
    /// - Parameters:
    ///   - labelColumn: the label attribute; nil for the last one.
    ///   - positive: the label values meaning anomaly.
    /// - Throws: `DatasetError` naming the line: a malformed or unsupported attribute,
    ///   a missing `@data`, a ragged row, a value outside a nominal attribute's list.
    public static func read<Source: ByteSource>(
        _ source: inout Source, labelColumn: String? = nil, positive: [String] = ["positive"], positiveMayBeAbsent: Bool = false,
        missingValues: [String] = ["?"]
    ) throws -> Dataset {
        let name = source.name
        var names: [String] = []
        var kinds: [ColumnKind] = []
        var inData = false
        var converter: RowConverter?
        let tokenizer = ARFFTokenizer(source: name)
        var storage: [UInt8] = []
        try tokenizer.forEachLine(in: &source) { bytes, line in
            guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), bytes[first] != UInt8(ascii: "%") else { return }
            if let converter {
                guard bytes[first] != UInt8(ascii: "{") else {
                    throw DatasetError(name, line: line, "sparse ARFF rows ({index value, ...}) are not supported; write the data dense")
                }
                let fields = try tokenizer.values(of: bytes, line: line, storage: &storage)
                guard fields.count == names.count else {
                    throw DatasetError(name, line: line, "\(fields.count) values, \(names.count) attributes declared")
                }
                try fields.withUnsafeBufferPointer { try converter.append($0, line: line) }
                return
            }
            let text = String(decoding: bytes, as: UTF8.self).trimmingSpaces
            let lowered = text.lowercased()
            if lowered.hasPrefix("@attribute") {
                let (attribute, kind) = try parseAttribute(String(text.dropFirst("@attribute".count)), tokenizer: tokenizer, line: line)
                names.append(attribute)
                kinds.append(kind)
            } else if lowered.hasPrefix("@data") {
                guard !names.isEmpty else { throw DatasetError(name, line: line, "@data before any @attribute") }
                try CSVReader.checkHeader(names, source: name, line: line)
                let spec = LabelSpec(column: labelColumn ?? names[names.count - 1], positive: positive, mayBeAbsent: positiveMayBeAbsent)
                guard let index = names.firstIndex(of: spec.column) else {
                    throw DatasetError(name, line: line, "no label attribute '\(spec.column)'; the attributes are \(names.joined(separator: ", "))")
                }
                converter = RowConverter(source: name, names: names, kinds: kinds, label: spec, labelIndex: index,
                                         missing: missingValues)
                inData = true
            } else if lowered.hasPrefix("@relation") || lowered.hasPrefix("@inputs") || lowered.hasPrefix("@outputs")
                        || lowered.hasPrefix("@input") || lowered.hasPrefix("@output") {
                return
            } else {
                throw DatasetError(name, line: line, "expected @relation, @attribute, @inputs, @outputs or @data, got '\(text.prefix(40))'")
            }
        }
        guard inData, let converter else {
            throw DatasetError(name, names.isEmpty ? "empty file: expected @relation and @attribute lines" : "no @data section")
        }
        return try converter.dataset()
    }

    /// Parses the text after `@attribute`: a name (possibly quoted) and a type.
    static func parseAttribute(_ text: String, tokenizer: ARFFTokenizer, line: Int) throws -> (String, ColumnKind) {
        let source = tokenizer.source
        var rest = Substring(text.trimmingSpaces)
        let name: String
        if let quote = rest.first, quote == "'" || quote == "\"" {
            guard let close = rest.dropFirst().firstIndex(of: quote) else {
                throw DatasetError(source, line: line, "attribute name is not closed by \(quote)")
            }
            name = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
        } else {
            let end = rest.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "{" }) ?? rest.endIndex
            name = String(rest[..<end])
            rest = rest[end...]
        }
        let type = String(rest).trimmingSpaces
        guard !name.isEmpty, !type.isEmpty else { throw DatasetError(source, line: line, "expected '@attribute NAME TYPE'") }
        if type.hasPrefix("{") {
            guard type.hasSuffix("}") else { throw DatasetError(source, line: line, "nominal values of '\(name)' are not closed by }") }
            var storage: [UInt8] = []
            let list = Array(type.dropFirst().dropLast().utf8)
            let values = try list.withUnsafeBufferPointer { bytes in
                try tokenizer.values(of: bytes, line: line, storage: &storage).map {
                    String(decoding: UnsafeBufferPointer(start: $0.start, count: $0.count), as: UTF8.self)
                }
            }
            guard !values.contains("") else { throw DatasetError(source, line: line, "attribute '\(name)' has an empty nominal value") }
            return (name, .categorical(categories: values))
        }
        let keyword = type.prefix { $0.isLetter }.lowercased()
        switch keyword {
        case "real", "numeric": return (name, .numeric(integer: false))
        case "integer": return (name, .numeric(integer: true))
        case "string": return (name, .categorical(categories: []))
        default:
            throw DatasetError(source, line: line, "attribute '\(name)': type '\(type)' is not supported (numeric, real, integer, string or {nominal values})")
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
