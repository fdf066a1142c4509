import TensorCore

/// Reads the IDX format of MNIST: two zero bytes, a type code, the number of
/// dimensions, each dimension as a big-endian 32-bit integer, then the data.
/// Gzip-compressed files are decompressed by the source (see `ArchiveIO`).
public enum IDXReader {
    /// A decoded IDX array, values as float32.
    public struct Array {
        public var shape: [Int]
        public var values: [Float]
    }

    /// Decodes an IDX file.
    /// - Throws: `DatasetError` for a wrong magic number, an unknown type code, or data
    ///   shorter or longer than the dimensions say.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Array {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DatasetError(source, "not an IDX file: the magic number must start with two zero bytes")
        }
        let width: Int
        switch bytes[2] {
        case 0x08, 0x09: width = 1
        case 0x0B: width = 2
        case 0x0C, 0x0D: width = 4
        case 0x0E: width = 8
        default: throw DatasetError(source, "not an IDX file: unknown type code 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, bytes.count >= 4 + 4 * rank else { throw DatasetError(source, "IDX header is truncated or has no dimensions") }
        let shape = (0..<rank).map { d in (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * d + $1]) } }
        let start = 4 + 4 * rank
        let (count, dataBytes) = try ShapeArithmetic.sizes(of: shape, width: width, source: source, format: "IDX")
        guard bytes.count - start == dataBytes else {
            throw DatasetError(source, "IDX data is \(bytes.count - start) bytes, dimensions \(describe(shape)) need \(dataBytes)"
                + (bytes.count - start < dataBytes ? " (truncated file)" : ""))
        }
        let type = bytes[2]
        let values = bytes.withUnsafeBytes { raw -> [Float] in
            (0..<count).map { i in
                let at = start + i * width
                switch type {
                case 0x08: return Float(raw[at])
                case 0x09: return Float(Int8(bitPattern: raw[at]))
                case 0x0B: return Float(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: Int16.self)))
                case 0x0C: return Float(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case 0x0D: return Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                default: return Float(Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
                }
            }
        }
        return Array(shape: shape, values: values)
    }
}

extension Dataset {
    /// A dataset from a numeric array: rows along the first axis, every other axis
    /// flattened into columns `x0, x1, ...`. Images keep their shape as NCHW: rows of
    /// `[height, width]` (MNIST's IDX) become `[1, height, width]`, rows of
    /// `[channels, height, width]` stay so; other ranks are tables.
    /// - Parameters:
    ///   - labelValues: one value per row and the values meaning "anomaly"; nil: all normal.
    /// - Throws: `DatasetError` when the label count differs from the row count or an
    ///   anomaly value never occurs.
    public static func numeric(shape: [Int], values: [Float], labels labelValues: (values: [Float], positive: [Float])?,
                               source: String) throws -> Dataset {
        let rows = shape.first ?? 0
        guard rows > 0 else { throw DatasetError(source, "no rows") }
        let rowShape = Swift.Array(shape.dropFirst())
        guard let width = ShapeArithmetic.product(rowShape), width > 0 else {
            throw DatasetError(source, "dimensions \(describe(shape)) give rows of no values")
        }
        guard ShapeArithmetic.product(shape) == values.count else {
            throw DatasetError(source, "dimensions \(describe(shape)) do not match the \(values.count) values")
        }
        var labels = [UInt8](repeating: 0, count: rows)
        if let (values, positive) = labelValues {
            guard values.count == rows else { throw DatasetError(source, "\(values.count) labels for \(rows) rows") }
            for value in positive where !values.contains(value) {
                throw DatasetError(source, "anomaly value \(value) never occurs in the labels")
            }
            labels = values.map { positive.contains($0) ? 1 : 0 }
        }
        let integer = values.allSatisfy { $0 == $0.rounded() }
        let columns = (0..<width).map { Column(name: "x\($0)", kind: .numeric(integer: integer)) }
        return try Dataset(features: try Tensor(shape: [rows, width], scalars: values), columns: columns, labels: labels,
                           rowShape: rowShape.count == 2 ? [1] + rowShape : rowShape.count == 3 ? rowShape : [], source: source)
    }
}
