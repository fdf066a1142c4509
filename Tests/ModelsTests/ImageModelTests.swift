import ArchiveIO
import Datasets
import Evaluation
import Foundation
@testable import Models
import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// The convolutional forms of the neural models on image samples: real MNIST digits
/// (`Tests/Fixtures/mnist-1k-*`, the first 1,000 test images) scaled to [-1, 1].
final class ImageModelTests: XCTestCase {
    /// The fixture's images of the given digits, label 1 for `anomalous` digits.
    private func digits(_ kept: Set<Int>, anomalous: Set<Int>) throws -> Dataset {
        var request = IngestRequest(path: fixture("mnist-1k-images-idx3-ubyte.gz"))
        request.labelsPath = fixture("mnist-1k-labels-idx1-ubyte.gz")
        request.positive = anomalous.map(String.init)
        let all = try Ingest.read(request)
        var labelsRequest = IngestRequest(path: fixture("mnist-1k-labels-idx1-ubyte.gz"))
        labelsRequest.format = .idx
        let digit = try Ingest.read(labelsRequest).features.scalars.map { Int($0) }
        var options = PreprocessOptions()
        options.scaling = .pixels
        let rows = try all.rows(digit.indices.filter { kept.contains(digit[$0]) })
        return try Transform.fit(rows, options: options).apply(rows)
    }

    /// Small settings: few filters and epochs.
    private func settings(_ model: String, epochs: Int = 3) -> (GeneratorSettings, DetectorSettings) {
        var generator = GeneratorSettings(), detector = DetectorSettings()
        (generator.model, generator.epochs, generator.filters, generator.batchSize, generator.latentDim) = (model, epochs, 8, 32, 8)
        (detector.model, detector.epochs, detector.filters, detector.batchSize, detector.latentDim) = (model, epochs, 8, 32, 8)
        return (generator, detector)
    }

    func test_digitsKeepTheirShape_andPixelsScaleToTanhRange() throws {
        let data = try digits([0, 1], anomalous: [1])
        XCTAssertEqual(data.rowShape, [1, 28, 28])
        XCTAssertEqual(data.sampleShape, [1, 28, 28])
        XCTAssertEqual(data.columns.count, 784, "constant corner pixels are kept")
        XCTAssertEqual(data.features.scalars.min(), -1)
        XCTAssertEqual(data.features.scalars.max(), 1)
        XCTAssertThrowsError(try Transform.fit(data, options: PreprocessOptions())) { error in
            XCTAssertTrue("\(error)".contains("use scale \"pixels\""), "\(error)")
        }
    }

    func test_conditionalDCGANAndConvolutionalVAE_drawImagesOfTheAskedClass() throws {
        let data = try digits([0, 1], anomalous: [1])
        var rng = SeededRNG(seed: 3)
        let ones = try data.features.gatherRows(data.indices(ofClass: 1)), zeros = try data.features.gatherRows(data.indices(ofClass: 0))
        for model in ["gan", "vae"] {
            var (generatorSettings, _) = settings(model, epochs: model == "gan" ? 6 : 8)
            generatorSettings.conditional = true
            generatorSettings.learningRate = model == "gan" ? 2e-3 : 3e-3
            let generator = try ModelRegistry.generator(model).make(generatorSettings)
            XCTAssertTrue(generator.hasConvolutionalForm)
            _ = try generator.fit(data, using: &rng)
            let drawn = try generator.sample(SampleRequest(count: 64, label: 1), using: &rng)
            XCTAssertEqual(drawn.shape, [64, 784])
            if model == "gan" { XCTAssertTrue(drawn.scalars.allSatisfy { abs($0) <= 1 }, "tanh output") }
            // The class-1 draws look more like real ones than like real zeros (mean images compared).
            let toOnes = meanDistance(drawn, ones), toZeros = meanDistance(drawn, zeros)
            // Measured under the Haswell, Sandybridge, Prescott and SkylakeX kernels: gan 0.70, vae 0.49-0.58.
            XCTAssertLessThan(toOnes, (model == "gan" ? 0.85 : 0.75) * toZeros, "\(model): draws of class 1 are \(toOnes) from the ones' mean image, \(toZeros) from the zeros'")
        }
    }

