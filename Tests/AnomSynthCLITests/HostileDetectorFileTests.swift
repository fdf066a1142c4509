import Datasets
import Foundation
@testable import Models
import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// `anomsynth score` on crafted detector files and `ingest` on crafted data, through the
/// built executable: each is exit 1 with an error naming the file and the field, never a
/// signal and never a silently wrong score.
final class HostileDetectorFileTests: XCTestCase {
    private var folder: URL!
    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    override func setUpWithError() throws { folder = try temporaryDirectory() }

    private func anomsynth(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments)
    }

    /// An isolation forest trained on yeast4 by a pipeline run: its detector file.
    private func trainedDetector() throws -> String {
        let data = repositoryRoot.appendingPathComponent("data/yeast4-train.csv").path
        try #"{"name": "d", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "\#(data)", "label": {"column": "label"}}}, {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}, {"id": "forest", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "iforest", "trees": 20}}]}"#
            .write(toFile: path("p.json"), atomically: true, encoding: .utf8)
        let run = try anomsynth(["run", path("p.json"), "--out", path("runs"), "--cache-dir", path("cache"), "--quiet"])
        XCTAssertEqual(run.status, 0, run.output)
        return path("runs/d/forest/detector.safetensors")
    }

    /// A copy of a detector file with its metadata and tensors changed and its checksum
    /// recomputed, as someone who forges a file would.
    private func forged(_ source: String, _ name: String, _ change: (inout [String: Tensor], inout [String: String]) throws -> Void) throws -> String {
        var (tensors, metadata) = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: source)), source: source)
        metadata[ModelChecksum.key] = nil
        try change(&tensors, &metadata)
        try SafeTensors.encode(tensors, metadata: ModelChecksum.signed(tensors: tensors, metadata: metadata)).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// The detector file's transform, changed by `change`.
    private func transform(_ source: String, _ name: String, _ change: @escaping (inout Transform) -> Void) throws -> String {
        try forged(source, name) { _, metadata in
            var transform = try JSONDecoder().decode(Transform.self, from: Data(metadata["transform"]!.utf8))
            change(&transform)
            metadata["transform"] = String(decoding: try JSONEncoder().encode(transform), as: UTF8.self)
        }
    }

    func test_score_refusesCraftedTransformsAndThresholds_namingTheField() throws {
        let detector = try trainedDetector()
        let rows = repositoryRoot.appendingPathComponent("data/yeast4-test.csv").path
        let good = try anomsynth(["score", detector, rows, "--label", "label", "--out", path("good.csv")])
        XCTAssertEqual(good.status, 0, good.output)
        let cases: [(String, String, String)] = [
            ("steps", try transform(detector, "steps.safetensors") { $0.steps += Array($0.steps.prefix(3)) }, "the transform has 11 steps for 8 columns"),
            ("zero", try transform(detector, "zero.safetensors") { $0.steps[0] = .scale(center: 0, scale: 0, fill: 0) }, "transform step 0 (column 'Mcg'): scale 0.0 must be finite and not 0"),
            ("hugeCentre", try forged(detector, "centre.safetensors") { _, metadata in
                let text = metadata["transform"]!
                let centre = try XCTUnwrap(text.range(of: #""center" *: *"#, options: .regularExpression))
                metadata["transform"] = text.replacingCharacters(in: centre, with: #""center" : 1e39, "was" : "#)
            }, "metadata transform is not a preprocessing transform"),
            ("oneHot", try transform(detector, "onehot.safetensors") { $0.steps[2] = .oneHot(categories: [5], fill: 0) }, "a one-hot step needs a categorical column"),
            ("notJSON", try forged(detector, "json.safetensors") { _, metadata in metadata["transform"] = "{\"options\":" }, "metadata transform is not a preprocessing transform"),
            ("nanValidation", try forged(detector, "nanv.safetensors") { tensors, _ in
                var scores = tensors["extra.validation_scores"]!.scalars
                scores[0] = .nan
                tensors["extra.validation_scores"] = try Tensor(shape: [scores.count], scalars: scores)
            }, "tensor 'extra.validation_scores' holds nan"),
            ("labels", try forged(detector, "labels.safetensors") { tensors, _ in
                var labels = tensors["extra.validation_labels"]!.scalars
                labels[0] = 300
                tensors["extra.validation_labels"] = try Tensor(shape: [labels.count], scalars: labels)
            }, "validation_labels must be one 0 or 1 per validation score"),
        ]
        for (name, file, expected) in cases {
            let result = try anomsynth(["score", file, rows, "--label", "label", "--out", path("\(name).csv")])
            XCTAssertEqual(result.status, 1, "\(name): \(result.output)")
            XCTAssertTrue(result.output.contains(file) && result.output.contains(expected), "\(name): expected '\(expected)' in \(result.output)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("\(name).csv")), "\(name): no scores written")
        }
        // A file changed after it was written, checksum untouched.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: detector))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path("flipped.safetensors")))
        let flipped = try anomsynth(["score", path("flipped.safetensors"), rows, "--out", path("flipped.csv")])
        XCTAssertEqual(flipped.status, 1)
        XCTAssertTrue(flipped.output.contains("the file was changed after it was written"), flipped.output)
        // Not a file.
        XCTAssertEqual(mkfifo(path("fifo.safetensors"), 0o600), 0)
        let fifo = try anomsynth(["score", path("fifo.safetensors"), rows, "--out", path("fifo.csv")])
        XCTAssertEqual(fifo.status, 1)
        XCTAssertTrue(fifo.output.contains("fifo.safetensors: not a regular file"), fifo.output)
    }

    func test_ingest_refusesAnNPZWithTwoArraysOfOneName_andADatasetWithoutFeatures() throws {
        // A zip with X.npy twice (numpy reads the last, a stream the first).
        guard let python = python(with: ["numpy"]) else { throw XCTSkip("needs the test venv's numpy") }
        let script = """
        import io, zipfile, numpy as np
        def member(a):
            b = io.BytesIO(); np.save(b, a); return b.getvalue()
        with zipfile.ZipFile('\(path("twice.npz"))', 'w') as z:
            z.writestr('X.npy', member(np.zeros((3, 2), np.float32)))
            z.writestr('X.npy', member(np.ones((3, 2), np.float32)))
        """
        let made = try runProcess(python, ["-W", "ignore", "-c", script])
        XCTAssertEqual(made.status, 0, made.output)
        let twice = try anomsynth(["ingest", path("twice.npz"), "--out", path("twice.tar.zst")])
        XCTAssertEqual(twice.status, 1, twice.output)
        XCTAssertTrue(twice.output.contains("twice.npz: holds the array 'X.npy' twice"), twice.output)
        try "a,b\n1,2\n3,4\n".write(toFile: path("two.csv"), atomically: true, encoding: .utf8)
        let none = try anomsynth(["ingest", path("two.csv"), "--ignore", "a", "--ignore", "b", "--out", path("none.tar.zst")])
        XCTAssertEqual(none.status, 1, none.output)
        XCTAssertTrue(none.output.contains("no feature column is left"), none.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("none.tar.zst")))
    }
}
