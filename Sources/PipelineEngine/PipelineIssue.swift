/// One problem in a pipeline file, at a JSON path (and its line:column when known).
public struct PipelineIssue: Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let path: String
    public let line: Int?
    public let column: Int?
    public let message: String

    /// Characters of a message kept; the rest (a hostile value quoted in it) is cut.
    public static let maximumMessageLength = 2_000

    public init(file: String, path: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
        self.message = message.count > Self.maximumMessageLength
            ? String(message.prefix(Self.maximumMessageLength)) + "… (\(message.count) characters in all)" : message
    }

    public var description: String {
        let place = line.map { "\(file):\($0):\(column ?? 1)" } ?? file
        return "\(place): \(path): \(message)"
    }
}

/// A pipeline file is invalid: every problem found, in file order.
public struct PipelineInvalid: Error, CustomStringConvertible {
    public let issues: [PipelineIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// The closest of `candidates` to `word` by edit distance, when close enough to be a likely typo.
func closest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    // The distance is at least the difference in length: candidates farther than the
    // cut-off are skipped unscored (a hostile 2-million-character key costs nothing).
    let length = word.count, cutoff = max(2, length / 3)
    let near = candidates.filter { abs($0.count - length) <= cutoff }
    let scored = near.map { ($0, distance(Array(word.lowercased()), Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= cutoff else { return nil }
    return best.0
}
