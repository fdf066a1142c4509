/// A dense float32 tensor: contiguous row-major storage with a shape.
///
/// `Tensor` has value semantics; its storage is a Swift array, so copies share
/// memory until one of them is written (copy-on-write).
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first. A scalar has shape `[]`.
    public let shape: [Int]
    /// Storage in row-major order; its count always matches the shape.
    @usableFromInline var storage: [Float]

    /// The elements in row-major order.
    @inlinable public var scalars: [Float] { storage }

    /// Creates a tensor from elements in row-major order.
    /// - Throws: `ShapeError` when the element count does not match the shape.
    public init(shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError("Tensor", "negative extent in shape \(describe(shape))")
        }
        guard Tensor.count(of: shape) == scalars.count else {
            throw ShapeError("Tensor", "\(scalars.count) values do not fill shape \(describe(shape))")
        }
        self.shape = shape
        self.storage = scalars
    }

    /// Creates a tensor whose storage the caller guarantees fits the shape.
    @usableFromInline
    init(unchecked shape: [Int], scalars: [Float]) {
        precondition(Tensor.count(of: shape) == scalars.count,
                     "storage of \(scalars.count) does not fit \(describe(shape))")
        self.shape = shape
        self.storage = scalars
    }

    /// Creates a tensor with every element set to `value`.
    public init(repeating value: Float, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(describe(shape))")
        self.shape = shape
        self.storage = [Float](repeating: value, count: Tensor.count(of: shape))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A rank-0 tensor holding one value.
    public init(scalar: Float) {
        self.shape = []
        self.storage = [scalar]
    }

    /// A matrix from rows of equal length.
    /// - Throws: `ShapeError` when the rows are ragged.
    public init(rows: [[Float]]) throws {
        let width = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw ShapeError("Tensor", "row \(bad) has \(rows[bad].count) values, row 0 has \(width)")
        }
        self.shape = [rows.count, width]
        self.storage = rows.flatMap { $0 }
    }

    /// Number of elements.
    @inlinable public var count: Int { scalars.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(scalars.count == 1, "scalar of a tensor of shape \(describe(shape))")
        return scalars[0]
    }

    /// Rows of a matrix (extent of axis 0); 1 for a scalar.
    @inlinable public var rows: Int { shape.first ?? 1 }
    /// Columns of a matrix: the product of all axes after the first.
    @inlinable public var columns: Int { shape.dropFirst().reduce(1, *) }

    /// Element count of a shape.
    @inlinable
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The product of `shape`'s extents times `width`, or nil when an extent is negative or
    /// the product does not fit in an `Int`: sizes a file states are checked with it before
    /// anything is allocated (release builds do not trap on overflow).
    public static func checkedCount(of shape: [Int], width: Int = 1) -> Int? {
        var total = width
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (next, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// Element at a row and column of a matrix.
    @inlinable
    public subscript(row: Int, column: Int) -> Float {
        get { storage[row * shape[1] + column] }
        set { storage[row * shape[1] + column] = newValue }
    }

    /// The same elements under another shape with the same count.
    /// - Throws: `ShapeError` when the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard Tensor.count(of: newShape) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw ShapeError("reshape", "cannot view \(describe(shape)) as \(describe(newShape))")
        }
        return Tensor(unchecked: newShape, scalars: scalars)
    }

    /// Read access to the storage.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Write access to the storage (copies first when the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// A tensor of the given shape whose storage is filled by `body` (uninitialized before).
    @inlinable
    public static func build(
        shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows -> Tensor {
        let n = count(of: shape)
        let storage = try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            try body(buffer)
            initialized = n
        }
        return Tensor(unchecked: shape, scalars: storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(describe(shape))(\(head)\(count > 8 ? ", ..." : ""))"
    }
}
