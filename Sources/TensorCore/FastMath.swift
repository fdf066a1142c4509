/// Vectorized exponential and log1p for the hot elementwise kernels (sigmoid, binary
/// cross-entropy), eight floats at a time. Cephes' single-precision polynomials:
/// within 2 ulp of the C library over the float range (tested).
public enum FastMath {
    public typealias Lanes = SIMD8<Float>

    /// e^x per lane; inputs are clamped to ±88.37 (results saturate instead of overflowing).
    @inline(__always)
    public static func exp(_ input: Lanes) -> Lanes {
        let x0 = input.clamped(lowerBound: Lanes(repeating: -87.3), upperBound: Lanes(repeating: 88.37))
        let n = (x0 * 1.44269504088896341 + 0.5).rounded(.down)
        let x = x0 - n * 0.693359375 - n * -2.12194440e-4
        var y: Lanes = Lanes(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * x * x + x + 1
        // 2^n from the bits: adding 1.5 * 2^23 puts the integer n in the low mantissa bits.
        let integer = unsafeBitCast(n + 12_582_912, to: SIMD8<UInt32>.self) &- 0x4B40_0000
        return y * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
    }

    /// log(1 + e) per lane for e in [0, 1] (the softplus tail `log1p(exp(-|x|))`).
    @inline(__always)
    public static func log1pUnit(_ e: Lanes) -> Lanes {
        // 1 + e lies in [1, 2]: halve it above sqrt(2) so that the polynomial's argument stays small.
        let u = 1 + e
        let high = u .> 1.41421356
        let m = u.replacing(with: u * 0.5, where: high)
        let k = Lanes(repeating: 0).replacing(with: 1, where: high)
        // The rounding error of 1 + e, added back so tiny e are not lost.
        let correction = (e - (u - 1)) / u
        let x = m - 1
        let z = x * x
        var y: Lanes = Lanes(repeating: 7.0376836292e-2)
        y = y * x - 1.1514610310e-1
        y = y * x + 1.1676998740e-1
        y = y * x - 1.2420140846e-1
        y = y * x + 1.4249322787e-1
        y = y * x - 1.6668057665e-1
        y = y * x + 2.0000714765e-1
        y = y * x - 2.4999993993e-1
        y = y * x + 3.3333331174e-1
        y = y * x * z
        y = y + k * -2.12194440e-4 - 0.5 * z
        return x + y + k * 0.693359375 + correction
    }

    /// tanh per lane: Cephes' odd polynomial below |x| = 0.625, `1 - 2 / (e^2|x| + 1)` above.
    @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let z = x * x
        var small: Lanes = Lanes(repeating: -5.70498872745e-3)
        small = small * z + 2.06390887954e-2
        small = small * z - 5.37397155531e-2
        small = small * z + 1.33314422036e-1
        small = small * z - 3.33332819422e-1
        small = small * z * x + x
        var large = 1 - 2 / (exp(magnitude + magnitude) + 1)
        large.replace(with: -large, where: x .< 0)
        return large.replacing(with: small, where: magnitude .< 0.625)
    }

    /// Maps every element of a buffer through a lane function into another buffer.
    @inline(__always)
    public static func map(_ source: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, _ body: (Lanes) -> Lanes) {
        guard let input = source.baseAddress, let output = out.baseAddress else { return }
        Parallelism.forEachChunk(count: source.count) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let n = min(Lanes.scalarCount, range.upperBound - i)
                store(body(load(input + i, n)), output + i, n)
                i += n
            }
        }
    }

    /// Applies a lane function over a buffer, with a scalar tail through the same lanes.
    @inline(__always)
    public static func apply(_ count: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i + Lanes.scalarCount <= count {
            body(i, Lanes.scalarCount)
            i += Lanes.scalarCount
        }
        if i < count { body(i, count - i) }
    }

    /// Loads up to 8 floats (zero-padded).
    @inline(__always)
    public static func load(_ pointer: UnsafePointer<Float>, _ count: Int) -> Lanes {
        if count == Lanes.scalarCount { return UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self) }
        var lanes = Lanes(repeating: 0)
        for k in 0..<count { lanes[k] = pointer[k] }
        return lanes
    }

    /// Stores the first `count` lanes.
    @inline(__always)
    public static func store(_ lanes: Lanes, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == Lanes.scalarCount {
            UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: Lanes.self)
            return
        }
        for k in 0..<count { pointer[k] = lanes[k] }
    }
}

extension Tensor {
    /// Applies a lane function to every element (vectorized, split over the cores when large).
    @inlinable
    public func mapLanes(_ body: (FastMath.Lanes) -> FastMath.Lanes) -> Tensor {
        withUnsafeBufferPointer { source in
            Tensor.build(shape: shape) { out in FastMath.map(source, into: out, body) }
        }
    }

    /// The logistic function, vectorized and stable for large |x|.
    public func sigmoidFast() -> Tensor {
        mapLanes { x in
            let e = FastMath.exp(-abs(x))
            let positive = 1 / (1 + e)
            return positive.replacing(with: e * positive, where: x .< 0)
        }
    }
}

@usableFromInline func abs(_ x: FastMath.Lanes) -> FastMath.Lanes { x.replacing(with: -x, where: x .< 0) }
