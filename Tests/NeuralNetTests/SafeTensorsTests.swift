import Foundation
import NeuralNet
import TensorCore
import TestSupport
import XCTest

final class SafeTensorsTests: XCTestCase {
    private let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference.safetensors")

    func test_encodeDecode_roundTripsTensorsAndMetadata() throws {
        let tensors = ["b": try Tensor(rows: [[1, 2, 3]]), "a": Tensor(scalar: -0.5), "empty": Tensor.zeros([0, 4])]
        let data = SafeTensors.encode(tensors, metadata: ["k": "v \"quoted\""])
        XCTAssertEqual(data.count % 8, 0)
        let (decoded, metadata) = try SafeTensors.decode(data, source: "memory")
        XCTAssertEqual(decoded, tensors)
        XCTAssertEqual(metadata, ["k": "v \"quoted\""])
        XCTAssertEqual(SafeTensors.encode(tensors, metadata: ["k": "v \"quoted\""]), data, "same tensors, same bytes")
    }

    func test_fileWrittenByPythonSafetensors_decodes() throws {
        let (tensors, metadata) = try SafeTensors.decode(Data(contentsOf: fixture), source: fixture.path)
        XCTAssertEqual(tensors["layer.weight"], try Tensor(shape: [2, 3], scalars: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        XCTAssertEqual(tensors["layer.bias"]?.scalars, [-1.5, 2.25])
        XCTAssertEqual(tensors["double"]?.scalars, [0.1, 1e10])
        XCTAssertEqual(metadata["made_by"], "safetensors.numpy 0.8.0")
    }

    func test_fileWrittenHere_loadsInPythonSafetensors() throws {
        guard let python = python(with: ["safetensors", "numpy"]) else {
            throw XCTSkip("no Python with safetensors and numpy: run `make setup`")
        }
        let folder = try temporaryDirectory()
        let file = folder.appendingPathComponent("w.safetensors")
        try SafeTensors.encode(["enc.0.weight": try Tensor(rows: [[1.5, -2], [3, 4.25]]), "enc.0.bias": Tensor(repeating: 7, shape: [2])])
            .write(to: file)
        let script = """
            from safetensors.numpy import load_file
            t = load_file('\(file.path)')
            assert t['enc.0.weight'].dtype.name == 'float32', t['enc.0.weight'].dtype
            print(sorted(t), t['enc.0.weight'].tolist(), t['enc.0.bias'].tolist())
            """
        let result = try runProcess(python, ["-c", script])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines),
                       "['enc.0.bias', 'enc.0.weight'] [[1.5, -2.0], [3.0, 4.25]] [7.0, 7.0]")
    }

    func test_corruptFiles_giveClearErrors() throws {
        let good = try Data(contentsOf: fixture)
        func message(_ data: Data) -> String {
            do { _ = try SafeTensors.decode(data, source: "w.safetensors"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(Data([1, 2, 3])).contains("shorter than the 8-byte header"))
        XCTAssertTrue(message(good.prefix(40)).contains("does not fit"), message(good.prefix(40)))
        XCTAssertTrue(message(good.prefix(good.count - 4)).contains("outside"), message(good.prefix(good.count - 4)))
        var badJSON = good
        badJSON[9] = UInt8(ascii: "!")
        XCTAssertTrue(message(badJSON).hasPrefix("w.safetensors: header is not valid JSON"), message(badJSON))
        var header = Array(#"{"x":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#.utf8)
        while header.count % 8 != 0 { header.append(32) }
        var file = Data(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
        file.append(contentsOf: header)
        file.append(0)
        XCTAssertTrue(message(file).contains("dtype I8 is not supported"), message(file))
    }
}

final class CheckpointTests: XCTestCase {
    private func network(seed: UInt64) -> Sequential {
        var rng = SeededRNG(seed: seed)
        return Sequential([Linear(inputs: 3, outputs: 4, using: &rng), BatchNorm1d(features: 4), Activation(.relu),
                           Linear(inputs: 4, outputs: 2, using: &rng)])
    }

    private struct Config: Codable, Equatable { let hiddenUnits: Int }

    /// Trains a small network on seeded data and saves it; returns the file's bytes.
    private func trainAndSave(seed: UInt64, to file: URL) throws -> Data {
        let net = network(seed: seed)
        var rng = SeededRNG(seed: seed + 1)
        var adam = Adam(learningRate: 1e-2)
        let data = Tensor.normal([64, 3], using: &rng)
        for _ in 0..<20 {
            net.clearGradients()
            try Loss.meanSquaredError(try net(Variable(data)), Variable(Tensor.zeros([64, 2]))).backward()
            adam.step(net.namedParameters())
        }
        try Checkpoint.save(net, config: Config(hiddenUnits: 4), to: file)
        return try Data(contentsOf: file)
    }

    func test_trainingTwiceWithTheSameSeed_givesBitIdenticalWeightFiles() throws {
        let folder = try temporaryDirectory()
        let first = try trainAndSave(seed: 5, to: folder.appendingPathComponent("a.safetensors"))
        let second = try trainAndSave(seed: 5, to: folder.appendingPathComponent("b.safetensors"))
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, try trainAndSave(seed: 6, to: folder.appendingPathComponent("c.safetensors")))
    }

    func test_saveThenLoad_restoresParametersBuffersAndConfig() throws {
        let file = try temporaryDirectory().appendingPathComponent("model.safetensors")
        _ = try trainAndSave(seed: 7, to: file)
        let restored = network(seed: 99)
        try Checkpoint.loadState(into: restored, from: file)
        XCTAssertEqual(try Checkpoint.loadConfig(Config.self, from: file), Config(hiddenUnits: 4))
        let (saved, metadata) = try SafeTensors.decode(Data(contentsOf: file), source: "")
        XCTAssertEqual(metadata, ["format": "pt", "config": #"{"hiddenUnits":4}"#], "one file: the config in its metadata")
        XCTAssertEqual(Set(saved.keys), ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight", "3.bias"])
        for (path, variable) in restored.namedState() { XCTAssertEqual(variable.value, saved[path], path) }
    }

    func test_loadingIntoAModelOfAnotherShape_namesThePathAndBothShapes() throws {
        let folder = try temporaryDirectory().appendingPathComponent("model.safetensors")
        _ = try trainAndSave(seed: 7, to: folder)
        var rng = SeededRNG(seed: 1)
        let other = Sequential([Linear(inputs: 3, outputs: 5, using: &rng)])
        XCTAssertThrowsError(try Checkpoint.loadState(into: other, from: folder)) { error in
            XCTAssertTrue("\(error)".contains("unexpected tensor '1.bias'"), "\(error)")
        }
        let wider = Sequential([Linear(inputs: 3, outputs: 5, using: &rng), BatchNorm1d(features: 4), Activation(.relu),
                                Linear(inputs: 4, outputs: 2, using: &rng)])
        XCTAssertThrowsError(try Checkpoint.loadState(into: wider, from: folder)) { error in
            XCTAssertTrue("\(error)".contains("'0.weight' has shape [4, 3], the model expects [5, 3]"), "\(error)")
        }
    }
}
