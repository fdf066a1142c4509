import Foundation
import TensorCore

/// A safetensors file could not be written or read; the message names the file and the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let message: String
    public var description: String { "\(source): \(message)" }
}

/// The Hugging Face safetensors format: an 8-byte little-endian header length, a
/// JSON header (`{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}`),
/// then the raw little-endian tensor bytes. Written with sorted names and the
/// header padded with spaces to 8 bytes, so the same tensors give the same bytes.
public enum SafeTensors {
    /// Largest header accepted when reading (the reference implementation's bound).
    public static let maximumHeaderBytes = 100_000_000

    /// Serializes named float32 tensors.
    /// - Parameters:
    ///   - tensors: name → tensor; names must be unique (they are dictionary keys).
    ///   - metadata: free-form string pairs stored under `__metadata__`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let bytes = tensor.count * MemoryLayout<Float>.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { values in
                for value in values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
            }
        }
        return data
    }

    /// Parses a safetensors file; F32 and F64 tensors are read (F64 narrowed to float32).
    /// - Parameter source: the file name used in error messages.
    /// - Returns: the tensors by name and the metadata.
    /// - Throws: `SafeTensorsError` naming the problem: truncation, a bad header,
    ///   an unsupported dtype, offsets outside the data or not matching the shape.
    public static func decode(_ data: Data, source: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(source: source, message: message) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maximumHeaderBytes), 8 + Int(headerLength) <= bytes.count else {
            throw fail("header length \(headerLength) does not fit in a file of \(bytes.count) bytes")
        }
        let dataStart = 8 + Int(headerLength)
        let dataBytes = bytes.count - dataStart
        let headerBytes = bytes[8..<dataStart]
        guard !JSONNesting.exceeds(headerBytes) else { throw fail("header nests deeper than \(JSONNesting.limit) levels") }
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any] else {
                throw fail("header is not a JSON object")
            }
            header = object
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw fail("header is not valid JSON: \(error.localizedDescription)")
        }
        var metadata: [String: String] = [:]
        if let entry = header["__metadata__"] {
            guard let pairs = entry as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = pairs
        }
        // Each tensor's place, checked without overflow (release builds do not trap on it):
        // the tensors must tile the data bytes exactly, as the reference implementation requires.
        var places: [(name: String, begin: Int, end: Int, count: Int, width: Int, shape: [Int])] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2 else {
                throw fail("tensor '\(name)': expected dtype, shape and data_offsets [begin, end]")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            default: throw fail("tensor '\(name)': dtype \(dtype) is not supported (F32 or F64)")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)': negative extent in \(describe(shape))") }
            guard let count = Tensor.checkedCount(of: shape), let byteCount = Tensor.checkedCount(of: shape, width: width) else {
                throw fail("tensor '\(name)': shape \(describe(shape)) is too large")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataBytes else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] lie outside the \(dataBytes) data bytes")
            }
            guard end - begin == byteCount else {
                throw fail("tensor '\(name)': \(end - begin) bytes do not hold shape \(describe(shape)) of \(dtype)")
            }
            places.append((name, begin, end, count, width, shape))
        }
        places.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for place in places {
            guard place.begin == covered else {
                throw fail("tensor '\(place.name)': data_offsets [\(place.begin), \(place.end)] "
                           + (place.begin < covered ? "overlap another tensor's" : "leave bytes \(covered)..<\(place.begin) unused"))
            }
            covered = place.end
        }
        guard covered == dataBytes else { throw fail("the tensors hold \(covered) of the \(dataBytes) data bytes") }
        var tensors: [String: Tensor] = [:]
        for place in places {
            let scalars = bytes.withUnsafeBytes { raw -> [Float] in
                let base = dataStart + place.begin
                return (0..<place.count).map { i in
                    if place.width == 4 {
                        return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self)))
                    }
                    return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self))))
                }
            }
            tensors[place.name] = try Tensor(shape: place.shape, scalars: scalars)
        }
        return (tensors, metadata)
    }

    /// A JSON string literal (Foundation's encoder: deterministic escapes).
    static func jsonString(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(text), as: UTF8.self)) ?? "\"\""
    }
}
