import ArchiveIO
import Datasets
import TensorCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import PipelineEngine
import TestSupport
import XCTest

/// The example pipelines, run end to end at reduced sizes.
final class ExamplePipelineTests: XCTestCase {
    /// Runs an example pipeline; `models` narrows its generator matrix (a copy of the file in `folder`).
    private func run(_ name: String, overrides: [String], in folder: URL, models: [String]? = nil) throws -> RunSummary {
        var file = repositoryRoot.appendingPathComponent("pipelines/\(name)").path
        if let models {
            let narrowed = try String(contentsOfFile: file, encoding: .utf8)
                .replacingOccurrences(of: #"["smote", "vae", "flow", "gan"]"#, with: "[" + models.map { "\"\($0)\"" }.joined(separator: ", ") + "]")
                .replacingOccurrences(of: "\"../data/", with: "\"" + repositoryRoot.appendingPathComponent("data").path + "/")
            file = folder.appendingPathComponent(name).path
            try narrowed.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let pipeline = try PipelineLoader.load(file, overrides: overrides)
        return Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                              cacheRoot: folder.appendingPathComponent("cache"),
                                                              reporter: ProgressReporter(quiet: true))).run()
    }

    func test_synthesizeKDD_runsEveryGenerator_thenIsFullyCached() throws {
        let folder = try temporaryDirectory()
        let overrides = ["gen.params.epochs=2", "gen.params.hidden_units=16", "syn.params.count=40"]
        let first = try run("synthesize-kdd.json", overrides: overrides, in: folder)
        XCTAssertEqual(first.status, "succeeded", "\(first.stages.compactMap(\.error))")
        XCTAssertEqual(first.stages.count, 10)
        for model in ["smote", "vae", "flow", "gan"] {
            let stage = try XCTUnwrap(first.stages.first { $0.id == "syn@model=\(model)" })
            let (synthetic, transform) = try DatasetArchive.read(try XCTUnwrap(stage.outputs["data"]))
            XCTAssertNotNil(transform, "synthetic rows keep the transform, so export maps them back")
            XCTAssertEqual(synthetic.rowCount, 40, "\(model): the requested count (continuous rows are never duplicates)")
            XCTAssertEqual(Set(synthetic.labels), [1])
            XCTAssertEqual(synthetic.sources, ["real", "\(model)/minority"])
            let quality = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(stage.outputs["quality"])))) as? [String: Any]
            XCTAssertNotNil(quality?["classifier_auc"] as? Double)
            XCTAssertEqual(quality?["compared_with"] as? String, "real anomalies")
        }
        let second = try run("synthesize-kdd.json", overrides: overrides, in: folder)
        XCTAssertEqual(Set(second.stages.map(\.status)), [.cached])
    }

    func test_strategies_tailPerturbInterpolate_andTheirErrors() throws {
        let folder = try temporaryDirectory()
        var overrides = ["gen.params.epochs=2", "gen.params.hidden_units=16", "syn.params.count=30", "gen.params.conditional=false",
                         "gen.params.train_on=normal", "syn.params.strategy=tail", "syn.params.temperature=3", "syn.params.quantile=0.5"]
        // Variants that cannot work are rejected before anything runs, each at its JSON path.
        let invalid = errorMessage { try PipelineLoader.load(repositoryRoot.appendingPathComponent("pipelines/synthesize-kdd.json").path, overrides: overrides) }
        XCTAssertTrue(invalid.contains("$.stages[2].params.train_on: SMOTE interpolates anomalies"), invalid)
        XCTAssertTrue(invalid.contains("$.stages[3].params.strategy: tail needs a model with a density or a latent code (flow, vae), not gan"), invalid)
        let tail = try run("synthesize-kdd.json", overrides: overrides, in: folder, models: ["vae", "flow"])
        for model in ["vae", "flow"] {
            let stage = try XCTUnwrap(tail.stages.first { $0.id == "syn@model=\(model)" })
            XCTAssertEqual(stage.status, .ran, "\(tail.stages.compactMap(\.error))")
            let synthetic = try DatasetArchive.read(try XCTUnwrap(stage.outputs["data"])).dataset
            XCTAssertEqual(synthetic.rowCount, 30)
            XCTAssertEqual(synthetic.sources, ["real", "\(model)/tail"])
        }
        overrides = ["gen.params.epochs=2", "gen.params.hidden_units=16", "syn.params.count=30", "syn.params.strategy=interpolate"]
        let interpolated = try run("synthesize-kdd.json", overrides: overrides, in: folder, models: ["vae"])
        let interpolation = try XCTUnwrap(interpolated.stages.first { $0.id.hasPrefix("syn") })
        XCTAssertEqual(interpolation.status, .ran, "\(interpolated.stages.compactMap(\.error))")
        let interpolatedRows = try DatasetArchive.read(try XCTUnwrap(interpolation.outputs["data"])).dataset
        XCTAssertEqual(interpolatedRows.rowCount, 30)
        XCTAssertEqual(interpolatedRows.sources, ["real", "vae/interpolate"])
        overrides[3] = "syn.params.strategy=perturb"
        let perturbed = try run("synthesize-kdd.json", overrides: overrides, in: folder, models: ["vae"])
        let perturbation = try XCTUnwrap(perturbed.stages.first { $0.id.hasPrefix("syn") })
        XCTAssertEqual(perturbation.status, .ran, "\(perturbed.stages.compactMap(\.error))")
        let perturbedRows = try DatasetArchive.read(try XCTUnwrap(perturbation.outputs["data"])).dataset
        XCTAssertEqual(perturbedRows.rowCount, 30)
        XCTAssertEqual(perturbedRows.sources, ["real", "vae/perturb"])
        let rejecting = try run("synthesize-kdd.json", overrides: overrides + ["syn.params.reject_normal=true", "syn.params.scale=2"], in: folder, models: ["vae"])
        let rejected = try DatasetArchive.read(try XCTUnwrap(rejecting.stages.first { $0.id.hasPrefix("syn") }?.outputs["data"])).dataset
        XCTAssertLessThanOrEqual(rejected.rowCount, 30, "reject_normal may only remove rows")
    }
}

