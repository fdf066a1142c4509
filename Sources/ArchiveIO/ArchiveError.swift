import CArchive

/// An archive could not be written or read. The description names the archive, the
/// member where one applies, and what was wrong.
public struct ArchiveError: Error, Equatable, CustomStringConvertible, Sendable {
    public var archive: String
    public var member: String?
    public var message: String

    public init(_ archive: String, member: String? = nil, _ message: String) {
        self.archive = archive
        self.member = member
        self.message = message
    }

    public var description: String {
        if let member { return "\(archive): member '\(member)': \(message)" }
        return "\(archive): \(message)"
    }

    /// libarchive's message for the last error on a handle.
    static func libarchive(_ handle: OpaquePointer?, _ archive: String, member: String? = nil, _ action: String) -> ArchiveError {
        let detail = handle.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown error"
        return ArchiveError(archive, member: member, "\(action): \(detail)")
    }
}
