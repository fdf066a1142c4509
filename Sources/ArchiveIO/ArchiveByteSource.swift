import Datasets

/// The bytes of one member of an archive (.tar, .tar.gz, .tar.zst, .tar.xz, .zip), or
/// of a single compressed file (.gz, .zst, .xz), decompressed as they are read.
public final class ArchiveByteSource: ByteSource {
    public let name: String
    public let expectedSize: Int?
    private let reader: TarReader
    private let member: String

    /// Opens `member` of the archive at `path`; with `member` nil, the archive's only
    /// regular file (or the content of a compressed single file).
    /// - Throws: `ArchiveError` when the archive cannot be read, the member is missing
    ///   (listing the members), or `member` is nil and there are several.
    public init(path: String, member: String?, maximumBytes: Int = DatasetArchive.defaultMaximumMemberBytes) throws {
        let single = !ArchiveByteSource.isArchive(path)
        var wanted = member
        if member == nil, !single {
            let names = try ArchiveByteSource.memberNames(path, maximumBytes: maximumBytes)
            guard names.count == 1 else {
                throw ArchiveError(path, "holds \(names.count) files (\(names.prefix(10).joined(separator: ", "))); name one as the member")
            }
            wanted = names[0]
        }
        let reader = try TarReader(path: path, maximumMemberBytes: maximumBytes, raw: single)
        var seen: [String] = []
        while let (entry, size) = try reader.nextMember() {
            if single || entry == wanted {
                self.reader = reader
                self.member = entry
                self.name = single ? path : "\(path):\(entry)"
                self.expectedSize = size
                return
            }
            seen.append(entry)
        }
        throw ArchiveError(path, "no member '\(wanted ?? "")'; it holds \(seen.prefix(10).joined(separator: ", "))")
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.read(into: buffer, member: member)
    }

    /// Whether a path names a multi-file archive (as opposed to one compressed file).
    public static func isArchive(_ path: String) -> Bool {
        let lower = path.lowercased()
        return [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".zip"].contains { lower.hasSuffix($0) }
    }

    /// Whether a path names a single compressed file.
    public static func isCompressedFile(_ path: String) -> Bool {
        let lower = path.lowercased()
        return !isArchive(path) && [".gz", ".zst", ".xz"].contains { lower.hasSuffix($0) }
    }

    /// The regular files of an archive, in archive order.
    public static func memberNames(_ path: String, maximumBytes: Int = DatasetArchive.defaultMaximumMemberBytes) throws -> [String] {
        let reader = try TarReader(path: path, maximumMemberBytes: maximumBytes)
        var names: [String] = []
        while let (name, _) = try reader.nextMember() { names.append(name) }
        return names
    }
}
