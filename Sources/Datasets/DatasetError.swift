/// Input data could not be read or used. The description names the file (and the
/// archive member), the line where one applies, and what was expected.
public struct DatasetError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file, or `archive.tar.zst:member.csv` for a member of an archive.
    public var source: String
    /// 1-based line (text formats) or record number, when the problem has a place.
    public var line: Int?
    public var message: String

    public init(_ source: String, line: Int? = nil, _ message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}
