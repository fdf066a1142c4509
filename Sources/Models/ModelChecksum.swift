import Crypto
import Foundation
import NeuralNet
import TensorCore

/// The checksum a model file carries of its own content: the SHA-256 of the file as it would
/// be written without the checksum entry (tensors in name order, metadata in key order), in
/// the metadata entry `content_sha256`. A file changed after it was written (a flipped byte,
/// an edited entry) is refused with an error that says so. It guards against accidents and
/// tampering in transit, not against someone who rewrites the checksum too: what `score`
/// trusts beyond that is in docs/hostile-input.md ("What score trusts").
enum ModelChecksum {
    /// The metadata entry holding the checksum.
    static let key = "content_sha256"

    /// The metadata with the checksum of `tensors` and `metadata` added.
    static func signed(tensors: [String: Tensor], metadata: [String: String]) -> [String: String] {
        var entries = metadata
        entries[key] = digest(tensors: tensors, metadata: metadata)
        return entries
    }

    /// Checks the checksum when the file has one (files written before checksums have none).
    /// - Throws: `ModelError` naming the file when the content does not match.
    static func verify(tensors: [String: Tensor], metadata: [String: String], source: String) throws {
        guard let stated = metadata[key] else { return }
        var rest = metadata
        rest[key] = nil
        let actual = digest(tensors: tensors, metadata: rest)
        guard stated == actual else {
            throw ModelError("\(source): the file was changed after it was written (its \(key) is \(stated.prefix(16))…, its content hashes to \(actual.prefix(16))…)")
        }
    }

    private static func digest(tensors: [String: Tensor], metadata: [String: String]) -> String {
        SHA256.hash(data: SafeTensors.encode(tensors, metadata: metadata)).map { String(format: "%02x", $0) }.joined()
    }
}
