import CKernels

/// The geometry of a 2-D convolution over NCHW images: a `kernel` window moved by
/// `stride` over an image padded with `padding` zeros on every side.
///
/// A convolution lowers to one matrix product through `im2col` (each output position
/// becomes a column of the window's values); a transposed convolution is the adjoint:
/// a product, then `col2im` adds the columns back into an image.
public struct ConvolutionGeometry: Equatable, Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int

    /// - Throws: `ShapeError` when the window does not fit the padded image or a size is not positive.
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) throws {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        guard channels > 0, height > 0, width > 0, kernelHeight > 0, kernelWidth > 0, stride > 0, padding >= 0 else {
            throw ShapeError("conv2d", "sizes must be positive: \(self)")
        }
        guard height + 2 * padding >= kernelHeight, width + 2 * padding >= kernelWidth else {
            throw ShapeError("conv2d", "a \(kernelHeight)x\(kernelWidth) kernel does not fit a \(height)x\(width) image padded by \(padding)")
        }
    }

    /// Rows of the output image.
    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Columns of the output image.
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output positions per image: the columns one image contributes to `im2col`.
    public var positions: Int { outputHeight * outputWidth }
    /// Values under one window: the rows of `im2col`.
    public var windowSize: Int { channels * kernelHeight * kernelWidth }
    /// Values of one input image.
    public var imageSize: Int { channels * height * width }
}

extension ConvolutionGeometry: CustomStringConvertible {
    public var description: String {
        "\(channels)x\(height)x\(width) image, \(kernelHeight)x\(kernelWidth) kernel, stride \(stride), padding \(padding)"
    }
}

