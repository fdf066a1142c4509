import Crypto
import Datasets
import Foundation
import TensorCore

/// Dataset archives: a tar (zstd by default) of `manifest.json`, `features.npy`
/// (float32, C order), `labels.npy` (uint8), `provenance.npy` (int32) and, for
/// preprocessed data, `transform.json`. Written deterministically: the same data
/// gives the same bytes. Readable without AnomSynth (`tar --zstd -x`, `numpy.load`).
public enum DatasetArchive {
    /// Default bound on one member's decompressed size when reading.
    public static let defaultMaximumMemberBytes = 16 << 30

    static let featuresName = "features.npy"
    static let manifestName = "manifest.json"
    static let transformName = "transform.json"

    /// Writes a dataset (and the transform that made it, if any) to `path` (a symbolic
    /// link's target, the link staying a link).
    /// - Throws: `ArchiveError` when the file cannot be written: a folder, a device, a
    ///   missing folder, a full disk.
    public static func write(_ data: Dataset, transform: Transform? = nil, to path: String,
                             compression: ArchiveCompression = .zstd) throws {
        let resolved: String
        do {
            guard case .file(let file) = try OutputPath.prepare(path) else { throw DatasetError(path, "is not a regular file") }
            resolved = file
        } catch let error as DatasetError {
            throw ArchiveError(path, error.message)
        }
        var members: [String: [UInt8]] = ["labels.npy": NPY.encode(data.labels), "provenance.npy": NPY.encode(data.provenance)]
        if let transform { members[transformName] = try canonicalJSON(transform) }
        // features.npy goes out from the tensor's own memory, without a copy.
        try NPY.withEncoded(data.features) { features in
            // Members are written in name order and manifest.json comes third: hash and
            // compute statistics on another core while the first members are written.
            let borrowed = BorrowedBytes(parts: features)
            let manifest = BackgroundWork { [members, data] in
                var described = members.mapValues { Manifest.Member(bytes: $0.count, sha256: sha256Hex($0)) }
                described[featuresName] = Manifest.Member(bytes: borrowed.count, sha256: sha256Hex(parts: borrowed.parts))
                return Manifest(describing: data, members: described)
            }
            defer { _ = manifest.result() }  // it reads `features`: done before they go out of scope
            let bytes = borrowed.count + members.values.reduce(0) { $0 + $1.count }
            let writer = try TarWriter(path: resolved, compression: compression, bytes: bytes)
            for name in (members.keys + [featuresName, manifestName]).sorted() {
                switch name {
                case manifestName:
                    let json: [UInt8]
                    do { json = try canonicalJSON(manifest.result()) } catch let EncodingError.invalidValue(value, context) {
                        let place = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
                        throw ArchiveError(path, "the data hold a value JSON cannot record (\(value) in the manifest's \(place)): "
                                           + "infinite values cannot be written; replace them")
                    }
                    try writer.add(name, json)
                case featuresName: try writer.add(name, parts: features)
                default: try writer.add(name, members[name]!)
                }
            }
            try writer.finish()
        }
    }

    /// Reads a dataset archive, verifying every member against the manifest.
    /// - Throws: `ArchiveError` naming the archive and member: unsafe members, a
    ///   member past the size bound, a missing or unexpected member, a checksum
    ///   mismatch, a corrupt or truncated archive, an inconsistent manifest.
    public static func read(_ path: String, maximumMemberBytes: Int = defaultMaximumMemberBytes) throws -> (dataset: Dataset, transform: Transform?) {
        let (manifest, members, features, labels, provenance) = try readVerified(path, maximumMemberBytes: maximumMemberBytes)
        let columns = try manifest.datasetColumns(archive: path)
        var dataset: Dataset
        do {
            dataset = try Dataset(
                features: try Tensor(shape: features.shape, scalars: features.values), columns: columns,
                labels: labels.values.map { UInt8(clamping: Int($0)) }, provenance: provenance.values.map { Int32($0) },
                sources: manifest.sources, rowShape: manifest.rowShape, source: path)
        } catch let error as DatasetError {
            throw ArchiveError(path, error.message)
        }
        dataset.labelColumn = manifest.label
        var transform: Transform?
        if let bytes = members[transformName] {
            do { transform = try JSONDecoder().decode(Transform.self, from: Data(bytes)) } catch {
                throw ArchiveError(path, member: transformName, "not a valid transform: \(describeDecodingProblem(error))")
            }
        }
        return (dataset, transform)
    }

    /// The manifest alone, after verifying every member's checksum and that the manifest's
    /// counts agree with the arrays (a manifest is not trusted on its own word).
    public static func manifest(_ path: String, maximumMemberBytes: Int = defaultMaximumMemberBytes) throws -> Manifest {
        try readVerified(path, maximumMemberBytes: maximumMemberBytes).manifest
    }

