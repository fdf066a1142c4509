import CZlib
import Foundation

/// Verifies a gzip file's CRC-32 and length trailers with zlib, as `gzip -t` does:
/// libarchive's gzip reader skips them, so a corrupted `.gz` input would otherwise be
/// read with changed values and no error.
enum GzipCheck {
    /// Whether the file starts with gzip's magic bytes.
    static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 2)).map { Array($0) == [0x1F, 0x8B] } ?? false
    }

    /// Inflates every member of the gzip file at `path`, checking each member's CRC-32 and
    /// length, within `limits` (the ratio against `compressedSize`, the file's size).
    /// - Throws: `ArchiveError` naming the file: corrupt data, a failed check, a truncated
    ///   file, or output past the limits.
    static func verify(_ path: String, compressedSize: Int, limits: DecompressionLimits) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(path, "cannot be opened") }
        defer { try? handle.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ArchiveError(path, "cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var produced = 0, inMember = false
        while true {
            let chunk = [UInt8](handle.readData(ofLength: 1 << 20))
            if chunk.isEmpty {
                if inMember { throw ArchiveError(path, "gzip data end early (truncated file)") }
                return
            }
            var offset = 0
            while offset < chunk.count {
                if !inMember {
                    // Another member starts here, or padding (zeros) follows the last one.
                    if chunk[offset...].allSatisfy({ $0 == 0 }) { break }
                    inflateReset(&stream)
                    inMember = true
                }
                let status: Int32 = chunk.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { out in
                        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                        stream.avail_in = UInt32(chunk.count - offset)
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(out.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                }
                let before = offset, made = output.count - Int(stream.avail_out)
                offset = chunk.count - Int(stream.avail_in)
                produced += made
                if status == Z_BUF_ERROR, offset == before, made == 0 { throw ArchiveError(path, "corrupt gzip data (no progress)") }
                if let excess = limits.excess(produced: produced, compressed: compressedSize) { throw ArchiveError(path, excess) }
                switch status {
                case Z_STREAM_END: inMember = false
                case Z_OK, Z_BUF_ERROR: continue
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw ArchiveError(path, "corrupt gzip data (\(detail)); `gzip -t` reports the same")
                }
            }
        }
    }
}
