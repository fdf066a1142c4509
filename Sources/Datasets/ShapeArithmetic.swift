import TensorCore

/// Sizes computed from the dimensions a file states, checked before anything is allocated:
/// a hostile header must give an error, never an overflow trap or a huge allocation.
public enum ShapeArithmetic {
    /// The product of `dimensions` times `width`, or nil when it does not fit in an `Int`.
    public static func product(_ dimensions: [Int], width: Int = 1) -> Int? {
        Tensor.checkedCount(of: dimensions, width: width)
    }

    /// The element count and byte size of an array of `shape` with elements of `width` bytes.
    /// - Throws: `DatasetError` naming `source` when the sizes overflow.
    public static func sizes(of shape: [Int], width: Int, source: String, format: String) throws -> (count: Int, bytes: Int) {
        guard let count = product(shape), let bytes = product(shape, width: width) else {
            throw DatasetError(source, "\(format) dimensions \(describe(shape)) are too large: \(shape.map(String.init).joined(separator: " x ")) elements of \(width) bytes overflow a 64-bit size")
        }
        return (count, bytes)
    }
}
