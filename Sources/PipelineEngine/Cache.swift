import ArchiveIO
import Crypto
import Foundation

/// The content-addressed stage cache: `<root>/entries/<key>/` holds a stage's output
/// files and `record.json`. Entries are built in `<root>/tmp/` and renamed into place,
/// so a killed run leaves no half entry; a lock per key lets two runs share a cache;
/// every read verifies the files' SHA-256 against the record.
public struct StageCache {
    /// What a cache entry records about itself.
    public struct Record: Codable, Equatable {
        public struct File: Codable, Equatable {
            public var sha256: String
            public var bytes: Int
        }
        public var key: String
        public var stageID: String
        public var stageType: String
        public var stageVersion: Int
        /// The canonical JSON the key hashes (what `plan` compares to explain a rerun).
        public var keyMaterial: String
        /// Output name → file name.
        public var outputs: [String: String]
        public var files: [String: File]

        enum CodingKeys: String, CodingKey {
            case key, outputs, files
            case stageID = "stage_id"
            case stageType = "stage_type"
            case stageVersion = "stage_version"
            case keyMaterial = "key_material"
        }
    }

    public let root: URL

    public init(root: URL) { self.root = root }

    /// The file that marks a folder as an AnomSynth cache (the Cache Directory Tagging
    /// Specification's name and signature, so backup tools skip it too).
    public static let tagFile = "CACHEDIR.TAG"
    static let tagText = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is an AnomSynth stage cache; its entries are rebuilt on demand.\n"
    /// The file that marks a folder under `entries/` as made by this cache: only such a folder
    /// (or one whose record names its key) is ever removed as a corrupt entry.
    static let entryMark = ".anomsynth-entry"

    /// The folder of an entry. `key` must be well formed (`CacheKey.isWellFormed`): every
    /// caller passes a computed key or one checked on the way in.
    public func entry(_ key: String) -> URL {
        precondition(CacheKey.isWellFormed(key), "cache key '\(key)' is not 64 hexadecimal digits")
        return root.appendingPathComponent("entries/\(key)")
    }

    /// The files of an entry's outputs, by output name.
    func files(of record: Record) -> [String: URL] {
        record.outputs.mapValues { entry(record.key).appendingPathComponent($0) }
    }

    /// Creates the cache's folder and its tag when they are missing (before the first entry).
    public func prepare() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let tag = root.appendingPathComponent(Self.tagFile)
        if !FileManager.default.fileExists(atPath: tag.path) { try Data(Self.tagText.utf8).write(to: tag, options: .atomic) }
    }

    /// Whether `root` is a cache this tool made (it holds the tag `prepare` writes).
    public var isTagged: Bool {
        (try? String(contentsOf: root.appendingPathComponent(Self.tagFile), encoding: .utf8))?.hasPrefix("Signature: 8a477f597d28d172789f06886806bc55") ?? false
    }

    /// The record of a valid entry, or nil when there is none. A corrupt entry (missing
    /// record, changed or missing file) is reported through `corrupt`, removed when this cache
    /// made it (else left alone, and reported as such), and treated as absent.
    public func lookup(_ key: String, corrupt: (String) -> Void = { _ in }) -> Record? {
        let folder = entry(key)
        guard FileManager.default.fileExists(atPath: folder.path) else { return nil }
        if let problem = verify(key) {
            corrupt(problem)
            removeOwnEntry(key)
            return nil
        }
        return try? readRecord(folder)
    }

    /// Removes the folder of `key` if this cache made it: it carries the entry mark, or its
    /// record names this key. Anything else there is left as it is.
    /// - Returns: whether the folder is gone.
    @discardableResult
    func removeOwnEntry(_ key: String) -> Bool {
        let folder = entry(key)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else { return true }
        let madeHere = isFolder.boolValue && (FileManager.default.fileExists(atPath: folder.appendingPathComponent(Self.entryMark).path)
            || (try? readRecord(folder))?.key == key)
        guard madeHere, (try? FileManager.default.removeItem(at: folder)) != nil else { return false }
        return true
    }

    private func readRecord(_ folder: URL) throws -> Record {
        try JSONDecoder().decode(Record.self, from: Data(contentsOf: folder.appendingPathComponent("record.json")))
    }

    /// Checks an entry's files against its record; nil when intact, else what is wrong.
    public func verify(_ key: String) -> String? {
        let folder = entry(key)
        guard let record = try? readRecord(folder) else { return "cache entry \(key.prefix(12)) has no readable record.json" }
        for (name, expected) in record.files {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                return "cache entry \(key.prefix(12)) (\(record.stageID)) lacks \(name)"
            }
            if data.count != expected.bytes || StageCache.sha256(data) != expected.sha256 {
                return "cache entry \(key.prefix(12)) (\(record.stageID)): \(name) does not match its checksum"
            }
        }
        return nil
    }

    /// Every entry's key (names under `entries/` that are not keys are not entries).
    public func keys() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("entries").path)) ?? [])
            .filter(CacheKey.isWellFormed).sorted()
    }

    /// Runs `body` holding the lock of `key`, so that only one run computes an entry at a time.
    public func withLock<T>(_ key: String, _ body: () throws -> T) throws -> T {
        precondition(CacheKey.isWellFormed(key), "cache key '\(key)' is not 64 hexadecimal digits")
        try prepare()
        let locks = root.appendingPathComponent("locks")
        try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let descriptor = open(locks.appendingPathComponent("\(key).lock").path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw StageError("cannot open the cache lock in \(locks.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StageError("cannot lock the cache: \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// A fresh temporary folder inside the cache (same file system as the entries).
    public func temporaryFolder() throws -> URL {
        let folder = root.appendingPathComponent("tmp/\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder.appendingPathComponent(Self.entryMark).path, contents: Data())
        return folder
    }

    /// Seals a folder of outputs as the entry of `key`: writes the record last, then renames.
    /// - Parameter archives: how its dataset archives are compressed (their file names follow).
    public func commit(_ folder: URL, key: String, stageID: String, implementation: any StageImplementation.Type,
                       keyMaterial: String, archives: ArchiveCompression = .zstd) throws -> Record {
        var files: [String: Record.File] = [:]
        var outputs: [String: String] = [:]
        for output in implementation.outputs {
            let file = output.file(archives: archives)
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else {
                throw StageError("the stage did not write its output '\(output.name)' (\(file))")
            }
            files[file] = Record.File(sha256: StageCache.sha256(data), bytes: data.count)
            outputs[output.name] = file
        }
        let record = Record(key: key, stageID: stageID, stageType: implementation.type, stageVersion: implementation.version,
                            keyMaterial: keyMaterial, outputs: outputs, files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(record).write(to: folder.appendingPathComponent("record.json"))
        let destination = entry(key)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if rename(folder.path, destination.path) != 0 {
            // Another run sealed the same key first (same content by construction), or an old corrupt entry is in the way.
            if lookup(key) == nil {
                guard removeOwnEntry(key) else {
                    throw StageError("\(destination.path) is in the way of the cache entry and was not made by this cache; remove it by hand")
                }
                guard rename(folder.path, destination.path) == 0 else {
                    throw StageError("cannot move the cache entry into place: \(String(cString: strerror(errno)))")
                }
            } else {
                try? FileManager.default.removeItem(at: folder)
            }
        }
        return record
    }

    /// Lowercase hex SHA-256 of data.
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Lowercase hex SHA-256 of text.
    public static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }
}