extension Tensor {
    /// The windows of a batch of images as columns: `[windowSize, batch * positions]`, row
    /// `(c * kh + i) * kw + j` holding pixel `(c, y*stride - padding + i, x*stride - padding + j)`
    /// of every output position `(y, x)` of every image (zero where that is padding).
    /// - Throws: `ShapeError` unless the tensor is `[batch, channels, height, width]` of the geometry.
    public func im2col(_ geometry: ConvolutionGeometry) throws -> Tensor {
        let batch = try checkImages(geometry, operation: "im2col")
        return withUnsafeBufferPointer { images in
            Tensor.build(shape: [geometry.windowSize, batch * geometry.positions]) { cols in
                guard let source = images.baseAddress, let target = cols.baseAddress else { return }
                var lowering = geometry.lowering
                geometry.forEachPlaneRange(batch: batch, work: cols.count) { planes in
                    anomsynth_im2col(&lowering, batch, source, target, planes.lowerBound, planes.upperBound)
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every column value back into the pixel it came from,
    /// giving `[batch, channels, height, width]` (padding positions are dropped). Each pixel
    /// receives its values in window-offset order, whatever the thread count.
    /// - Throws: `ShapeError` unless the tensor is `[windowSize, batch * positions]`.
    public func col2im(_ geometry: ConvolutionGeometry, batch: Int) throws -> Tensor {
        guard shape == [geometry.windowSize, batch * geometry.positions] else {
            throw ShapeError("col2im", "expected \(describe([geometry.windowSize, batch * geometry.positions])) for \(batch) images of \(geometry), got \(describe(shape))")
        }
        return withUnsafeBufferPointer { cols in
            Tensor.build(shape: [batch, geometry.channels, geometry.height, geometry.width]) { images in
                guard let source = cols.baseAddress, let target = images.baseAddress else {
                    images.initialize(repeating: 0)
                    return
                }
                var lowering = geometry.lowering
                // One plane's pixels are written by one thread (it zeroes them first).
                geometry.forEachPlaneRange(batch: batch, work: cols.count) { planes in
                    anomsynth_col2im(&lowering, batch, source, target, planes.lowerBound, planes.upperBound)
                }
            }
        }
    }

    /// Swaps the two outer axes: `[a, b, rest...]` becomes `[b, a, rest...]` (e.g. a batch of
    /// `[batch, channels, positions]` images to the `[channels, batch * positions]` matrix layout).
    /// - Throws: `ShapeError` for a tensor of rank below 2.
    public func swappingOuterAxes() throws -> Tensor {
        guard rank >= 2 else { throw ShapeError("swapOuterAxes", "needs two axes, got \(describe(shape))") }
        let (a, b, inner) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
        var swapped = shape
        swapped.swapAt(0, 1)
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: swapped) { out in
                guard let from = source.baseAddress, let to = out.baseAddress else { return }
                for i in 0..<a {
                    for j in 0..<b { (to + (j * a + i) * inner).update(from: from + (i * b + j) * inner, count: inner) }
                }
            }
        }
    }

    /// Checks `[batch, channels, height, width]` against a geometry and returns the batch.
    func checkImages(_ geometry: ConvolutionGeometry, operation: String) throws -> Int {
        guard rank == 4, shape.dropFirst().elementsEqual([geometry.channels, geometry.height, geometry.width]) else {
            throw ShapeError(operation, "expected [batch, \(geometry.channels), \(geometry.height), \(geometry.width)], got \(describe(shape))")
        }
        return shape[0]
    }
}

extension ConvolutionGeometry {
    /// The geometry as the C kernels take it.
    var lowering: anomsynth_convolution {
        anomsynth_convolution(channels: channels, height: height, width: width, kernel_height: kernelHeight,
                              kernel_width: kernelWidth, stride: stride, padding: padding)
    }

    /// Runs `body` on ranges of planes (plane `c * batch + n`: channel `c` of image `n`) that
    /// cover them all, split over `Parallelism.threads` when the `work` (elements) is large:
    /// planes, not channels, so that one-channel images split too.
    func forEachPlaneRange(batch: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let planes = channels * batch, perPlane = Swift.max(1, work / Swift.max(1, planes))
        Parallelism.forEachChunk(count: planes, grain: Swift.max(1, Parallelism.elementwiseGrain / perPlane)) { range in
            if !range.isEmpty { body(range) }
        }
    }
}

extension Tensor {
    /// Adds `bias[channel]` to every element of each channel of `[batch, channels, rest...]`, in place.
    /// - Throws: `ShapeError` unless `bias` has one value per channel.
    public mutating func addChannelBias(_ bias: Tensor) throws {
        guard rank >= 2, bias.count == shape[1] else {
            throw ShapeError("bias", "\(describe(bias.shape)) does not give one value per channel of \(describe(shape))")
        }
        let (channels, inner, blocks) = (shape[1], shape.dropFirst(2).reduce(1, *), shape[0] * shape[1])
        withUnsafeMutableBufferPointer { out in
            bias.withUnsafeBufferPointer { b in
                for block in 0..<blocks {
                    let value = b[block % channels]
                    for i in (block * inner)..<((block + 1) * inner) { out[i] += value }
                }
            }
        }
    }

    /// Sums of `[batch, channels, rest...]` per channel (over batch and positions): `[channels]`.
    public func channelSums() -> Tensor {
        let channels = rank >= 2 ? shape[1] : 1
        let inner = shape.dropFirst(2).reduce(1, *)
        var sums = [Double](repeating: 0, count: channels)
        withUnsafeBufferPointer { values in
            for block in 0..<(count / Swift.max(1, channels * inner) * channels) {
                var total = 0.0
                for i in (block * inner)..<((block + 1) * inner) { total += Double(values[i]) }
                sums[block % channels] += total
            }
        }
        return Tensor(unchecked: [channels], scalars: sums.map { Float($0) })
    }
}

extension Tensor {
    /// Joins `[batch, channels_i, rest...]` tensors along the channel axis.
    /// - Throws: `ShapeError` unless they share the batch and the axes after the channels.
    public static func concatChannels(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first, first.rank >= 2,
              parts.allSatisfy({ $0.rank == first.rank && $0.shape[0] == first.shape[0] && $0.shape.dropFirst(2) == first.shape.dropFirst(2) }) else {
            throw ShapeError("concatChannels", "shapes do not join along channels: " + parts.map { describe($0.shape) }.joined(separator: ", "))
        }
        let batch = first.shape[0]
        let sizes = parts.map { $0.count / Swift.max(1, batch) }, total = sizes.reduce(0, +)
        var shape = first.shape
        shape[1] = parts.reduce(0) { $0 + $1.shape[1] }
        return Tensor.build(shape: shape) { out in
            guard let to = out.baseAddress else { return }
            var offset = 0
            for (part, size) in zip(parts, sizes) {
                part.withUnsafeBufferPointer { source in
                    guard let from = source.baseAddress else { return }
                    for n in 0..<batch { (to + n * total + offset).update(from: from + n * size, count: size) }
                }
                offset += size
            }
        }
    }
}