    /// The convolutional detectors score in chunks (the stages' bounded memory) to the bits of one call.
    func test_convolutionalDetectors_scoreInChunks_toTheBitsOfOneCall() throws {
        let all = try digits([0, 1, 7], anomalous: [7])
        let train = try all.rows(Array(0..<200)), test = try all.rows(Array(200..<all.rowCount))
        var rng = SeededRNG(seed: 6)
        for model in ["autoencoder", "vae", "gan", "mlp"] {
            let detector = try ModelRegistry.detector(model).make(settings(model, epochs: 1).1)
            try detector.fit(train, using: &rng)
            XCTAssertEqual(try detector.scoreInChunks(test, chunk: 13), try detector.score(test), model)
        }
    }

    func test_convolutionalDetectors_tellOnesFromOtherDigits() throws {
        // One-class: learn the ones; every other digit is an anomaly. Supervised: also see other digits.
        let all = try digits(Set(0...9), anomalous: Set(0...9).subtracting([1]))
        let train = try all.rows(Array(0..<700)), test = try all.rows(Array(700..<1000))
        var rng = SeededRNG(seed: 4)
        for model in ["autoencoder", "vae", "gan", "mlp"] {
            var (_, detectorSettings) = settings(model, epochs: model == "mlp" ? 4 : 10)
            detectorSettings.learningRate = model == "gan" ? 1e-3 : 2e-3
            let detector = try ModelRegistry.detector(model).make(detectorSettings)
            XCTAssertTrue(detector.hasConvolutionalForm, model)
            try detector.fit(train, using: &rng)
            let auc = try XCTUnwrap(rocAUC(scores: try detector.score(test), labels: test.labels))
            XCTAssertGreaterThan(auc, 0.9, "\(model): ROC-AUC \(auc) (measured 0.985-1.0 under four kernels)")
        }
    }

    func test_savedImageModels_keepTheSampleShape_andPyTorchLayouts() throws {
        let data = try digits([0, 1], anomalous: [1])
        var rng = SeededRNG(seed: 5)
        var (generatorSettings, detectorSettings) = settings("gan", epochs: 1)
        generatorSettings.conditional = true
        let generator = try ModelRegistry.generator("gan").make(generatorSettings)
        _ = try generator.fit(data, using: &rng)
        let folder = try temporaryDirectory()
        let path = folder.appendingPathComponent("g.safetensors").path
        try GeneratorStore.save(generator, schema: data.schema, history: TrainingHistory(), to: path)
        let (loaded, description) = try GeneratorStore.load(path)
        XCTAssertEqual(description.schema.shape, [1, 28, 28])
        var a = SeededRNG(seed: 9), b = SeededRNG(seed: 9)
        XCTAssertEqual(try loaded.sample(SampleRequest(count: 3, label: 1), using: &a), try generator.sample(SampleRequest(count: 3, label: 1), using: &b))
        let (tensors, _) = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        // Dense(7·7·32), then ConvTranspose2d weights [in, out, kh, kw] and Conv2d weights [out, in, kh, kw], as PyTorch's.
        XCTAssertEqual(tensors["generator.0.weight"]?.shape, [32 * 49, 64 + 2], "noise and the class")
        XCTAssertEqual(tensors["generator.3.weight"]?.shape, [32, 16, 4, 4])
        XCTAssertEqual(tensors["generator.7.weight"]?.shape, [8, 1, 7, 7])
        XCTAssertEqual(tensors["discriminator.1.weight"]?.shape, [8, 3, 5, 5], "one image channel and two class channels")
        XCTAssertEqual(tensors["discriminator.6.weight"]?.shape, [1, 16 * 49])
        detectorSettings.architecture = .conv
        detectorSettings.model = "iforest"
        XCTAssertFalse(try ModelRegistry.detector("iforest").make(detectorSettings).hasConvolutionalForm)
        XCTAssertFalse(try ModelRegistry.detector("logistic").make(detectorSettings).hasConvolutionalForm)
        let table = try Dataset(features: Tensor.zeros([4, 3]), columns: (0..<3).map { Column(name: "c\($0)", kind: .numeric(integer: false)) },
                                labels: [0, 0, 1, 1])
        var conv = GeneratorSettings()
        conv.architecture = .conv
        XCTAssertEqual(errorMessage { try ModelRegistry.generator("vae").make(conv).fit(table, using: &rng) },
                       "vae: architecture conv needs image samples [channels, height, width], got [3]")
    }

    /// Distance between the mean rows of two sets.
    private func meanDistance(_ a: Tensor, _ b: Tensor) -> Float {
        let (ma, mb) = ((try? a.mean(axis: 0))?.scalars ?? [], (try? b.mean(axis: 0))?.scalars ?? [])
        return zip(ma, mb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
}
