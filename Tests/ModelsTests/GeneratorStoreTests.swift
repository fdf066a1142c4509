import Datasets
import Foundation
import Models
import TensorCore
import TestSupport
import XCTest

final class GeneratorStoreTests: XCTestCase {
    func test_saveThenLoad_givesTheSameSamplesForTheSameSeed_forEveryKind() throws {
        var rng = SeededRNG(seed: 30)
        var rows: [[Float]] = [], labels: [UInt8] = []
        for r in 0..<120 {
            rows.append([rng.normal(), rng.normal(), r % 3 == 0 ? 1 : 0, r % 3 == 0 ? 0 : 1])
            labels.append(r % 5 == 0 ? 1 : 0)
        }
        let data = try Dataset(features: try Tensor(rows: rows), columns: [
            Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false)),
            Column(name: "c=x", kind: .numeric(integer: true), originalName: "c"), Column(name: "c=y", kind: .numeric(integer: true), originalName: "c"),
        ], labels: labels)
        var vae = TabularVAE.Config(), flow = TabularFlow.Config(), gan = TabularGAN.Config()
        vae.training.epochs = 2
        flow.training.epochs = 2
        flow.couplings = 2
        gan.training.epochs = 2
        gan.objective = .hinge
        gan.conditional = true
        let generators: [any Generator] = [SMOTE(neighbours: 3), TabularVAE(config: vae), TabularFlow(config: flow), TabularGAN(config: gan)]
        let folder = try temporaryDirectory()
        for generator in generators {
            let history = try generator.fit(data, using: &rng)
            let path = folder.appendingPathComponent("\(generator.kind).safetensors").path
            try GeneratorStore.save(generator, schema: data.schema, history: history, to: path)
            let (loaded, description) = try GeneratorStore.load(path)
            XCTAssertEqual(description.kind, generator.kind)
            XCTAssertEqual(description.columns, data.columns)
            XCTAssertEqual(description.history, history)
            let request = SampleRequest(count: 20, label: generator.kind == "gan" || generator.kind == "smote" ? 1 : nil)
            var a = SeededRNG(seed: 5), b = SeededRNG(seed: 5)
            XCTAssertEqual(try generator.sample(request, using: &a), try loaded.sample(request, using: &b), generator.kind)
            // Sampling is evaluation: the model saved after it has the same bytes.
            let again = path + ".again"
            try GeneratorStore.save(loaded, schema: data.schema, history: history, to: again)
            XCTAssertEqual(FileManager.default.contents(atPath: again), FileManager.default.contents(atPath: path), "\(generator.kind) changed by sampling")
        }
    }

    func test_loadingSomethingElse_isAClearError() throws {
        let path = try temporaryDirectory().appendingPathComponent("x.safetensors").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(errorMessage { try GeneratorStore.load(path) }.hasPrefix(path), errorMessage { try GeneratorStore.load(path) })
    }
}
