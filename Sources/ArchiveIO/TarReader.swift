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

    /// The current member's bytes with their SHA-256 (hex). With a known size the bytes are
    /// read in place and hashed on another core while decompression goes on.
    func readHashedMember(_ name: String, size: Int?) throws -> (bytes: [UInt8], sha256: String) {
        guard let size, size > 0 else {
            let bytes = try readMember(name, size: size)
            return (bytes, DatasetArchive.sha256Hex(bytes))
        }
        let stream = HashedMemberStream(self, member: name, size: size)
        let bytes = try stream.bytes(size)
        return (bytes, try stream.finish())
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

/// The current member read into memory its caller provides, piece by piece, and hashed on
/// another core as the pieces arrive (the hash then costs almost no wall time).
final class HashedMemberStream {
    private let reader: TarReader
    let member: String
    /// Bytes the member's header gives.
    let size: Int
    /// Bytes read so far.
    private(set) var position = 0
    private let hasher = BackgroundHasher()

    init(_ reader: TarReader, member: String, size: Int) {
        self.reader = reader
        self.member = member
        self.size = size
    }

    /// Fills `buffer` with the member's next bytes. The buffer must stay alive and unchanged
    /// until `wait()` or `finish()`: the hasher reads it later.
    /// - Throws: `ArchiveError` when the member ends first or its data are corrupt.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<min(buffer.count, offset + (1 << 20))])
            let got = try reader.read(into: chunk, member: member)
            guard got > 0 else {
                throw ArchiveError(reader.path, member: member, "ends after \(position) of the \(size) bytes its header gives (truncated archive?)")
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
            offset += got
            position += got
        }
    }

    /// The member's next `count` bytes in a new array.
    func bytes(_ count: Int) throws -> [UInt8] {
        var failure: Error?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            defer { hasher.wait() }  // the hasher reads the buffer: done before the array owns it
            do { try fill(UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error }
            initialized = failure == nil ? count : 0
        }
        if let failure { throw failure }
        return bytes
    }

    /// Returns once every byte filled so far is hashed.
    func wait() { hasher.wait() }

    /// Checks that the member ends where its header says and returns its SHA-256 (hex).
    /// - Throws: `ArchiveError` when it holds more.
    func finish() throws -> String {
        var extra: UInt8 = 0
        if try withUnsafeMutableBytes(of: &extra, { try reader.read(into: $0, member: member) }) > 0 {
            hasher.wait()
            throw ArchiveError(reader.path, member: member, "holds more than the \(size) bytes its header gives")
        }
        return hasher.finish()
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
