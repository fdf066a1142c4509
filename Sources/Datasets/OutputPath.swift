import Foundation

/// Where a command writes a file, checked before anything is written, so that no input
/// and nothing but the named file is ever replaced.
public enum OutputPath {
    /// What is at a checked output path.
    public enum Target: Equatable, Sendable {
        /// A regular file or nothing yet: written to a temporary file beside it, then renamed over it.
        case file(String)
        /// A device or pipe (`/dev/null`, a FIFO): written to directly, never replaced.
        case stream(String)
        /// One of this process's open files (`/dev/stdout`, `/dev/fd/3`): written where it stands.
        case descriptor(Int32)
    }

    /// The descriptor a path names: `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`.
    private static func descriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) { return Int32(path.dropFirst(prefix.count)) }
            return nil
        }
    }

    /// Resolves `path` for writing: a symbolic link is followed to its target (the link
    /// stays a link), and the result is refused when it is a folder, its folder does not
    /// exist, or it is the same file as one of `inputs`.
    /// - Parameter streams: whether a device or pipe may be written to (plain text outputs).
    /// - Throws: `DatasetError` naming the path and what was expected.
    public static func prepare(_ path: String, inputs: [String] = [], allowingStreams streams: Bool = false) throws -> Target {
        if let descriptor = descriptor(named: path) {
            guard streams else { throw DatasetError(path, "is an open file of this process, not a file to write an archive to") }
            return .descriptor(descriptor)
        }
        let resolved = try followingLinks(path)
        var info = stat()
        if stat(resolved, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw DatasetError(path, "is a folder; name a file to write") }
            for input in inputs {
                var other = stat()
                if stat(input, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino {
                    throw DatasetError(path, "is the input \(input); writing it would destroy the input: name another file")
                }
            }
            if type != S_IFREG {
                guard streams, type == S_IFCHR || type == S_IFIFO else {
                    throw DatasetError(path, "is not a regular file (a device, pipe or socket); name a file to write")
                }
                return .stream(resolved)
            }
            return .file(resolved)
        }
        let folder = URL(fileURLWithPath: resolved).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DatasetError(path, "cannot be written: the folder \(folder) does not exist")
        }
        return .file(resolved)
    }

    /// The file a path's symbolic links lead to, even when it does not exist yet.
    private static func followingLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length >= 0 else { throw DatasetError(path, "cannot read the link: \(String(cString: strerror(errno)))") }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        throw DatasetError(path, "too many levels of symbolic links")
    }

    /// Writes `bytes` to a checked target: through a temporary file and a rename for a
    /// file (a reader never sees half of it), straight to a stream.
    /// - Throws: `DatasetError` naming `path` and the system's reason (e.g. a full disk).
    public static func write(_ bytes: [UInt8], to target: Target, named path: String) throws {
        switch target {
        case .descriptor(let descriptor):
            try writeAll(bytes, to: descriptor, named: path)
        case .stream(let device):
            try writeAll(bytes, to: device, flags: O_WRONLY, named: path)
        case .file(let file):
            let url = URL(fileURLWithPath: file)
            let temporary = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
            do {
                try writeAll(bytes, to: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, named: path)
                guard rename(temporary, file) == 0 else { throw DatasetError(path, "cannot be written: \(String(cString: strerror(errno)))") }
            } catch {
                unlink(temporary)
                throw error
            }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to file: String, flags: Int32, named path: String) throws {
        let descriptor = open(file, flags, 0o644)
        guard descriptor >= 0 else { throw DatasetError(path, "cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try writeAll(bytes, to: descriptor, named: path)
        if flags & O_CREAT != 0, fsync(descriptor) != 0, errno != EINVAL {
            throw DatasetError(path, "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, named path: String) throws {
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let count = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw DatasetError(path, "cannot be written: \(String(cString: strerror(errno)))")
                }
                offset += count
            }
        }
    }
}
