import Foundation
@testable import PipelineEngine
import TestSupport
import XCTest

final class SchemaTests: XCTestCase {
    func test_committedSchema_isTheGeneratedOne() throws {
        let committed = try String(contentsOfFile: repositoryRoot.appendingPathComponent("schemas/pipeline.schema.json").path, encoding: .utf8)
        XCTAssertEqual(committed, PipelineSchema.document.pretty() + "\n", "run `make schema`")
    }

    func test_examplePipelines_passBothJSONSchemaAndSwift_andInvalidOnesFailBoth() throws {
        guard let python = python(with: ["jsonschema"]) else { throw XCTSkip("no Python with jsonschema: run `make setup`") }
        let examples = repositoryRoot.appendingPathComponent("pipelines")
        let invalid = repositoryRoot.appendingPathComponent("Tests/Fixtures/invalid-pipelines")
        let valid = try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".json") }.map { examples.appendingPathComponent($0).path }
        let bad = try FileManager.default.contentsOfDirectory(atPath: invalid.path).filter { $0.hasSuffix(".json") }.map { invalid.appendingPathComponent($0).path }
        XCTAssertFalse(valid.isEmpty)
        XCTAssertGreaterThanOrEqual(bad.count, 6)
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for path in sys.argv[2:]:
                errors = list(validator.iter_errors(json.load(open(path))))
                print(path.split('/')[-1], 'invalid' if errors else 'valid')
            """
        let result = try runProcess(python, ["-c", script, repositoryRoot.appendingPathComponent("schemas/pipeline.schema.json").path] + valid + bad)
        XCTAssertEqual(result.status, 0, result.output)
        for file in valid {
            XCTAssertTrue(result.output.contains("\(URL(fileURLWithPath: file).lastPathComponent) valid"), result.output)
            XCTAssertNoThrow(try PipelineLoader.load(file), file)
        }
        for file in bad {
            XCTAssertTrue(result.output.contains("\(URL(fileURLWithPath: file).lastPathComponent) invalid"), "jsonschema accepted \(file)")
            XCTAssertThrowsError(try PipelineLoader.load(file), "Swift accepted \(file)")
        }
    }
}

final class ExamplePipelineFilesTests: XCTestCase {
    /// Every example validates from a copy of the repository's own `pipelines/` and `data/`,
    /// with nothing beside them: no example reads outside the repository.
    func test_everyExample_validatesFromTheRepositoryAlone() throws {
        let clone = try temporaryDirectory().appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: clone, withIntermediateDirectories: true)
        for folder in ["pipelines", "data"] {
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent(folder), to: clone.appendingPathComponent(folder))
        }
        let examples = try FileManager.default.contentsOfDirectory(atPath: clone.appendingPathComponent("pipelines").path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(examples.count, 9)
        for name in examples {
            XCTAssertNoThrow(try PipelineLoader.load(clone.appendingPathComponent("pipelines/\(name)").path), name)
        }
    }
}

final class ReadmeReferenceTests: XCTestCase {
    func test_theStageReference_isTheGeneratedOne() throws {
        let readme = try String(contentsOfFile: repositoryRoot.appendingPathComponent("docs/stages.md").path, encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "<!-- stage-reference:start -->\n"))
        let end = try XCTUnwrap(readme.range(of: "\n<!-- stage-reference:end -->"))
        XCTAssertEqual(String(readme[start.upperBound..<end.lowerBound]), PipelineSchema.markdownReference,
                       "run `make schema` (it rewrites this section of docs/stages.md)")
    }
}