    /// Reads every member and checks the set of members and their checksums against the
    /// manifest. `features.npy` comes decoded (straight from the archive into its array).
    static func readVerified(_ path: String, maximumMemberBytes: Int) throws
        -> (manifest: Manifest, members: [String: [UInt8]], features: NPY.Array, labels: NPY.Array, provenance: NPY.Array) {
        let reader = try TarReader(path: path, maximumMemberBytes: maximumMemberBytes)
        var members: [String: [UInt8]] = [:], features: NPY.Array?, found: [String: Manifest.Member] = [:]
        while let (name, size) = try reader.nextMember() {
            guard found[name] == nil else { throw ArchiveError(path, member: name, "appears twice") }
            if name == featuresName {
                let (array, member) = try reader.readNPYMember(name, size: size)
                (features, found[name]) = (array, member)
            } else {
                let (bytes, digest) = try reader.readHashedMember(name, size: size)
                (members[name], found[name]) = (bytes, Manifest.Member(bytes: bytes.count, sha256: digest))
            }
        }
        guard let manifestBytes = members.removeValue(forKey: manifestName) else {
            throw ArchiveError(path, found.isEmpty ? "empty archive: not a dataset archive" : "no manifest.json: not a dataset archive")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(manifestBytes)) } catch {
            throw ArchiveError(path, member: manifestName, "not a valid manifest: \(describeDecodingProblem(error))")
        }
        guard manifest.format == Manifest.formatName, manifest.formatVersion <= Manifest.currentVersion else {
            throw ArchiveError(path, member: manifestName, "format \(manifest.format) version \(manifest.formatVersion) is not supported")
        }
        guard let features else { throw ArchiveError(path, member: featuresName, "is missing") }
        for name in ["labels.npy", "provenance.npy"] where found[name] == nil {
            throw ArchiveError(path, member: name, "is missing")
        }
        for name in found.keys.sorted() where name != manifestName {
            let actual = found[name]!
            guard let expected = manifest.members[name] else {
                throw ArchiveError(path, member: name, "is not listed in the manifest")
            }
            guard actual == expected else {
                throw ArchiveError(path, member: name, "checksum mismatch: manifest says sha256 \(expected.sha256), content has \(actual.sha256)")
            }
        }
        if let missing = manifest.members.keys.sorted().first(where: { found[$0] == nil }) {
            throw ArchiveError(path, member: missing, "is listed in the manifest but missing")
        }
        func array(_ name: String) throws -> NPY.Array {
            do { return try NPY.decode(members[name]!, source: name) } catch let error as DatasetError {
                throw ArchiveError(path, member: name, error.message)
            }
        }
        let labels = try array("labels.npy"), provenance = try array("provenance.npy")
        try checkCounts(manifest, features: features, labels: labels, provenance: provenance, archive: path)
        return (manifest, members, features, labels, provenance)
    }

    /// Checks the manifest's row and class counts against the arrays themselves.
    private static func checkCounts(_ manifest: Manifest, features: NPY.Array, labels: NPY.Array, provenance: NPY.Array, archive path: String) throws {
        guard features.shape == [manifest.rows, manifest.columns.count] else {
            throw ArchiveError(path, member: featuresName, "shape \(describe(features.shape)) differs from the manifest's \(manifest.rows) x \(manifest.columns.count)")
        }
        for (name, array) in [("labels.npy", labels), ("provenance.npy", provenance)] where array.shape != [manifest.rows] {
            throw ArchiveError(path, member: name, "shape \(describe(array.shape)) differs from the manifest's \(manifest.rows) rows")
        }
        let anomalies = labels.values.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        guard manifest.rowsPerClass["anomaly"] == anomalies, manifest.rowsPerClass["normal"] == manifest.rows - anomalies else {
            throw ArchiveError(path, member: manifestName, "rows_per_class \(manifest.rowsPerClass) differs from labels.npy (\(anomalies) anomalies in \(manifest.rows) rows)")
        }
    }

    /// A computation started on another thread whose result is collected later.
    final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
        private var value: Value?
        private let group = DispatchGroup()

        init(_ work: @escaping @Sendable () -> Value) {
            group.enter()
            DispatchQueue.global().async {
                self.value = work()
                self.group.leave()
            }
        }

        /// Waits for the work and returns its result.
        func result() -> Value {
            group.wait()
            return value!
        }
    }

    /// Lowercase hex SHA-256.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { sha256Hex(parts: [$0]) }
    }

    /// The SHA-256 of `parts` one after the other, in hex.
    static func sha256Hex(parts: [UnsafeRawBufferPointer]) -> String {
        var hasher = SHA256()
        for part in parts { hasher.update(bufferPointer: part) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Memory another thread reads while its owner waits for that thread to finish.
    struct BorrowedBytes: @unchecked Sendable {
        let parts: [UnsafeRawBufferPointer]
        var count: Int { parts.reduce(0) { $0 + $1.count } }
    }

    /// JSON with sorted keys, pretty-printed, ending in a newline: the same value, the same bytes.
    public static func canonicalJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0A]
    }
}
