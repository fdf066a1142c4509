import Datasets
import Foundation
import TensorCore

extension TarReader {
    /// Reads the current member as a `.npy` array, with its size and SHA-256. Float32 data are
    /// decompressed straight into the array's memory (mapped beforehand on every core),
    /// without an intermediate copy of the member.
    /// - Throws: `ArchiveError` naming the member: not a `.npy` file, data that do not match
    ///   the header, a truncated or corrupt member.
    func readNPYMember(_ name: String, size: Int?) throws -> (array: NPY.Array, member: Manifest.Member) {
        do {
            guard let size, size >= NPY.preambleBytes else {
                let (bytes, digest) = try readHashedMember(name, size: size)
                return (try NPY.decode(bytes, source: name), Manifest.Member(bytes: bytes.count, sha256: digest))
            }
            let stream = HashedMemberStream(self, member: name, size: size)
            var head = try stream.bytes(NPY.preambleBytes)
            let headerLength = try NPY.headerLength(head, source: name)
            guard headerLength <= size else { throw DatasetError(name, "truncated .npy header") }
            head += try stream.bytes(headerLength - head.count)
            let header = try NPY.header(head, source: name)
            try NPY.checkDataLength(size - headerLength, header, source: name)
            let values: [Float]
            if header.isNativeFloat32 {
                var failure: Error?
                values = [Float](unsafeUninitializedCapacity: header.count) { buffer, initialized in
                    defer { stream.wait() }  // the hasher reads the buffer: done before the array owns it
                    let raw = UnsafeMutableRawBufferPointer(buffer)
                    Prefault.pages(of: raw, threads: min(4, ProcessInfo.processInfo.activeProcessorCount))
                    do { try stream.fill(raw) } catch { failure = error }
                    initialized = failure == nil ? header.count : 0
                }
                if let failure { throw failure }
            } else {
                values = try stream.bytes(header.dataBytes).withUnsafeBytes { NPY.values($0, header: header) }
            }
            return (NPY.Array(shape: header.shape, descr: header.descr, values: values), Manifest.Member(bytes: size, sha256: try stream.finish()))
        } catch let error as DatasetError {
            throw ArchiveError(path, member: name, error.message)
        }
    }
}
