import CArchive
import Crypto
import Foundation

/// Reads the members of an archive (tar, compressed or not, or zip), refusing
/// anything unsafe: absolute paths, `..` components, links and other non-regular
/// entries, and members larger than a bound (checked while decompressing, so a
/// compression bomb stops at the bound instead of filling memory).
final class TarReader {
    private let handle: OpaquePointer
    let path: String
    let maximumMemberBytes: Int

    /// Opens an archive for reading.
    /// - Parameter raw: also accept a single compressed file (`.gz`, `.zst`, `.xz`) as one member named `data`.
    /// - Throws: `ArchiveError` when the file is missing or not a readable archive.
    init(path: String, maximumMemberBytes: Int, raw: Bool = false) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ArchiveError(path, "no such file") }
        guard let handle = archive_read_new() else { throw ArchiveError(path, "cannot create an archive reader") }
        self.handle = handle
        self.path = path
        self.maximumMemberBytes = maximumMemberBytes
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_zip(handle)
        if raw { archive_read_support_format_raw(handle) }
        guard archive_read_open_filename(handle, path, 1 << 20) == ARCHIVE_OK else {
            throw ArchiveError.libarchive(handle, path, "cannot open as an archive")  // deinit frees the handle
        }
    }

    deinit { archive_read_free(handle) }

    /// Moves to the next member; nil at the end.
    /// - Throws: `ArchiveError` naming an unsafe member or a corrupt header.
    func nextMember() throws -> (name: String, size: Int?)? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry else { throw ArchiveError.libarchive(handle, path, "reading the next member (corrupt or truncated archive?)") }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        if archive_entry_hardlink(entry) != nil || archive_entry_symlink(entry) != nil {
            throw ArchiveError(path, member: name, "links are not allowed in a dataset archive")
        }
        guard archive_entry_filetype(entry) == archive_regular_file_type else {
            throw ArchiveError(path, member: name, "only regular files are allowed (this is a folder, link or device)")
        }
        guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw ArchiveError(path, member: name, "absolute paths and '..' are not allowed")
        }
        let size = archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : nil
        if let size, size > maximumMemberBytes {
            throw ArchiveError(path, member: name, "is \(size) bytes, more than the \(maximumMemberBytes)-byte bound")
        }
        return (name, size)
    }

    /// Reads up to `buffer.count` bytes of the current member; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer, member: String) throws -> Int {
        let count = archive_read_data(handle, buffer.baseAddress, buffer.count)
        guard count >= 0 else { throw ArchiveError.libarchive(handle, path, member: member, "reading data (corrupt or truncated?)") }
        return count
    }

    /// Reads the whole current member, refusing more than the bound.
    /// A member's bytes with their SHA-256 (hex). With a known size the bytes are read in
    /// place and hashed on another thread while decompression goes on; the hash then
    /// costs almost no wall time.
    func readHashedMember(_ name: String, size: Int?) throws -> (bytes: [UInt8], sha256: String) {
        guard let size, size > 0 else {
            let bytes = try readMember(name, size: size)
            return (bytes, DatasetArchive.sha256Hex(bytes))
        }
        let hasher = BackgroundHasher()
        var filled = 0
        var failure: Error?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            defer { hasher.wait() }  // the hasher reads the buffer: let it finish before the buffer is handed over
            do {
                while filled < size {
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled..<min(size, filled + (1 << 20))])
                    let got = try read(into: chunk, member: name)
                    guard got > 0 else { break }
                    hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
                    filled += got
                }
                // A member longer than its header says is corrupt.
                var extra: UInt8 = 0
                if try withUnsafeMutableBytes(of: &extra, { try read(into: $0, member: name) }) > 0 {
                    throw ArchiveError(path, member: name, "holds more than the \(size) bytes its header gives")
                }
            } catch {
                failure = error
            }
            count = filled
        }
        if let failure { throw failure }
        return (bytes, hasher.finish())
    }

    func readMember(_ name: String, size: Int?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let size { bytes.reserveCapacity(size) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try read(into: $0, member: name) }
            if count == 0 { return bytes }
            guard bytes.count + count <= maximumMemberBytes else {
                throw ArchiveError(path, member: name, "decompresses past the \(maximumMemberBytes)-byte bound")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}

/// SHA-256 of chunks handed over one by one, computed on a serial background queue. The
/// caller keeps each chunk's memory alive and unchanged until `wait` or `finish`.
private final class BackgroundHasher: @unchecked Sendable {
    /// A chunk's address, passed to the queue (the caller guarantees its lifetime).
    private struct Chunk: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }

    private let queue = DispatchQueue(label: "anomsynth.archive.sha256")
    private var hasher = SHA256()  // touched only on `queue`

    func update(_ bytes: UnsafeRawBufferPointer) {
        let chunk = Chunk(bytes: bytes)
        queue.async { self.hasher.update(bufferPointer: chunk.bytes) }
    }

    /// Returns once every chunk handed over so far is hashed.
    func wait() { queue.sync {} }

    /// The hex digest of everything handed over.
    func finish() -> String {
        queue.sync { hasher.finalize() }.map { String(format: "%02x", $0) }.joined()
    }
}
