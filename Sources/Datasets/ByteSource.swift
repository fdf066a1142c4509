import Foundation

/// A stream of bytes read in chunks: a plain file, a member of an archive, a
/// decompressed file. Readers parse as the bytes arrive, so memory stays near the
/// size of what they build, not of the text.
public protocol ByteSource {
    /// The name used in error messages, e.g. `data/kdd.csv` or `kdd.tar.zst:kdd.csv`.
    var name: String { get }
    /// The total size when known in advance (used to reserve memory), else nil.
    var expectedSize: Int? { get }
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 at the end.
    /// - Throws: `DatasetError` on a read failure.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Reads everything that is left, refusing more than `limit` bytes.
    public mutating func readAll(limit: Int = 1 << 34) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let expectedSize { bytes.reserveCapacity(min(expectedSize, limit)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else { throw DatasetError(name, "larger than the \(limit)-byte limit") }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}

/// A plain file read with `read(2)`.
public final class FileByteSource: ByteSource {
    public let name: String
    public let expectedSize: Int?
    let descriptor: Int32

    /// Opens a file for reading.
    /// - Throws: `DatasetError` when it does not exist, is a folder or cannot be opened.
    public init(path: String) throws {
        name = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(path, "no such file")
        }
        guard !isDirectory.boolValue else { throw DatasetError(path, "is a folder, expected a file") }
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DatasetError(path, "cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        expectedSize = fstat(descriptor, &info) == 0 ? Int(info.st_size) : nil
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw DatasetError(name, "read failed: \(String(cString: strerror(errno)))") }
        }
    }
}

/// Bytes already in memory.
public struct MemoryByteSource: ByteSource {
    public let name: String
    private let bytes: [UInt8]
    private var offset = 0

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public var expectedSize: Int? { bytes.count }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// A whole file mapped read-only into memory, for readers that parse in place.
public final class MappedFile {
    let base: UnsafePointer<UInt8>
    let count: Int
    private let mapping: UnsafeMutableRawPointer?

    /// Maps the file behind a source; nil when it cannot be mapped (then read it in chunks).
    init?(_ file: FileByteSource) {
        guard let size = file.expectedSize, size > 0 else { return nil }
        let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else { return nil }
        madvise(pointer, size, MADV_SEQUENTIAL)
        mapping = pointer
        base = UnsafePointer(pointer.assumingMemoryBound(to: UInt8.self))
        count = size
    }

    deinit { munmap(mapping, count) }

    /// Drops the pages before `offset` from resident memory (they are re-read if touched).
    func release(upTo offset: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = offset / page * page
        if length > 0 { madvise(mapping, length, MADV_DONTNEED) }
    }
}
