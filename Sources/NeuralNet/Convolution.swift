import Foundation
import TensorCore

/// Zero padding of a convolution's input.
public enum ConvolutionPadding: Equatable, Sendable, Codable {
    /// The same number of zeros on every side.
    case explicit(Int)
    /// Keras's "same": a convolution keeps `ceil(size / stride)`, a transposed one makes
    /// `size * stride` (symmetric padding, as PyTorch needs: the kernel must allow it).
    case same
}

/// A 2-D convolution layer over NCHW images, or its transpose (upsampling), with
/// PyTorch's layouts: `Conv2d` weight `[outChannels, inChannels, kh, kw]`,
/// `ConvTranspose2d` weight `[inChannels, outChannels, kh, kw]`; bias `[outChannels]`.
public final class Conv2d: Layer {
    public let weight: Variable
    public let bias: Variable
    public let stride: Int
    public let padding: Int
    /// A transposed convolution (PyTorch's `ConvTranspose2d`).
    public let transposed: Bool

    /// - Parameters:
    ///   - transposed: PyTorch's `ConvTranspose2d`: "same" padding then means `size * stride` out.
    /// - Throws: `ShapeError` for non-positive sizes or a kernel that cannot have symmetric
    ///   "same" padding (a convolution needs an odd kernel, a transposed one `kernel - stride` even).
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: ConvolutionPadding = .explicit(0),
                transposed: Bool = false, initialization: WeightInitialization = .he, using rng: inout SeededRNG) throws {
        let layer = transposed ? "ConvTranspose2d" : "Conv2d"
        guard inChannels > 0, outChannels > 0, kernel > 0, stride > 0 else {
            throw ShapeError(layer, "channels, kernel and stride must be positive")
        }
        switch padding {
        case .explicit(let zeros): self.padding = zeros
        case .same where !transposed:
            guard kernel % 2 == 1 else { throw ShapeError(layer, "\"same\" padding needs an odd kernel, got \(kernel)") }
            self.padding = (kernel - 1) / 2
        case .same:
            guard kernel >= stride, (kernel - stride) % 2 == 0 else {
                throw ShapeError(layer, "\"same\" padding needs kernel - stride even and non-negative, got kernel \(kernel), stride \(stride)")
            }
            self.padding = (kernel - stride) / 2
        }
        self.stride = stride
        self.transposed = transposed
        let area = kernel * kernel
        // PyTorch's fan-in of a transposed convolution's weight [in, out, k, k] is out * k * k.
        let fanIn = (transposed ? outChannels : inChannels) * area
        let shape = transposed ? [inChannels, outChannels, kernel, kernel] : [outChannels, inChannels, kernel, kernel]
        weight = Variable(initialWeights(shape, fanIn: fanIn, fanOut: outChannels * area, initialization, using: &rng), requiresGradient: true)
        bias = Variable(Tensor.zeros([outChannels]), requiresGradient: true)
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        transposed ? try input.convTranspose2d(weight: weight, bias: bias, stride: stride, padding: padding)
            : try input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public func namedParameters() -> [NamedVariable] { [("weight", weight), ("bias", bias)] }
}

/// Seeded initial weights for a layer with the given fan-in and fan-out.
func initialWeights(_ shape: [Int], fanIn: Int, fanOut: Int, _ initialization: WeightInitialization,
                    using rng: inout SeededRNG) -> Tensor {
    switch initialization {
    case .he:
        return Tensor.normal(shape, standardDeviation: Float(Foundation.sqrt(2.0 / Double(fanIn))), using: &rng)
    case .xavier:
        let bound = Float(Foundation.sqrt(6.0 / Double(fanIn + fanOut)))
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    case .pytorch:
        let bound = Float(1 / Foundation.sqrt(Double(fanIn)))
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }
}

/// Views each sample under another shape, the batch axis kept: `[batch, a...]` to `[batch, b...]`
/// (PyTorch's `view(-1, *shape)`), e.g. a dense layer's `[batch, 12544]` as `[batch, 256, 7, 7]`.
public final class Reshape: Layer {
    /// The shape of one sample after the layer.
    public let sampleShape: [Int]

    public init(_ sampleShape: [Int]) { self.sampleShape = sampleShape }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try input.reshaped([input.shape.first ?? 0] + sampleShape)
    }

    public func namedParameters() -> [NamedVariable] { [] }
}

/// Flattens each sample to a row: `[batch, ...]` to `[batch, features]`.
public final class Flatten: Layer {
    public init() {}

    public func callAsFunction(_ input: Variable) throws -> Variable {
        let batch = input.shape.first ?? 0
        return try input.reshaped([batch, input.value.count / max(1, batch)])
    }

    public func namedParameters() -> [NamedVariable] { [] }
}
