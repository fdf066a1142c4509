import Foundation
@testable import PipelineEngine
import TestSupport
import XCTest

/// One test per kind of problem, checking the message and the JSON path.
final class ValidationTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try temporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("tiny.arff"), toPath: folder.appendingPathComponent("tiny.arff").path)
    }

    private func issues(_ json: String, overrides: [String] = []) throws -> [String] {
        let file = folder.appendingPathComponent("p.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try PipelineLoader.load(file, overrides: overrides)
            return []
        } catch let invalid as PipelineInvalid {
            return invalid.issues.map { "\($0.path): \($0.message)" }
        }
    }

    private let ingest = #"{"id": "raw", "type": "ingest", "params": {"path": "tiny.arff"}}"#

    func test_validPipeline_loadsWithDefaultsAndDerivedSeeds() throws {
        XCTAssertEqual(try issues(#"{"name": "ok", "seed": 3, "stages": [\#(ingest), {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}}]}"#), [])
        let file = folder.appendingPathComponent("p.json").path
        let pipeline = try PipelineLoader.load(file)
        XCTAssertEqual(pipeline.stage("prep")?.params["split"]?["test_fraction"], .number(0.3))
        XCTAssertEqual(pipeline.order, ["raw", "prep"])
        XCTAssertNotEqual(pipeline.stage("raw")?.seed, pipeline.stage("prep")?.seed)
    }

    func test_rulesAcrossParametersAndStages_areReportedByValidate() throws {
        let generator = #"{"id": "gen", "type": "train_generator", "inputs": {"data": "raw"}, "params": {"model": "flow", "conditional": true}}"#
        let synthesize = #"{"id": "syn", "type": "synthesize", "inputs": {"model": "gen", "reference": "raw"}, "params": {"strategy": "perturb"}}"#
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(generator), \#(synthesize)]}"#), [
            "$.stages[1].params.conditional: conditional: true needs train_on: all (the model must see both classes)",
            "$.stages[2].params.strategy: perturb needs a model with a latent code (vae), not flow",
        ])
        let vae = generator.replacingOccurrences(of: #""flow", "conditional": true"#, with: #""vae""#)
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(vae), \#(synthesize)]}"#), [], "a VAE has a latent code")
        let typed = synthesize.replacingOccurrences(of: "perturb", with: "typed")
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(vae), \#(typed)]}"#),
                       ["$.stages[2].params.strategy: typed needs a mixture model of the normal rows (gmm), not vae"])
        let convFlow = #"{"id": "gen", "type": "train_generator", "inputs": {"data": "raw"}, "params": {"model": "flow", "architecture": "conv"}}"#
        let convForest = #"{"id": "det", "type": "train_detector", "inputs": {"data": "raw"}, "params": {"model": "iforest", "architecture": "conv", "negatives": true}}"#
        let convMLP = #"{"id": "mlp", "type": "train_detector", "inputs": {"data": "raw"}, "params": {"model": "mlp", "architecture": "conv"}}"#
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(convFlow), \#(convForest), \#(convMLP)]}"#), [
            "$.stages[1].params.architecture: flow has no convolutional form; conv is for gan and vae",
            "$.stages[2].params.negatives: negatives: true (anomalies as negatives) is for the autoencoder, vae, flow and gan; iforest cannot use it",
            "$.stages[2].params.architecture: iforest has no convolutional form; conv is for mlp, autoencoder, vae and gan",
        ])
        let suspicious = #"{"id": "det", "type": "train_detector", "inputs": {"data": "raw"}, "params": {"model": "autoencoder", "unlabelled_suspects": 0.2}}"#
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(suspicious)]}"#),
                       ["$.stages[1].params.unlabelled_suspects: unlabelled_suspects is for the supervised detectors (mlp, logistic, xgboost); autoencoder learns the normal rows alone"])
    }

    func test_listsOfStrings_acceptOneValue_andNumbersAsText() throws {
        let labelled = #"{"id": "raw", "type": "ingest", "params": {"path": "tiny.arff", "label": {"column": "class", "positive": "yes"}}}"#
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(labelled)]}"#), [])
        let file = folder.appendingPathComponent("p.json").path
        XCTAssertEqual(try PipelineLoader.load(file).stage("raw")?.params["label"]?["positive"], .array([.string("yes")]))
        let overridden = try PipelineLoader.load(file, overrides: ["raw.params.label.positive=[1, \"b\"]"])
        XCTAssertEqual(overridden.stage("raw")?.params["label"]?["positive"], .array([.string("1"), .string("b")]))
        let one = try PipelineLoader.load(file, overrides: ["raw.params.label.positive=1"])
        XCTAssertEqual(one.stage("raw")?.params["label"]?["positive"], .array([.string("1")]))
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(labelled)]}"#, overrides: ["raw.params.label.positive={\"a\": 1}"]),
                       [#"$.stages[0].params.label.positive: expected a string or an array of strings, got {"a":1}"#])
    }

    func test_everyProblem_isReportedAtOnce() throws {
        let found = try issues(#"{"name": "x", "stages": [{"id": "a", "type": "ingest", "params": {"path": "nope.csv", "delimter": ";"}}, {"id": "a", "type": "evaluate"}]}"#)
        XCTAssertEqual(found.count, 5, "\(found)")
    }

    func test_unknownStageType_suggestsTheClosest() throws {
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [{"id": "a", "type": "preproces", "inputs": {}}]}"#),
                       ["$.stages[0].type: unknown stage type 'preproces'; did you mean 'preprocess'?; expected one of augment, evaluate, ingest, preprocess, synthesize, train_detector, train_generator"])
    }

    func test_gates_areCheckedItemByItem_atTheirJSONPaths() throws {
        let evaluate = #"{"id": "e", "type": "evaluate", "inputs": {"detectors": ["raw"], "test": "raw"}, "params": {"gates": "#
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(evaluate)[{"metric": "pr_acu", "min": 0.5}, {"metric": "f1", "mni": 1}]}}]}"#), [
            "$.stages[1].params.gates[0].metric: expected one of 'roc_auc', 'pr_auc', 'f1', 'precision', 'recall', 'gmean', 'specificity', 'precision_at_k', got \"pr_acu\"; did you mean 'pr_auc'?",
            "$.stages[1].params.gates[1].mni: unknown parameter 'mni'; did you mean 'min'?",
        ])
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(evaluate){"metric": "f1"}}}]}"#),
                       [#"$.stages[1].params.gates: expected an array of objects, got {"metric":"f1"}"#])
    }

    func test_duplicateIds() throws {
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), \#(ingest)]}"#), ["$.stages[1].id: duplicate stage id 'raw'"])
    }

    func test_inputNamingAMissingStageOrOutput() throws {
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), {"id": "p", "type": "preprocess", "inputs": {"data": "rav"}}]}"#),
                       ["$.stages[1].inputs.data: input 'rav' names no stage; did you mean 'raw'?"])
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), {"id": "p", "type": "preprocess", "inputs": {"data": "raw.train"}}]}"#),
                       ["$.stages[1].inputs.data: stage 'raw' (ingest) has no output 'train'; it has data"])
    }

    func test_cycle_isNamed() throws {
        let found = try issues(#"{"name": "x", "stages": [{"id": "a", "type": "preprocess", "inputs": {"data": "b.train"}}, {"id": "b", "type": "preprocess", "inputs": {"data": "a.test"}}]}"#)
        XCTAssertEqual(found, ["$.stages[0].inputs: cycle: a -> b -> a"])
    }

    func test_wrongTypeAndRange() throws {
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [\#(ingest), {"id": "p", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"test_fraction": "half", "stratify": 1}}}]}"#),
                       ["$.stages[1].params.split.test_fraction: expected a number, got \"half\"",
                        "$.stages[1].params.split.stratify: expected true or false, got 1"])
        XCTAssertEqual(try issues(#"{"name": "x", "seed": -1, "stages": [\#(ingest)]}"#), ["$.seed: expected an integer >= 0, got -1"])
    }

    func test_unknownParameter_suggestsTheClosest() throws {
        XCTAssertEqual(try issues(#"{"name": "x", "stages": [{"id": "raw", "type": "ingest", "params": {"path": "tiny.arff", "membr": "x"}}]}"#),
                       ["$.stages[0].params.membr: unknown parameter 'membr'; did you mean 'member'?"])
    }

    func test_pathThatDoesNotExist() throws {
        let found = try issues(#"{"name": "x", "stages": [{"id": "raw", "type": "ingest", "params": {"path": "missing.csv"}}]}"#)
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].hasPrefix("$.stages[0].params.path: file 'missing.csv' does not exist"), found[0])
    }

    func test_syntaxError_givesLineAndColumn() throws {
        let file = folder.appendingPathComponent("broken.json").path
        try "{\n  \"name\": \"x\",\n  \"stages\": [\n}".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(errorMessage { try PipelineLoader.load(file) }, "\(file):4:1: $: invalid JSON: unexpected character '}', expected a value")
    }

    func test_setOverrides_changeParameters_andBadOnesAreReported() throws {
        let json = #"{"name": "x", "stages": [\#(ingest), {"id": "p", "type": "preprocess", "inputs": {"data": "raw"}}]}"#
        XCTAssertEqual(try issues(json, overrides: ["p.params.split.test_fraction=0.25"]), [])
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path, overrides: ["p.params.split.test_fraction=0.25", "p.params.scale=minmax"])
        XCTAssertEqual(pipeline.stage("p")?.params["split"]?["test_fraction"], .number(0.25))
        XCTAssertEqual(pipeline.stage("p")?.params["scale"], .string("minmax"))
        XCTAssertEqual(try issues(json, overrides: ["q.params.scale=minmax"]), ["--set q.params.scale=minmax: no stage with id 'q'"])
        XCTAssertEqual(try issues(json, overrides: ["p.scale=minmax"]), ["--set p.scale=minmax: expected STAGE.params.KEY=VALUE (dotted keys for nested parameters) or seed=N"])
    }

    func test_setOnAMatrixAxis_replacesTheAxis() throws {
        let file = repositoryRoot.appendingPathComponent("pipelines/compare-generators.json").path
        let all = try PipelineLoader.load(file)
        XCTAssertEqual(all.stages.filter { $0.id.hasPrefix("gen@") }.count, 20, "4 models x 5 folds")
        let one = try PipelineLoader.load(file, overrides: ["gen.params.model=gan"])
        XCTAssertEqual(one.stages.filter { $0.id.hasPrefix("gen@") }.map(\.id), (0..<5).map { "gen@fold=\($0)" }, "an axis of one value names no variant")
        XCTAssertEqual(Set(one.stages.compactMap { $0.id.hasPrefix("gen@") ? $0.params["model"]?.stringValue : nil }), ["gan"])
        let two = try PipelineLoader.load(file, overrides: [#"gen.params.model=["smote","vae"]"#, "prep.params.split.fold=0"])
        XCTAssertEqual(two.stages.filter { $0.id.hasPrefix("gen@") }.map(\.id), ["gen@model=smote", "gen@model=vae"])
        XCTAssertTrue(errorMessage { try PipelineLoader.load(file, overrides: ["gen.params.model=nope"]) }.contains("$.stages[2].params.model: expected one of"))
    }

    func test_setSeed_replacesThePipelineSeed_andIsValidated() throws {
        let json = #"{"name": "x", "seed": 1, "stages": [\#(ingest)]}"#
        XCTAssertEqual(try issues(json, overrides: ["seed=7"]), [])
        XCTAssertEqual(try PipelineLoader.load(folder.appendingPathComponent("p.json").path, overrides: ["seed=7"]).seed, 7)
        let bad = try issues(json, overrides: ["seed=-1"])
        XCTAssertEqual(bad.count, 1)
        XCTAssertTrue(bad.first?.hasPrefix("$.seed: expected an integer >= 0") == true, "\(bad)")
    }
}
