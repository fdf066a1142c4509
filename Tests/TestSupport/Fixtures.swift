import Datasets
import Foundation

/// A file in `Tests/Fixtures`.
public func fixture(_ name: String) -> String {
    repositoryRoot.appendingPathComponent("Tests/Fixtures/\(name)").path
}

/// A byte source over text that hands out at most `chunk` bytes per read,
/// to exercise readers across chunk boundaries.
public struct TrickleSource: ByteSource {
    public let name: String
    private let bytes: [UInt8]
    private let chunk: Int
    private var offset = 0

    public init(_ text: String, name: String = "test.csv", chunk: Int = 7) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.chunk = chunk
    }

    public var expectedSize: Int? { nil }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(chunk, buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        for i in 0..<count { buffer[i] = bytes[offset + i] }
        offset += count
        return count
    }
}

/// Reads CSV text through a trickling source.
public func readCSV(_ text: String, label: LabelSpec? = nil, options: CSVOptions = CSVOptions(), chunk: Int = 7) throws -> Dataset {
    var source = TrickleSource(text, chunk: chunk)
    return try CSVReader.read(&source, label: label, options: options)
}

/// The message of the error `body` throws, or "no error".
public func errorMessage(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "no error" } catch { return "\(error)" }
}
