import Foundation

/// A seeded, platform-independent random number generator (xoshiro256**).
///
/// The state is seeded through SplitMix64, so every seed (0 included) gives a
/// well-mixed state, and the same seed gives the same stream on every platform.
/// Every random choice in AnomSynth takes one of these explicitly.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// A generator for a named sub-task, independent of the parent's stream:
    /// the seed mixes the parent's next value with the label's FNV-1a hash.
    public mutating func derive(_ label: String) -> SeededRNG {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return SeededRNG(seed: next() ^ hash)
    }

    public static func == (lhs: SeededRNG, rhs: SeededRNG) -> Bool {
        lhs.state == rhs.state
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        nextBits()
    }

    @usableFromInline
    mutating func nextBits() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform float in [0, 1) with 24 random bits.
    @inlinable
    public mutating func uniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform float in [low, high).
    @inlinable
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// A uniform integer in `0..<bound` without modulo bias (Lemire's method).
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A standard normal float (Box-Muller on 53-bit uniforms, computed in double precision).
    public mutating func normal() -> Float { normalPair().0 }

    /// Two independent standard normal floats from one Box-Muller transform.
    public mutating func normalPair() -> (Float, Float) {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53  // (0, 1]
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (Float(radius * Foundation.cos(angle)), Float(radius * Foundation.sin(angle)))
    }

    /// A normal float with the given mean and standard deviation.
    public mutating func normal(mean: Float, standardDeviation: Float) -> Float {
        mean + standardDeviation * normal()
    }

    /// Shuffles a collection in place (Fisher-Yates).
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ values: inout C) {
        let count = values.count
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = index(below: i + 1)
            values.swapAt(values.index(values.startIndex, offsetBy: i), values.index(values.startIndex, offsetBy: j))
        }
    }

    /// A random permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        shuffle(&values)
        return values
    }

    /// `count` distinct indices from `0..<population`, in the order drawn.
    /// - Precondition: `count <= population`.
    public mutating func sampleWithoutReplacement(_ count: Int, from population: Int) -> [Int] {
        precondition(count >= 0 && count <= population, "cannot draw \(count) distinct of \(population)")
        var pool = [Int: Int]()  // sparse partial Fisher-Yates
        var result = [Int]()
        result.reserveCapacity(count)
        for i in 0..<count {
            let j = i + index(below: population - i)
            let picked = pool[j] ?? j
            pool[j] = pool[i] ?? i
            result.append(picked)
        }
        return result
    }
}

extension Tensor {
    /// A tensor of independent standard normal draws times `standardDeviation`.
    ///
    /// Large tensors are drawn in blocks of 32,768 values, each from its own generator
    /// seeded in order from `rng`, in parallel: the values depend on the seed only, not
    /// on the thread count.
    public static func normal(_ shape: [Int], standardDeviation: Float = 1, using rng: inout SeededRNG) -> Tensor {
        let block = 1 << 15
        return Tensor.build(shape: shape) { out in
            guard out.count >= 2 * block, let base = out.baseAddress else {
                fillNormal(out, standardDeviation: standardDeviation, using: &rng)
                return
            }
            let blocks = (out.count + block - 1) / block
            let seeds = (0..<blocks).map { _ in rng.next() }
            let parts = min(Parallelism.threads, blocks)
            Parallelism.run(parts: parts) { part in
                for index in stride(from: part, to: blocks, by: parts) {
                    var local = SeededRNG(seed: seeds[index])
                    let start = index * block
                    fillNormal(UnsafeMutableBufferPointer(start: base + start, count: min(block, out.count - start)),
                               standardDeviation: standardDeviation, using: &local)
                }
            }
        }
    }

    private static func fillNormal(_ out: UnsafeMutableBufferPointer<Float>, standardDeviation: Float, using rng: inout SeededRNG) {
        var i = 0
        while i + 1 < out.count {
            let (a, b) = rng.normalPair()
            out[i] = standardDeviation * a
            out[i + 1] = standardDeviation * b
            i += 2
        }
        if i < out.count { out[i] = standardDeviation * rng.normal() }
    }

    /// A tensor of independent uniform draws in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout SeededRNG) -> Tensor {
        Tensor.build(shape: shape) { out in
            for i in out.indices { out[i] = rng.uniform(low, high) }
        }
    }
}