extension ExamplePipelineTests {
    func test_normalOnlyKDD_makesEveryTypedKind_andTailRows() throws {
        let folder = try temporaryDirectory()
        let summary = try run("normal-only-kdd.json", overrides: ["flow.params.epochs=2", "flow.params.hidden_units=16", "tail.params.quantile=0.5",
                                                                   "typed.params.count=40", "tail.params.count=20"], in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let typed = try DatasetArchive.read(try XCTUnwrap(summary.stages.first { $0.id == "typed" }?.outputs["data"])).dataset
        XCTAssertEqual(typed.sources, ["real", "gmm/typed:local", "gmm/typed:global", "gmm/typed:dependency", "gmm/typed:clustered"])
        XCTAssertEqual(typed.rowsPerSource.dropFirst().allSatisfy { $0 > 0 && $0 <= 10 }, true, "\(typed.rowsPerSource)")
        let tail = try DatasetArchive.read(try XCTUnwrap(summary.stages.first { $0.id == "tail" }?.outputs["data"])).dataset
        XCTAssertEqual(tail.sources, ["real", "flow/tail"])
    }
}

final class GeneratorStageErrorTests: XCTestCase {
    func test_minorityWithoutAnomalies_andCombinationsWithoutAnomalies_areClearStageErrors() throws {
        let folder = try temporaryDirectory()
        var csv = "a,b\n"
        for r in 0..<60 { csv += "\(r % 7),\(r % 5).5\n" }
        try csv.write(to: folder.appendingPathComponent("normal.csv"), atomically: true, encoding: .utf8)
        try """
            {"name": "errors", "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "normal.csv"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"stratify": false}}},
              {"id": "vae", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "vae", "epochs": 1}},
              {"id": "smote", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "smote", "train_on": "all"}},
              {"id": "gmm", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "gmm", "train_on": "normal", "components": 2}},
              {"id": "combos", "type": "synthesize", "inputs": {"model": "gmm", "reference": "prep.train"},
               "params": {"strategy": "typed", "count": 20, "categorical_combinations": "anomalies"}}
            ]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        let summary = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                                      cacheRoot: folder.appendingPathComponent("cache"),
                                                                      reporter: ProgressReporter(quiet: true))).run()
        let errors = Dictionary(uniqueKeysWithValues: summary.stages.map { ($0.id, $0.error ?? "") })
        XCTAssertEqual(errors["vae"], "train_on: anomalies leaves 0 rows; the data has 0 anomalies of 42 rows")
        XCTAssertEqual(errors["smote"], "smote: needs at least 2 anomalies in the training data, found 0")
        XCTAssertEqual(errors["combos"], "categorical_combinations: anomalies keeps rows whose categories occur together in a real anomaly, but the reference rows hold no anomalies; use any")
    }
}

final class AugmentStageTests: XCTestCase {
    private func run(_ augment: String, folder: URL) throws -> RunSummary {
        try FileManager.default.copyItem(atPath: fixture("kddcup-rootkit-small.dat"), toPath: folder.appendingPathComponent("kdd.dat").path)
        try """
            {"name": "aug", "seed": 3, "stages": [
              {"id": "raw", "type": "ingest", "params": {"path": "kdd.dat"}},
              {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
              {"id": "smote", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "smote", "neighbours": 3}},
              {"id": "one", "type": "synthesize", "inputs": {"model": "smote", "reference": "prep.train"}, "params": {"count": 60}},
              {"id": "two", "type": "synthesize", "inputs": {"model": "smote", "reference": "prep.train"}, "params": {"count": 60, "seed": 99}},
              {"id": "aug", "type": "augment", "inputs": {"data": "prep.train", "synthetic": ["one", "two"]}, "params": \(augment)}
            ]}
            """.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        return Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"),
                                                              cacheRoot: folder.appendingPathComponent("cache"),
                                                              reporter: ProgressReporter(quiet: true))).run()
    }

    func test_augment_reachesTheAnomalyRatio_keepingProvenance() throws {
        let summary = try run(#"{"anomaly_ratio": 0.3}"#, folder: try temporaryDirectory())
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let augmented = try DatasetArchive.read(try XCTUnwrap(summary.stages.last?.outputs["data"])).dataset
        let real = augmented.rowsPerSource[0]
        XCTAssertEqual(augmented.sources, ["real", "smote/minority"])
        XCTAssertEqual(Double(augmented.anomalyCount) / Double(augmented.rowCount), 0.3, accuracy: 0.01)
        XCTAssertEqual(real, 135, "every real training row is kept")
        XCTAssertEqual(Array(augmented.provenance.prefix(real)), [Int32](repeating: 0, count: real), "real rows first")
    }

    func test_augment_countAndErrors() throws {
        let counted = try run(#"{"synthetic_count": 100}"#, folder: try temporaryDirectory())
        let augmented = try DatasetArchive.read(try XCTUnwrap(counted.stages.last?.outputs["data"])).dataset
        XCTAssertEqual(augmented.rowsPerSource, [135, 100])
        let tooMany = try run(#"{"synthetic_count": 500}"#, folder: try temporaryDirectory())
        XCTAssertEqual(tooMany.stages.last?.error, "needs 500 synthetic rows, the synthetic inputs hold 120; synthesize more (count), lower the target or set shortfall: use_available")
        let available = try run(#"{"synthetic_count": 500, "shortfall": "use_available"}"#, folder: try temporaryDirectory())
        let all = try DatasetArchive.read(try XCTUnwrap(available.stages.last?.outputs["data"])).dataset
        XCTAssertEqual(all.rowsPerSource, [135, 120], "every synthetic row they hold")
        let both = try run(#"{"synthetic_count": 5, "anomaly_ratio": 0.5}"#, folder: try temporaryDirectory())
        XCTAssertEqual(both.stages.last?.error, "give anomaly_ratio or synthetic_count, not both")
    }
}

final class SynthesisFilterTests: XCTestCase {
    /// Reference: two normal rows and one anomaly; candidates: a copy of each, a repeat, a new row.
    func test_filters_dropCopiesOfReferenceRows_orOnlyOfNormalOnes() throws {
        let columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]
        let reference = try Dataset(features: try Tensor(rows: [[0, 0], [1, 1], [5, 5]]), columns: columns, labels: [0, 0, 1])
        let candidates = try Tensor(rows: [[0, 0], [5, 5], [5, 5], [2, 3]])
        func kept(duplicates: Bool, normalCopies: Bool, neighbours: Int = 0) throws -> [Int] {
            var filters = Filters()
            filters.dropDuplicates = duplicates
            filters.dropNormalCopies = normalCopies
            filters.neighbourCheck = neighbours
            return try filters.keep(candidates, reference: reference)
        }
        XCTAssertEqual(try kept(duplicates: true, normalCopies: true), [3], "no copies of any reference row, no repeats")
        XCTAssertEqual(try kept(duplicates: false, normalCopies: true), [1, 2, 3], "copies of the anomaly stay; the normal copy goes")
        XCTAssertEqual(try kept(duplicates: false, normalCopies: false), [0, 1, 2, 3])
        // [2, 3]'s nearest reference row is the normal [1, 1]; the copies of [5, 5] sit on the anomaly.
        XCTAssertEqual(try kept(duplicates: false, normalCopies: false, neighbours: 1), [1, 2])
    }

    /// Model space: a numeric column and two one-hot groups (colour: red/blue, size: s/m/l).
    func test_categoricalCombinations_keepOnlyThoseOfRealAnomalies() throws {
        func oneHot(_ category: String, of original: String) -> Column {
            Column(name: "\(original)=\(category)", kind: .numeric(integer: false), originalName: original)
        }
        let columns = [Column(name: "x", kind: .numeric(integer: false)), oneHot("red", of: "colour"), oneHot("blue", of: "colour"),
                       oneHot("s", of: "size"), oneHot("m", of: "size"), oneHot("l", of: "size")]
        // Anomalies are (red, s) and (blue, l); the normal row (red, m) is a combination no anomaly has.
        let reference = try Dataset(features: try Tensor(rows: [[0, 1, 0, 1, 0, 0], [3, 0, 1, 0, 0, 1], [1, 1, 0, 0, 1, 0]]),
                                    columns: columns, labels: [1, 1, 0])
        // Soft scores as a generator may leave them: the largest column of a group is its category.
        let candidates = try Tensor(rows: [[9, 0.9, 0.1, 0.7, 0.2, 0.1],   // red, s: an anomaly's
                                           [2, 0.2, 0.8, 0.1, 0.1, 0.8],   // blue, l: an anomaly's
                                           [0, 0.6, 0.4, 0.1, 0.8, 0.1],   // red, m: only the normal row's
                                           [5, 0.1, 0.9, 0.9, 0.0, 0.1]])  // blue, s: nobody's
        var filters = Filters()
        filters.dropDuplicates = false
        XCTAssertEqual(try filters.keep(candidates, reference: reference), [0, 1, 2, 3], "off by default")
        filters.seenCategoricalCombinations = true
        XCTAssertEqual(try filters.keep(candidates, reference: reference), [0, 1])
        // Without categorical columns there is nothing to check.
        let numeric = try Dataset(features: try Tensor(rows: [[0], [1]]), columns: [columns[0]], labels: [1, 0])
        XCTAssertEqual(try filters.keep(try Tensor(rows: [[7], [8]]), reference: numeric), [0, 1])
    }
}

/// `pipelines/mnist.json` on the repository's 1,000 MNIST images, at reduced sizes.
extension ExamplePipelineTests {
    func test_mnist_runsEveryVariantAndDetector_withImagesKeptAndShownInTheReport() throws {
        let folder = try temporaryDirectory()
        let small = ["epochs=2", "filters=4", "batch_size=64"]
        let overrides = ["raw.params.path=" + fixture("mnist-1k-images-idx3-ubyte.gz"), "raw.params.labels_path=" + fixture("mnist-1k-labels-idx1-ubyte.gz"),
                         "prep.params.labelled_share=0.05", "syn.params.count=60", "eval.params.bootstrap=0"]
            + ["gen", "cnn", "cnn_none", "conv_ae", "conv_vae", "dcgan_disc"].flatMap { stage in small.map { "\(stage).params.\($0)" } }
        let summary = try run("mnist.json", overrides: overrides, in: folder)
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        let prep = try DatasetArchive.read(try XCTUnwrap(summary.stages.first { $0.id == "prep" }?.outputs["train"])).dataset
        XCTAssertEqual(prep.rowShape, [1, 28, 28])
        XCTAssertTrue((14...18).contains(prep.anomalyCount), "5% of the ~319 training anomalies keep their label: \(prep.anomalyCount)")
        for model in ["smote", "gan", "vae"] {
            let stage = try XCTUnwrap(summary.stages.first { $0.id == "syn@model=\(model)" })
            let synthetic = try DatasetArchive.read(try XCTUnwrap(stage.outputs["data"])).dataset
            XCTAssertEqual(synthetic.rowShape, [1, 28, 28], model)
            XCTAssertGreaterThan(synthetic.rowCount, 0, model)
        }
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(summary.metrics.first)))) as? [String: Any])
        let results = try XCTUnwrap(metrics["results"] as? [[String: Any]])
        let pairs = Set(results.compactMap { result in (result["variant"] as? String).flatMap { v in (result["detector"] as? String).map { "\(v)/\($0)" } } })
        XCTAssertEqual(pairs, ["none/mlp", "smote/mlp", "gan/mlp", "vae/mlp", "none/autoencoder", "none/vae", "none/gan"])
        let html = try String(contentsOfFile: try XCTUnwrap(summary.reports.first), encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(html.utf8)).parse(), "report.html is well-formed")
        XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 2 + 3 + 7, "real normal and anomalous, 3 synthetic sets, 7 detectors")
        XCTAssertTrue(html.contains("synthetic: gan"))
        XCTAssertTrue(html.contains("none / autoencoder: most anomalous"))
    }
}
