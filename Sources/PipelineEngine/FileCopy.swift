import Foundation

/// Plain file copies, a MiB at a time.
enum FileCopy {
    /// Copies `source` to a new file `target` (replacing nothing: it must not exist).
    /// - Throws: `StageError` naming the path and the system's reason.
    static func copy(_ source: String, to target: String) throws {
        let input = open(source, O_RDONLY)
        guard input >= 0 else { throw StageError("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard output >= 0 else { throw StageError("cannot create \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw StageError("cannot read \(source): \(String(cString: strerror(errno)))")
            }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StageError("cannot write \(target): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}
