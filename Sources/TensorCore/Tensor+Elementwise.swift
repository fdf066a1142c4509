import Foundation

extension Tensor {
    /// Applies `transform` to every element.
    /// - Complexity: O(count), split over `Parallelism.threads` for large tensors.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        withUnsafeBufferPointer { source in
            Tensor.build(shape: shape) { out in
                Parallelism.forEachChunk(count: source.count) { range in
                    for i in range { out[i] = transform(source[i]) }
                }
            }
        }
    }

    /// Combines two tensors of the same shape element by element.
    /// - Precondition: equal element counts (callers check shapes).
    @inlinable
    public func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(count == other.count, "zipMap of \(describe(shape)) and \(describe(other.shape))")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor.build(shape: shape) { out in
                    Parallelism.forEachChunk(count: a.count) { range in
                        for i in range { out[i] = combine(a[i], b[i]) }
                    }
                }
            }
        }
    }

    /// Combines three tensors of the same element count element by element.
    @inlinable
    public func zipMap(_ second: Tensor, _ third: Tensor, _ combine: (Float, Float, Float) -> Float) -> Tensor {
        precondition(count == second.count && count == third.count,
                     "zipMap of \(describe(shape)), \(describe(second.shape)), \(describe(third.shape))")
        return withUnsafeBufferPointer { a in
            second.withUnsafeBufferPointer { b in
                third.withUnsafeBufferPointer { c in
                    Tensor.build(shape: shape) { out in
                        Parallelism.forEachChunk(count: a.count) { range in
                            for i in range { out[i] = combine(a[i], b[i], c[i]) }
                        }
                    }
                }
            }
        }
    }

    /// Updates this tensor in place: `self[i] = combine(self[i], other[i])`.
    @inlinable
    public mutating func formZipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) {
        precondition(count == other.count, "formZipMap of \(describe(shape)) and \(describe(other.shape))")
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { a in
                let a = a
                Parallelism.forEachChunk(count: a.count) { range in
                    for i in range { a[i] = combine(a[i], b[i]) }
                }
            }
        }
    }

    /// Adds `other` into this tensor in place (same element count).
    @inlinable
    public mutating func add(_ other: Tensor) { formZipMap(other, +) }

    // MARK: Binary operations with broadcasting

    /// The shape two operands broadcast to (numpy rules), or nil when they do not.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            if x == y || y == 1 { result[axis] = x } else if x == 1 { result[axis] = y } else { return nil }
        }
        return result
    }

    /// Combines two tensors element by element after broadcasting them to a common shape.
    /// - Throws: `ShapeError` naming both shapes when they do not broadcast.
    @inlinable
    public func broadcasting(_ other: Tensor, operation: String, _ combine: (Float, Float) -> Float) throws -> Tensor {
        if shape == other.shape { return zipMap(other, combine) }
        guard let outShape = Tensor.broadcastShape(shape, other.shape) else {
            throw ShapeError(operation, "shapes \(describe(shape)) and \(describe(other.shape)) do not broadcast")
        }
        if other.count == 1, outShape == shape {
            let y = other.scalars[0]
            return map { combine($0, y) }
        }
        if count == 1, outShape == other.shape {
            let x = scalars[0]
            return other.map { combine(x, $0) }
        }
        let width = outShape.last ?? 1
        if outShape == shape, other.count == width, other.shape.last == width {
            return withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { row in
                    Tensor.build(shape: outShape) { out in
                        var base = 0
                        while base < a.count {
                            for j in 0..<width { out[base + j] = combine(a[base + j], row[j]) }
                            base += width
                        }
                    }
                }
            }
        }
        let left = stridesBroadcast(to: outShape)
        let right = other.stridesBroadcast(to: outShape)
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor.build(shape: outShape) { out in
                    var index = [Int](repeating: 0, count: outShape.count)
                    for flat in 0..<out.count {
                        var ia = 0, ib = 0
                        for axis in 0..<index.count {
                            ia += index[axis] * left[axis]
                            ib += index[axis] * right[axis]
                        }
                        out[flat] = combine(a[ia], b[ib])
                        var axis = index.count - 1
                        while axis >= 0 {
                            index[axis] += 1
                            if index[axis] < outShape[axis] { break }
                            index[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
    }

    /// Strides that read this tensor as if broadcast to `target` (0 on broadcast axes).
    @usableFromInline
    func stridesBroadcast(to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        let offset = target.count - rank
        for axis in Swift.stride(from: rank - 1, through: 0, by: -1) {
            strides[axis + offset] = shape[axis] == 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    // MARK: Named elementwise kernels

    /// Elementwise sum with broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.broadcasting(rhs, operation: "add", +) }
    /// Elementwise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.broadcasting(rhs, operation: "sub", -) }
    /// Elementwise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.broadcasting(rhs, operation: "mul", *) }
    /// Elementwise quotient with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.broadcasting(rhs, operation: "div", /) }

    /// Every element times a constant.
    public func scaled(by factor: Float) -> Tensor { mapLanes { $0 * factor } }
    /// Every element plus a constant.
    public func shifted(by offset: Float) -> Tensor { mapLanes { $0 + offset } }

    /// Adds a row vector (`[columns]` or `[1, columns]`) to every row of a matrix.
    /// - Throws: `ShapeError` when the vector's length is not the matrix's column count.
    public func addingRowVector(_ row: Tensor) throws -> Tensor {
        guard rank == 2, row.count == shape[1], row.shape.last == shape[1] else {
            throw ShapeError("addRowVector", "cannot add \(describe(row.shape)) to the rows of \(describe(shape))")
        }
        return try broadcasting(row, operation: "addRowVector", +)
    }

    public func exp() -> Tensor { mapLanes { FastMath.exp($0) } }
    public func log() -> Tensor { map { Foundation.log($0) } }
    public func tanh() -> Tensor { mapLanes { FastMath.tanh($0) } }
    public func sigmoid() -> Tensor { sigmoidFast() }
    public func relu() -> Tensor { mapLanes { $0.replacing(with: 0, where: $0 .< 0) } }
    public func leakyRelu(slope: Float) -> Tensor { mapLanes { $0.replacing(with: $0 * slope, where: $0 .<= 0) } }
    public func softplus() -> Tensor { map { Tensor.softplus($0) } }
    public func square() -> Tensor { mapLanes { $0 * $0 } }
    public func sqrt() -> Tensor { mapLanes { $0.squareRoot() } }
    public func clamped(min low: Float, max high: Float) -> Tensor {
        mapLanes { $0.clamped(lowerBound: FastMath.Lanes(repeating: low), upperBound: FastMath.Lanes(repeating: high)) }
    }

    /// The logistic function, stable for large |x|.
    @inlinable
    public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
    }

    /// log(1 + e^x), stable for large |x|.
    @inlinable
    public static func softplus(_ x: Float) -> Float {
        Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    }

    /// True when every element is finite (no NaN or infinity).
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}
