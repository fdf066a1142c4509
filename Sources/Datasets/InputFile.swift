import Foundation

/// Files a command reads whole (model files, job files): what is at a path, checked before
/// it is read, so that a FIFO, a device or a folder is refused instead of read forever.
public enum InputFile {
    /// The size of the regular file at `path` (a link is followed to what it names); nil when
    /// there is nothing there or it is not a regular file.
    public static func regularFileSize(_ path: String) -> Int? {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return attributes[.size] as? Int
    }
}
