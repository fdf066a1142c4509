import Foundation

/// A JSON value that keeps object keys in file order, for pipelines: validated with
/// exact JSON paths, hashed canonically, and printed back.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a.sorted { $0.key < $1.key }, b.sorted { $0.key < $1.key }).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// The value of a key of an object (the last one if repeated).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: Double? { if case .number(let n) = self { return n }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(key: String, value: JSONValue)]? { if case .object(let o) = self { return o }; return nil }
    /// The value as an integer when it is a whole number.
    public var integerValue: Int? {
        guard let n = numberValue, n == n.rounded(), abs(n) < 9e15 else { return nil }
        return Int(n)
    }

    /// The JSON type name used in messages: `a string`, `an integer`, ...
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: integerValue != nil ? "an integer" : "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Canonical JSON: keys sorted, no spaces, numbers in one fixed form (whole
    /// numbers without a fraction, others in Swift's shortest round-trip form).
    public var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            if let i = integerValue { return String(i) }
            return n.isFinite ? "\(n)" : "null"
        case .string(let s): return JSONValue.quoted(s)
        case .array(let values): return "[" + values.map(\.canonical).joined(separator: ",") + "]"
        case .object(let members):
            var latest: [String: JSONValue] = [:]
            for (key, value) in members { latest[key] = value }
            return "{" + latest.keys.sorted().map { JSONValue.quoted($0) + ":" + latest[$0]!.canonical }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Interprets command-line text as JSON when it parses, else as a string.
    public static func fromCommandLine(_ text: String) -> JSONValue {
        (try? JSONParser.parse(Array(text.utf8), source: "--set").value) ?? .string(text)
    }

    /// This value with `value` placed at a dotted path of object keys (made as needed).
    public func setting(_ path: [String], to value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var members = objectValue ?? []
        if let index = members.lastIndex(where: { $0.key == key }) {
            members[index].value = members[index].value.setting(Array(path.dropFirst()), to: value)
        } else {
            members.append((key, JSONValue.null.setting(Array(path.dropFirst()), to: value)))
        }
        return .object(members)
    }
}

/// A JSON syntax error with its line and column.
public struct JSONSyntaxError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let line: Int
    public let column: Int
    public let message: String
    public var description: String { "\(source):\(line):\(column): \(message)" }
}

/// A JSON parser that records where every value starts (JSON path → line:column).
///
/// Stricter than RFC 8259 where a pipeline file would otherwise be misread: a key given
/// twice in one object is an error (not "the last one wins"), and arrays and objects
/// nest at most ``maximumDepth`` levels (a deeper document is refused before it can
/// exhaust the stack).
public struct JSONParser {
    /// Levels of arrays and objects a document may nest; pipelines need fewer than ten.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private let source: String
    private var depth = 0
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private(set) var positions: [String: (line: Int, column: Int)] = [:]

    /// Parses a whole document.
    /// - Returns: the value and the position of every JSON path in it (`$.stages[2].params`).
    /// - Throws: `JSONSyntaxError` with the line and column of the first mistake.
    public static func parse(_ bytes: [UInt8], source: String) throws -> (value: JSONValue, positions: [String: (line: Int, column: Int)]) {
        var parser = JSONParser(bytes: bytes, source: source)
        if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipSpace()
        let value = try parser.parseValue(path: "$")
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the end of the JSON value") }
        return (value, parser.positions)
    }

    private init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    private func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(source: source, line: line, column: index - lineStart + 1, message: message)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func parseValue(path: String) throws -> JSONValue {
        positions[path] = (line, index - lineStart + 1)
        guard index < bytes.count else { throw error("unexpected end of file, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maximumDepth else {
                throw error("arrays and objects nest deeper than \(Self.maximumDepth) levels; a pipeline needs far fewer")
            }
            depth += 1
            defer { depth -= 1 }
            return bytes[index] == UInt8(ascii: "{") ? try parseObject(path: path) : try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            throw error("unexpected character '\(String(decoding: [bytes[index]], as: UTF8.self))', expected a value")
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw error("unexpected text, expected \(word)")
        }
        index += expected.count
        return value
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, (bytes[index] >= 0x30 && bytes[index] <= 0x39) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(bytes[index]) {
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            index = start
            throw error("'\(text)' is not a valid number")
        }
        return .number(value)
    }

    private mutating func parseString() throws -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ end: Int) {
            scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars)
        }
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                return String(scalars)
            }
            if c == 0x0A || c < 0x20 { throw error("unescaped control character in a string (a missing closing quote?)") }
            if c == UInt8(ascii: "\\") {
                flush(index)
                index += 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count, let code = UInt32(String(decoding: bytes[index + 1...index + 4], as: UTF8.self), radix: 16) else {
                        throw error("\\u must be followed by four hex digits")
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    index += 4
                default: throw error("unknown escape '\\\(String(decoding: [bytes[index]], as: UTF8.self))'")
                }
                index += 1
                run = index
                continue
            }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func parseArray(path: String) throws -> JSONValue {
        index += 1
        var values: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            skipSpace()
            values.append(try parseValue(path: "\(path)[\(values.count)]"))
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of file, expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(values) }
            throw error("expected ',' or ']' after an array element")
        }
    }

    private mutating func parseObject(path: String) throws -> JSONValue {
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        var seen: Set<String> = []
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(index < bytes.count && bytes[index] == UInt8(ascii: "}") ? "trailing comma before '}'" : "expected a quoted key")
            }
            let keyStart = (line: line, column: index - lineStart + 1)
            let key = try parseString()
            guard seen.insert(key).inserted else {
                let first = positions[JSONPath.appending(key, to: path)].map { " (first at line \($0.line), column \($0.column))" } ?? ""
                throw JSONSyntaxError(source: source, line: keyStart.line, column: keyStart.column,
                                      message: "the key \"\(JSONPath.shortened(key))\" appears twice in \(path)\(first); give it once")
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(JSONPath.shortened(key))\"") }
            index += 1
            skipSpace()
            members.append((key, try parseValue(path: JSONPath.appending(key, to: path))))
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of file, expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw error("expected ',' or '}' after the value of \"\(JSONPath.shortened(key))\"")
        }
    }
}

/// JSON paths in messages: `$.stages[2].params.latent_dim`.
public enum JSONPath {
    /// Characters of a key shown in a message; a longer key is cut, with its length.
    public static let shownKeyLength = 64

    public static func appending(_ key: String, to path: String) -> String {
        let plain = !key.isEmpty && key.utf8.count <= shownKeyLength
            && key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }
        return plain ? "\(path).\(key)" : "\(path)[\(JSONValue.quoted(shortened(key)))]"
    }

    /// The key as shown in a message: cut to `shownKeyLength` characters, with its length, when longer.
    public static func shortened(_ key: String) -> String {
        guard key.unicodeScalars.count > shownKeyLength else { return key }
        var head = String.UnicodeScalarView()
        head.append(contentsOf: key.unicodeScalars.prefix(shownKeyLength))
        return String(head) + "… (\(key.unicodeScalars.count) characters)"
    }
}
