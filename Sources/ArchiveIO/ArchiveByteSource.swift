import Datasets
import Foundation

/// The bytes of one member of an archive (.tar, .tar.gz, .tar.zst, .tar.xz, .zip, numpy's .npz), or
/// of a single compressed file (.gz, .zst, .xz), decompressed as they are read, within
/// `DecompressionLimits`. gzip files are verified first (CRC-32 and length of every
/// member, which libarchive does not check); zstd and xz check themselves as they go.
public final class ArchiveByteSource: ByteSource {
    public let name: String
    public let expectedSize: Int?
    private let reader: TarReader
    private let member: String
    private let limits: DecompressionLimits
    private let compressedSize: Int
    private var produced = 0

    /// Opens `member` of the archive at `path`; with `member` nil, the archive's only
    /// regular file (or the content of a compressed single file).
    /// - Throws: `ArchiveError` when the archive cannot be read or fails its gzip check,
    ///   the member is missing (listing the members), `member` is nil and there are
    ///   several, or the member is larger than `limits` allow.
    public init(path: String, member: String?, limits: DecompressionLimits = DecompressionLimits()) throws {
        let single = !ArchiveByteSource.isArchive(path)
        let maximumBytes = limits.maximumBytes
        self.limits = limits
        compressedSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if GzipCheck.isGzip(path) { try GzipCheck.verify(path, compressedSize: compressedSize, limits: limits) }
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
                if let size, let excess = limits.excess(produced: size, compressed: compressedSize) {
                    throw ArchiveError(path, member: single ? nil : entry, excess)
                }
                return
            }
            seen.append(entry)
        }
        throw ArchiveError(path, "no member '\(wanted ?? "")'; it holds \(seen.prefix(10).joined(separator: ", "))")
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try reader.read(into: buffer, member: member)
        produced += count
        if let excess = limits.excess(produced: produced, compressed: compressedSize) { throw ArchiveError(name, excess) }
        return count
    }

    /// Whether a path names a multi-file archive (as opposed to one compressed file).
    public static func isArchive(_ path: String) -> Bool {
        let lower = path.lowercased()
        return [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".zip", ".npz"].contains { lower.hasSuffix($0) }
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
