import TensorCore

extension Variable {
    /// A 2-D convolution (cross-correlation, as PyTorch's `conv2d`) of NCHW images.
    /// - Parameters:
    ///   - weight: `[outChannels, inChannels, kernelHeight, kernelWidth]`.
    ///   - bias: `[outChannels]`, optional.
    /// - Returns: `[batch, outChannels, outputHeight, outputWidth]`.
    /// - Throws: `ShapeError` naming the shapes when the input, weight and bias do not fit.
    public func conv2d(weight: Variable, bias: Variable?, stride: Int, padding: Int) throws -> Variable {
        let (x, w) = (value, weight.value)
        guard x.rank == 4, w.rank == 4, w.shape[1] == x.shape[1] else {
            throw ShapeError("conv2d", "input \(describe(x.shape)) and weight \(describe(w.shape)) do not fit (expected [batch, C, H, W] and [out, C, kh, kw])")
        }
        let geometry = try ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                               kernelHeight: w.shape[2], kernelWidth: w.shape[3], stride: stride, padding: padding)
        let (batch, outputs) = (x.shape[0], w.shape[0])
        let kernel = try w.reshaped([outputs, geometry.windowSize])
        let cols = try x.im2col(geometry)
        var result = try kernel.matmul(cols).reshaped([outputs, batch, geometry.positions]).swappingOuterAxes()
            .reshaped([batch, outputs, geometry.outputHeight, geometry.outputWidth])
        if let bias { try result.addChannelBias(bias.value) }
        let parents = bias.map { [self, weight, $0] } ?? [self, weight]
        return Variable.record(result, parents: parents) { [self] g in
            let gradient = g.matrixByChannel()  // [outputs, batch * positions]
            if weight.requiresGradient {
                weight.accumulate(gradient.productUnchecked(cols, transposeOther: true).reshapedUnchecked(w.shape))
            }
            if requiresGradient {
                let columns = kernel.productUnchecked(gradient, transposeSelf: true)
                accumulate(columns.col2imUnchecked(geometry, batch: batch))
            }
            if let bias, bias.requiresGradient { bias.accumulate(g.channelSums().reshapedUnchecked(bias.shape)) }
        }
    }

    /// A 2-D transposed convolution (PyTorch's `conv_transpose2d`): the adjoint of `conv2d`,
    /// which upsamples by `stride`. Output size `(in - 1) * stride - 2 * padding + kernel`.
    /// - Parameters:
    ///   - weight: `[inChannels, outChannels, kernelHeight, kernelWidth]` (PyTorch's layout).
    ///   - bias: `[outChannels]`, optional.
    /// - Throws: `ShapeError` naming the shapes when they do not fit.
    public func convTranspose2d(weight: Variable, bias: Variable?, stride: Int, padding: Int) throws -> Variable {
        let (x, w) = (value, weight.value)
        guard x.rank == 4, w.rank == 4, w.shape[0] == x.shape[1], stride > 0, padding >= 0 else {
            throw ShapeError("convTranspose2d", "input \(describe(x.shape)) and weight \(describe(w.shape)) do not fit (expected [batch, C, H, W] and [C, out, kh, kw])")
        }
        let (batch, inputs, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outHeight = (height - 1) * stride - 2 * padding + w.shape[2]
        let outWidth = (width - 1) * stride - 2 * padding + w.shape[3]
        guard outHeight > 0, outWidth > 0 else {
            throw ShapeError("convTranspose2d", "padding \(padding) leaves no output for \(describe(x.shape)) and kernel \(describe(w.shape))")
        }
        // The convolution this one is the adjoint of: from the output image back to the input's positions.
        let geometry = try ConvolutionGeometry(channels: w.shape[1], height: outHeight, width: outWidth,
                                               kernelHeight: w.shape[2], kernelWidth: w.shape[3], stride: stride, padding: padding)
        let kernel = try w.reshaped([inputs, geometry.windowSize])
        let rows = x.matrixByChannel()  // [inputs, batch * height * width]
        var result = try kernel.matmul(rows, transposeSelf: true).col2im(geometry, batch: batch)
        if let bias { try result.addChannelBias(bias.value) }
        let parents = bias.map { [self, weight, $0] } ?? [self, weight]
        return Variable.record(result, parents: parents) { [self] g in
            let columns = g.im2colUnchecked(geometry)  // [windowSize, batch * height * width]
            if weight.requiresGradient {
                weight.accumulate(rows.productUnchecked(columns, transposeOther: true).reshapedUnchecked(w.shape))
            }
            if requiresGradient {
                accumulate(kernel.productUnchecked(columns).reshapedUnchecked([inputs, batch, height * width])
                    .swappedUnchecked().reshapedUnchecked(x.shape))
            }
            if let bias, bias.requiresGradient { bias.accumulate(g.channelSums().reshapedUnchecked(bias.shape)) }
        }
    }
}

extension Tensor {
    /// `[batch, channels, h, w]` as the matrix `[channels, batch * h * w]`.
    func matrixByChannel() -> Tensor {
        let (batch, channels) = (shape[0], shape[1])
        return reshapedUnchecked([batch, channels, count / Swift.max(1, batch * channels)]).swappedUnchecked()
            .reshapedUnchecked([channels, count / Swift.max(1, channels)])
    }

    func swappedUnchecked() -> Tensor {
        do { return try swappingOuterAxes() } catch { preconditionFailure("\(error)") }
    }

    func productUnchecked(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        do { return try matmul(other, transposeSelf: transposeSelf, transposeOther: transposeOther) } catch { preconditionFailure("\(error)") }
    }

    func im2colUnchecked(_ geometry: ConvolutionGeometry) -> Tensor {
        do { return try im2col(geometry) } catch { preconditionFailure("\(error)") }
    }

    func col2imUnchecked(_ geometry: ConvolutionGeometry, batch: Int) -> Tensor {
        do { return try col2im(geometry, batch: batch) } catch { preconditionFailure("\(error)") }
    }
}

extension Variable {
    /// Joins `[batch, channels_i, rest...]` values along the channel axis; each part's gradient is its slice.
    /// - Throws: `ShapeError` unless they share the batch and the axes after the channels.
    public static func concatChannels(_ parts: [Variable]) throws -> Variable {
        let result = try Tensor.concatChannels(parts.map(\.value))
        return record(result, parents: parts) { g in
            let batch = result.shape[0], total = result.count / Swift.max(1, batch)
            var offset = 0
            g.withUnsafeBufferPointer { gradient in
                for part in parts {
                    let size = part.value.count / Swift.max(1, batch)
                    defer { offset += size }
                    guard part.requiresGradient, let from = gradient.baseAddress else { continue }
                    part.accumulate(Tensor.build(shape: part.shape) { out in
                        guard let to = out.baseAddress else { return }
                        for n in 0..<batch { (to + n * size).update(from: from + n * total + offset, count: size) }
                    })
                }
            }
        }
    }
}
