import Foundation
import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// Convolutions against PyTorch's values, finite differences and their own algebra.
final class ConvolutionTests: XCTestCase {
    private var rng = SeededRNG(seed: 77)

    /// `conv-reference.safetensors`, written by `scripts/conv_reference.py` with torch 2.13.
    private func reference() throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/conv-reference.safetensors")
        return try SafeTensors.decode(Data(contentsOf: url), source: url.path)
    }

    private func assertClose(_ actual: Tensor?, _ expected: Tensor?, _ what: String, line: UInt = #line) {
        guard let actual, let expected else { return XCTFail("\(what): missing", line: line) }
        XCTAssertEqual(actual.shape, expected.shape, what, line: line)
        let scale = max(1, expected.scalars.map(abs).max() ?? 0)
        let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4 * scale, "\(what): worst difference \(worst)", line: line)
    }

    func test_outputsAndGradients_matchPyTorch() throws {
        let (tensors, metadata) = try reference()
        XCTAssertEqual(metadata["made_by"], "torch 2.13.0+cpu")
        var cases = 0
        for index in 0... {
            guard let text = metadata["case\(index)"] else { break }
            let settings = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let (kind, stride, padding) = (settings["kind"] as? String, settings["stride"] as? Int ?? 0, settings["padding"] as? Int ?? 0)
            func tensor(_ name: String) throws -> Tensor { try XCTUnwrap(tensors["case\(index).\(name)"], name) }
            let x = Variable(try tensor("x"), requiresGradient: true)
            let w = Variable(try tensor("w"), requiresGradient: true), b = Variable(try tensor("b"), requiresGradient: true)
            let y = kind == "conv2d" ? try x.conv2d(weight: w, bias: b, stride: stride, padding: padding)
                : try x.convTranspose2d(weight: w, bias: b, stride: stride, padding: padding)
            let name = "case \(index) (\(kind ?? "?"), stride \(stride), padding \(padding))"
            assertClose(y.value, try tensor("y"), "\(name) output")
            try (y * Variable(try tensor("gy"))).sum().backward()
            assertClose(x.gradient, try tensor("dx"), "\(name) input gradient")
            assertClose(w.gradient, try tensor("dw"), "\(name) weight gradient")
            assertClose(b.gradient, try tensor("db"), "\(name) bias gradient")
            cases += 1
        }
        XCTAssertEqual(cases, 6)
    }

    func test_gradients_matchFiniteDifferences() throws {
        let configurations: [(input: [Int], weight: [Int], stride: Int, padding: Int)] = [
            ([2, 2, 5, 4], [3, 2, 3, 2], 1, 0), ([1, 3, 6, 7], [2, 3, 3, 3], 2, 1), ([2, 1, 5, 5], [2, 1, 4, 4], 3, 2),
        ]
        for c in configurations {
            let inputs = [awayFromZero(c.input, using: &rng), awayFromZero(c.weight, using: &rng), awayFromZero([c.weight[0]], using: &rng)]
            let result = try checkGradients(inputs) { try $0[0].conv2d(weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding) }
            XCTAssertLessThan(result.worstError, 2e-2, "conv2d \(c): \(result)")
            let transposedWeight = [c.input[1], c.weight[0], c.weight[2], c.weight[3]]
            let transposedInputs = [awayFromZero(c.input, using: &rng), awayFromZero(transposedWeight, using: &rng), awayFromZero([c.weight[0]], using: &rng)]
            let transposed = try checkGradients(transposedInputs) {
                try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: c.stride, padding: min(c.padding, 1))
            }
            XCTAssertLessThan(transposed.worstError, 2e-2, "convTranspose2d \(c): \(transposed)")
        }
    }

    func test_batchNorm2dAndReshapes_matchFiniteDifferences() throws {
        let norm = BatchNorm2d(channels: 3)
        let result = try checkGradients([awayFromZero([2, 3, 2, 3], using: &rng)], step: 1e-3) { try norm($0[0]) }
        XCTAssertLessThan(result.worstError, 2e-2, "BatchNorm2d: \(result)")
        let flatten = try checkGradients([awayFromZero([2, 3, 2, 2], using: &rng)]) { try Reshape([3, 4])(try Flatten()($0[0])).tanh() }
        XCTAssertLessThan(flatten.worstError, 2e-2, "Flatten and Reshape: \(flatten)")
    }

    func test_batchNorm2d_normalizesEachChannel_andUsesRunningStatisticsInEvaluation() throws {
        let norm = BatchNorm2d(channels: 2, momentum: 1)
        var values = Tensor.normal([4, 2, 3, 3], using: &rng)
        values.withUnsafeMutableBufferPointer { v in for i in v.indices where (i / 9) % 2 == 1 { v[i] = v[i] * 5 + 10 } }
        let out = try norm(Variable(values)).value
        for channel in 0..<2 {
            let picked = out.scalars.enumerated().filter { ($0.offset / 9) % 2 == channel }.map(\.element)
            let mean = picked.reduce(0, +) / Float(picked.count)
            let variance = picked.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(picked.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-4)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
        XCTAssertEqual(norm.runningMean.value.scalars[1], 10, accuracy: 2.5, "momentum 1 keeps the batch's mean")
        norm.setTraining(false)
        let evaluated = try norm(Variable(values)).value
        XCTAssertEqual(evaluated.shape, values.shape)
        XCTAssertLessThan(abs(evaluated.scalars.reduce(0, +) / Float(evaluated.count)), 0.5)
    }

    func test_im2colAndCol2im_areAdjoint() throws {
        let geometry = try ConvolutionGeometry(channels: 2, height: 5, width: 6, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 1)
        let images = Tensor.normal([3, 2, 5, 6], using: &rng)
        let columns = Tensor.normal([geometry.windowSize, 3 * geometry.positions], using: &rng)
        let left = zip(try images.im2col(geometry).scalars, columns.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let right = zip(images.scalars, try columns.col2im(geometry, batch: 3).scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(left, right, accuracy: 1e-3 * max(1, abs(left)))
    }

    /// im2col by its definition, and col2im as its adjoint with each pixel's values added in
    /// window-offset order (random values: the bits show the order), on every kernel the CPU
    /// runs (the AVX-512 lowering of narrow lines and the portable one); strides 1, 2 and 3,
    /// padding wider than the kernel (lines wholly in padding), lines of one register and of
    /// two, and two threads.
    func test_im2colAndCol2im_matchTheirDefinitions() throws {
        let original = ProductKernel.instructionSet
        defer { ProductKernel.use(original) }
        let cases = [(28, 26, 1, 0, (3, 2)), (28, 26, 2, 1, (4, 4)), (28, 26, 3, 2, (2, 3)), (28, 26, 1, 3, (2, 2)),
                     (28, 26, 2, 0, (5, 5)), (14, 14, 2, 2, (5, 5)), (9, 12, 1, 1, (3, 3)), (7, 7, 2, 4, (3, 2))]
        for (height, width, stride, padding, kernel) in cases {
            let geometry = try ConvolutionGeometry(channels: 3, height: height, width: width, kernelHeight: kernel.0,
                                                   kernelWidth: kernel.1, stride: stride, padding: padding)
            let batch = 16, columns = batch * geometry.positions
            let images = Tensor.normal([batch, 3, height, width], using: &rng)
            let cols = Tensor.normal([geometry.windowSize, columns], using: &rng)
            var expected = [Float](repeating: 0, count: geometry.windowSize * columns)
            var adjoint = [Float](repeating: 0, count: images.count)
            for c in 0..<3 { for i in 0..<kernel.0 { for j in 0..<kernel.1 {
                let row = (c * kernel.0 + i) * kernel.1 + j
                for n in 0..<batch { for y in 0..<geometry.outputHeight { for x in 0..<geometry.outputWidth {
                    let (sy, sx) = (y * stride - padding + i, x * stride - padding + j)
                    let column = (n * geometry.outputHeight + y) * geometry.outputWidth + x
                    guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                    let pixel = ((n * 3 + c) * height + sy) * width + sx
                    expected[row * columns + column] = images.scalars[pixel]
                    adjoint[pixel] += cols.scalars[row * columns + column]
                } } }
            } } }
            for kernelSet in ProductKernel.InstructionSet.allCases.filter(\.isSupported) {
                XCTAssertTrue(ProductKernel.use(kernelSet))
                for threads in [1, 2] {
                    Parallelism.threads = threads
                    defer { Parallelism.threads = 1 }
                    let label = "\(height)x\(width), stride \(stride), padding \(padding), kernel \(kernel), \(kernelSet), \(threads) threads"
                    XCTAssertEqual(try images.im2col(geometry).scalars, expected, label)
                    XCTAssertEqual(try cols.col2im(geometry, batch: batch).scalars, adjoint, label)
                }
            }
        }
    }

    func test_samePadding_halvesAndDoublesLikeTheDCGAN() throws {
        let down1 = try Conv2d(inChannels: 1, outChannels: 4, kernel: 5, stride: 2, padding: .same, using: &rng)
        let down2 = try Conv2d(inChannels: 4, outChannels: 8, kernel: 5, stride: 2, padding: .same, using: &rng)
        let image = Variable(Tensor.normal([2, 1, 28, 28], using: &rng))
        XCTAssertEqual(try down2(try down1(image)).shape, [2, 8, 7, 7])
        let up = Sequential([
            Reshape([8, 7, 7]),
            try Conv2d(inChannels: 8, outChannels: 4, kernel: 4, stride: 2, padding: .same, transposed: true, using: &rng),
            try Conv2d(inChannels: 4, outChannels: 2, kernel: 4, stride: 2, padding: .same, transposed: true, using: &rng),
            try Conv2d(inChannels: 2, outChannels: 1, kernel: 7, stride: 1, padding: .same, transposed: true, using: &rng),
        ])
        XCTAssertEqual(try up(Variable(Tensor.normal([3, 8 * 49], using: &rng))).shape, [3, 1, 28, 28])
        XCTAssertEqual(up.namedParameters().map(\.path), ["1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
    }

    func test_misfits_throwErrorsNamingTheShapes() throws {
        func message(_ body: () throws -> Variable) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let x = Variable(Tensor.zeros([2, 3, 5, 5]))
        XCTAssertTrue(message { try x.conv2d(weight: Variable(Tensor.zeros([4, 2, 3, 3])), bias: nil, stride: 1, padding: 0) }
            .contains("[2, 3, 5, 5] and weight [4, 2, 3, 3] do not fit"))
        XCTAssertTrue(message { try x.conv2d(weight: Variable(Tensor.zeros([4, 3, 9, 9])), bias: nil, stride: 1, padding: 0) }
            .contains("does not fit a 5x5 image"))
        XCTAssertTrue(message { try x.convTranspose2d(weight: Variable(Tensor.zeros([3, 2, 2, 2])), bias: nil, stride: 1, padding: 4) }
            .contains("leaves no output"))
        XCTAssertThrowsError(try Conv2d(inChannels: 1, outChannels: 1, kernel: 4, padding: .same, using: &rng))
        XCTAssertThrowsError(try Conv2d(inChannels: 1, outChannels: 1, kernel: 5, stride: 2, padding: .same, transposed: true, using: &rng))
    }
}
