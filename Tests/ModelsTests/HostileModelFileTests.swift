import Datasets
import Foundation
@testable import Models
@testable import NeuralNet
import TensorCore
import TestSupport
import XCTest

/// Crafted detector and generator files: every one is refused with an error naming the file
/// and the field, before any value is used. An attacker rewrites the checksum too, so the
/// forged files here carry a valid one: the checks behind it are what is tested.
final class HostileModelFileTests: XCTestCase {
    private var folder: URL!
    override func setUpWithError() throws { folder = try temporaryDirectory() }

    private let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]

    private func moons(_ count: Int = 100, seed: UInt64 = 90) throws -> Dataset {
        var rng = SeededRNG(seed: seed)
        let (points, labels) = twoMoons(count: count, noise: 0.2, using: &rng)
        return try Dataset(features: points, columns: columns, labels: labels.scalars.map { UInt8($0) })
    }

    /// A fitted detector saved to a file.
    private func saved(_ detector: any Detector, name: String) throws -> String {
        var rng = SeededRNG(seed: 91)
        let data = try moons()
        let history = try detector.fit(data, using: &rng)
        let path = folder.appendingPathComponent("\(name).safetensors").path
        try DetectorStore.save(detector, schema: data.schema, history: history, to: path)
        return path
    }

    /// The file at `path` rewritten with `change` applied to its tensors and metadata, the
    /// checksum recomputed (as an attacker would), at a new path.
    private func forged(_ path: String, _ name: String,
                        _ change: (inout [String: Tensor], inout [String: String]) throws -> Void) throws -> String {
        var (tensors, metadata) = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        metadata[ModelChecksum.key] = nil
        try change(&tensors, &metadata)
        let copy = folder.appendingPathComponent("\(name).safetensors").path
        try SafeTensors.encode(tensors, metadata: ModelChecksum.signed(tensors: tensors, metadata: metadata))
            .write(to: URL(fileURLWithPath: copy))
        return copy
    }

    private func assertRefused(_ path: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let message = errorMessage { try DetectorStore.load(path) }
        XCTAssertTrue(message.hasPrefix(path), "the error names the file: \(message)", file: file, line: line)
        XCTAssertTrue(message.contains(expected), "expected '\(expected)' in: \(message)", file: file, line: line)
    }

    // MARK: the safetensors layout

    func test_offsetsThatOverflow_overlap_orLeaveGaps_areRefused() throws {
        func file(_ header: String, dataBytes: Int) -> Data {
            var bytes = Array(header.utf8)
            while bytes.count % 8 != 0 { bytes.append(0x20) }
            var data = Data()
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { data.append(contentsOf: $0) }
            return data + bytes + Data(count: dataBytes)
        }
        let cases: [(String, String)] = [
            (#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#, "lie outside the 8 data bytes"),
            (#"{"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, "is too large"),
            (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "overlap"),
            (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "leave bytes 0..<4 unused"),
            (#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "the tensors hold 4 of the 8 data bytes"),
            (#"{"__metadata__":{"a":1}}"#, "__metadata__ must map strings to strings"),
            (String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000), "nests deeper than 64"),
        ]
        for (header, expected) in cases {
            let message = errorMessage { try SafeTensors.decode(file(header, dataBytes: 8), source: "x.safetensors") }
            XCTAssertTrue(message.hasPrefix("x.safetensors: ") && message.contains(expected), "\(expected): \(message)")
        }
    }

    func test_aChangedByte_failsTheChecksum_andNonFiniteWeights_areRefused() throws {
        let path = try saved(AutoencoderDetector(config: { var c = AutoencoderDetector.Config(); c.training.epochs = 2; return c }()), name: "ae")
        XCTAssertNoThrow(try DetectorStore.load(path))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 3] ^= 0x40  // one weight changed, checksum left as written
        try bytes.write(to: URL(fileURLWithPath: folder.appendingPathComponent("flipped.safetensors").path))
        assertRefused(folder.appendingPathComponent("flipped.safetensors").path, "the file was changed after it was written")
        let nan = try forged(path, "nan") { tensors, _ in
            let name = tensors.keys.sorted()[0]
            var values = tensors[name]!.scalars
            values[0] = .nan
            tensors[name] = try Tensor(shape: tensors[name]!.shape, scalars: values)
        }
        assertRefused(nan, "holds nan at element 0; a model's values are finite")
        let wide = try forged(path, "wide") { _, metadata in metadata["config"] = metadata["config"]!.replacingOccurrences(of: "\"bottleneck\":8", with: "\"bottleneck\":1000000000") }
        assertRefused(wide, "config bottleneck 1000000000 is not a layer size")
    }

    func test_metadataThatIsNotJSON_andFilesThatAreNotFiles_areNamed() throws {
        let path = try saved(HistogramDetector(), name: "hbos")
        assertRefused(try forged(path, "columns") { _, metadata in metadata["columns"] = "[{" }, "metadata columns is not what AnomSynth writes")
        assertRefused(try forged(path, "history") { _, metadata in metadata["history"] = "nope" }, "metadata history is not what AnomSynth writes")
        assertRefused(try forged(path, "shape") { _, metadata in metadata["sample_shape"] = "[3]" }, "sample_shape [3] does not hold the 2 columns")
        assertRefused(try forged(path, "width") { tensors, _ in
            var edges = tensors["edges"]!.scalars
            edges[2] = 0
            tensors["edges"] = try Tensor(shape: [2, 2], scalars: edges)
        }, "every bin width")
        let fifo = folder.appendingPathComponent("fifo.safetensors").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertRefused(fifo, "not a regular file")
        let linkToFIFO = folder.appendingPathComponent("link-fifo.safetensors").path, link = folder.appendingPathComponent("link.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: linkToFIFO, withDestinationPath: fifo)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        assertRefused(linkToFIFO, "not a regular file")
        XCTAssertNoThrow(try DetectorStore.load(link), "a link to a detector file is read")
        assertRefused(folder.path, "not a regular file")
    }

    // MARK: isolation forests

    func test_forgedForests_areRefused() throws {
        let path = try saved(IsolationForest(trees: 5, sampleSize: 32), name: "iforest")
        XCTAssertNoThrow(try DetectorStore.load(path))
        func node(_ tensor: String, _ value: Float, at index: Int = 0) throws -> ((inout [String: Tensor], inout [String: String]) throws -> Void) {
            { tensors, _ in
                var values = tensors[tensor]!.scalars
                values[index] = value
                tensors[tensor] = try Tensor(shape: [values.count], scalars: values)
            }
        }
        let cases: [(String, (inout [String: Tensor], inout [String: String]) throws -> Void, String)] = [
            ("self", try node("left", 0), "node 0 splits into nodes 0 and"),
            ("far", try node("left", 1_000_000), "iforest left[0] is 1000000.0"),
            ("negative", try node("right", -5), "iforest right[0] is -5.0"),
            ("column", try node("column", 1_000_000), "iforest column[0] is 1000000.0; expected a whole number in -1...1"),
            ("fraction", try node("column", 0.5), "iforest column[0] is 0.5"),
            ("size", try node("size", 1e12), "iforest size[0]"),
            ("used", { _, metadata in metadata["config"] = #"{"sample_size":32,"trees":5,"used_sample_size":0}"# }, "used_sample_size 0 must be in 2...32"),
            ("trees", { _, metadata in metadata["config"] = #"{"sample_size":32,"trees":7,"used_sample_size":32}"# }, "7 roots"),
            // Trees of 32 rows are 5 levels deep; of 2 rows, 1 (explanations recurse along the paths).
            ("deep", { _, metadata in metadata["config"] = #"{"sample_size":32,"trees":5,"used_sample_size":2}"# }, "levels deep; trees of 2 rows stop at 1"),
        ]
        for (name, change, expected) in cases { assertRefused(try forged(path, name, change), expected) }
    }

    // MARK: XGBoost models

    func test_forgedXGBoostModels_areRefusedBeforeXGBoostReadsThem() throws {
        var config = GradientBoostedTrees.Config()
        config.rounds = 3
        config.maxDepth = 2
        let path = try saved(GradientBoostedTrees(config: config), name: "xgb")
        XCTAssertNoThrow(try DetectorStore.load(path))
        func edit(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Tensor], inout [String: String]) throws -> Void {
            { _, metadata in
                var document = try JSONSerialization.jsonObject(with: Data(metadata["xgboost_model"]!.utf8)) as! [String: Any]
                change(&document)
                metadata["xgboost_model"] = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
            }
        }
        /// Changes the first tree of the document.
        func tree(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Tensor], inout [String: String]) throws -> Void {
            edit { document in
                var learner = document["learner"] as! [String: Any], booster = learner["gradient_booster"] as! [String: Any]
                var model = booster["model"] as! [String: Any], trees = model["trees"] as! [[String: Any]]
                change(&trees[0])
                model["trees"] = trees
                booster["model"] = model
                learner["gradient_booster"] = booster
                document["learner"] = learner
            }
        }
        func model(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Tensor], inout [String: String]) throws -> Void {
            edit { document in
                var learner = document["learner"] as! [String: Any], booster = learner["gradient_booster"] as! [String: Any]
                var model = booster["model"] as! [String: Any]
                change(&model)
                booster["model"] = model
                learner["gradient_booster"] = booster
                document["learner"] = learner
            }
        }
        func first(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { tree in var items = tree[key] as! [Any]; items[0] = value; tree[key] = items }
        }
        let cases: [(String, (inout [String: Tensor], inout [String: String]) throws -> Void, String)] = [
            ("count", model { $0["gbtree_model_param"] = ["num_trees": "999999999", "num_parallel_tree": "1"] }, "num_trees must equal the 3 trees"),
            ("info", model { $0["tree_info"] = [0] }, "tree_info: expected one 0 per tree (3)"),
            ("split", tree(first("split_indices", -1)), "split_indices[0]: feature -1 is outside the detector's 2 columns"),
            ("feature", tree(first("split_indices", 1_000_000)), "feature 1000000 is outside"),
            ("self", tree(first("left_children", 0)), "node 0 is reached twice from the root: not a tree"),
            ("far", tree(first("left_children", 1_000_000)), "lie outside its"),
            ("minus", tree(first("right_children", -5)), "node 0's children 1, -5 lie outside its"),
            ("categorical", tree { $0["categories"] = [1_000_000]; $0["categories_nodes"] = [0] }, "categories: expected an empty array"),
            ("splitType", tree(first("split_type", 1)), "categorical splits are not used"),
            ("nanSplit", tree(first("split_conditions", "NaN")), "split_conditions: expected"),
            ("objective", edit { document in
                var learner = document["learner"] as! [String: Any]
                learner["objective"] = ["name": "reg:squarederror"]
                document["learner"] = learner
            }, "expected binary:logistic"),
            ("deep", { _, metadata in
                metadata["xgboost_model"] = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
            }, "nests deeper than 64 levels"),
        ]
        for (name, change, expected) in cases { assertRefused(try forged(path, name, change), expected) }
    }

    // MARK: other kinds

    func test_forgedNeighbourModels_areRefused() throws {
        let knn = try saved(KNearestNeighbourDetector(k: 3), name: "knn")
        assertRefused(try forged(knn, "k0") { _, metadata in metadata["config"] = #"{"k":0}"# }, "config k 0 must be at least 1")
        assertRefused(try forged(knn, "kBig") { _, metadata in metadata["config"] = #"{"k":100000}"# }, "fewer than k = 100000")
        // Generators: SMOTE's neighbour lists index its rows.
        var rng = SeededRNG(seed: 92)
        let data = try moons()
        let smote = SMOTE()
        let history = try smote.fit(data, using: &rng)
        let generator = folder.appendingPathComponent("smote.safetensors").path
        try GeneratorStore.save(smote, schema: data.schema, history: history, to: generator)
        XCTAssertNoThrow(try GeneratorStore.load(generator))
        let bad = try forged(generator, "smoteBad") { tensors, _ in
            var values = tensors["neighbours"]!.scalars
            values[0] = 1e9
            tensors["neighbours"] = try Tensor(shape: tensors["neighbours"]!.shape, scalars: values)
        }
        let message = errorMessage { try GeneratorStore.load(bad) }
        XCTAssertTrue(message.hasPrefix(bad) && message.contains("smote neighbours[0] is 1e+09"), message)
    }
}
