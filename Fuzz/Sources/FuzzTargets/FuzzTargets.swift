import ArchiveIO
import Datasets
import Foundation
import Models
import NeuralNet
import PipelineEngine
import TensorCore

/// What each fuzz target does with one input: read it as a user's file would be read.
/// Errors are expected answers to bad input; only a crash, a hang or a leak is a finding.
public enum FuzzTargets {
    /// Every target by name.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "csv": csv, "arff": arff, "npy": npy, "idx": idx, "pipeline": pipeline, "archive": archive,
        "detector": detector, "xgboost": xgboost, "job": job,
    ]

    /// A CSV with a label column, through the reader's sequential and parallel paths.
    public static func csv(_ bytes: [UInt8]) {
        var options = CSVOptions()
        options.threads = 2
        options.blockBytes = 256  // small blocks: the parallel path runs on small inputs too
        options.inferenceRows = 4
        var source = MemoryByteSource(name: "fuzz.csv", bytes: bytes)
        _ = try? CSVReader.read(&source, label: LabelSpec(column: "label", positive: ["1"], mayBeAbsent: true), options: options)
        var plain = MemoryByteSource(name: "fuzz.csv", bytes: bytes)
        _ = try? CSVReader.read(&plain, label: nil, options: CSVOptions())
    }

    /// An ARFF or KEEL file, label the last attribute.
    public static func arff(_ bytes: [UInt8]) {
        var source = MemoryByteSource(name: "fuzz.arff", bytes: bytes)
        _ = try? ARFFReader.read(&source, positive: ["positive"], positiveMayBeAbsent: true)
    }

    /// A `.npy` array, then the dataset it makes.
    public static func npy(_ bytes: [UInt8]) {
        guard let array = try? NPY.decode(bytes, source: "fuzz.npy") else { return }
        let shape = array.shape.count == 1 ? [array.shape[0], 1] : array.shape
        _ = try? Dataset.numeric(shape: shape, values: array.values, labels: nil, source: "fuzz.npy")
    }

    /// An IDX array, then the dataset it makes.
    public static func idx(_ bytes: [UInt8]) {
        guard let array = try? IDXReader.decode(bytes, source: "fuzz.idx") else { return }
        _ = try? Dataset.numeric(shape: array.shape, values: array.values, labels: nil, source: "fuzz.idx")
    }

    /// A pipeline file: parsed, overridden, matrix-expanded and validated.
    public static func pipeline(_ bytes: [UInt8]) {
        _ = try? PipelineLoader.load(bytes, file: "/nonexistent/fuzz.json", overrides: ["seed=3"])
    }

    /// A dataset archive (any compression libarchive detects), read and verified.
    public static func archive(_ bytes: [UInt8]) {
        let path = scratch.appendingPathComponent("fuzz.tar").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        _ = try? DatasetArchive.read(path, maximumMemberBytes: 64 << 20)
    }

    /// A detector file, loaded and (when it loads) scoring four rows; then the same file
    /// without its checksum entry (an attacker's file carries a valid one, so the checks
    /// behind the checksum must hold on their own).
    public static func detector(_ bytes: [UInt8]) {
        let path = scratch.appendingPathComponent("fuzz.safetensors").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        loadAndScore(path)
        guard var (tensors, metadata) = try? SafeTensors.decode(Data(bytes), source: path), metadata["content_sha256"] != nil else { return }
        metadata["content_sha256"] = nil
        guard FileManager.default.createFile(atPath: path, contents: SafeTensors.encode(tensors, metadata: metadata)) else { return }
        loadAndScore(path)
    }

    private static func loadAndScore(_ path: String) {
        guard let saved = try? DetectorStore.load(path), let rows = try? Tensor(shape: [4] + saved.schema.shape, scalars: (0..<(4 * saved.columns.count)).map { Float($0 % 5) - 2 }),
              let data = try? Dataset(features: rows, columns: saved.columns, labels: [0, 1, 0, 1]) else { return }
        _ = try? saved.detector.score(data)
    }

    /// An XGBoost JSON model of two features: checked, loaded and asked for two predictions.
    public static func xgboost(_ bytes: [UInt8]) {
        let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]
        guard let detector = try? GradientBoostedTrees.restoring(model: String(decoding: bytes, as: UTF8.self), columns: 2),
              let rows = try? Tensor(shape: [2, 2], scalars: [0, 1, -3, 7]),
              let data = try? Dataset(features: rows, columns: columns, labels: [0, 1]) else { return }
        _ = try? detector.score(data)
    }

    /// A job file, read and checked (never run). `@CACHE@` in the input stands for a tagged
    /// cache of this process's own, `@DIR@` for a folder, so that seeds reach the later checks.
    public static func job(_ bytes: [UInt8]) {
        let cache = StageCache(root: scratch.appendingPathComponent("cache"))
        try? cache.prepare()
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "@CACHE@", with: cache.root.path)
            .replacingOccurrences(of: "@DIR@", with: scratch.path)
        let path = scratch.appendingPathComponent("fuzz.job.json").path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { return }
        _ = try? StageJob.read(path)
    }

    /// A folder of this process's own for files a target must write.
    private static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("anomsynth-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
}

extension FuzzTargets {
    /// The input libFuzzer hands over, as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}

/// libFuzzer's driver (linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<Int32>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

extension FuzzTargets {
    /// Runs libFuzzer with the process's arguments (its flags, corpus folders) on `callback`.
    public static func drive(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                             _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
        var count = argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return runDriver(&count, &arguments, callback)
    }
}
