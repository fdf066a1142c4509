@testable import PipelineEngine
import TestSupport
import XCTest

final class JSONParserTests: XCTestCase {
    func test_parsesValues_andRecordsThePositionOfEveryPath() throws {
        let text = "{\n  \"a\": [1, 2.5, \"x\\n\"],\n  \"b\": {\"c\": true, \"d\": null}\n}"
        let (value, positions) = try JSONParser.parse(Array(text.utf8), source: "t.json")
        XCTAssertEqual(value["a"], .array([.number(1), .number(2.5), .string("x\n")]))
        XCTAssertEqual(value["b"]?["c"], .bool(true))
        XCTAssertEqual(positions["$.b.c"]?.line, 3)
        XCTAssertEqual(positions["$.a[2]"]?.line, 2)
        XCTAssertEqual(positions["$.a[2]"]?.column, 17)
    }

    func test_syntaxErrors_nameLineAndColumn() {
        XCTAssertEqual(errorMessage { try JSONParser.parse(Array("{\n  \"a\": 1,\n}".utf8), source: "p.json") },
                       "p.json:3:1: trailing comma before '}'")
        XCTAssertEqual(errorMessage { try JSONParser.parse(Array("{\"a\": tru}".utf8), source: "p.json") },
                       "p.json:1:7: unexpected text, expected true")
        XCTAssertEqual(errorMessage { try JSONParser.parse(Array("[1 2]".utf8), source: "p.json") },
                       "p.json:1:4: expected ',' or ']' after an array element")
        XCTAssertTrue(errorMessage { try JSONParser.parse(Array("{\"a\": \"open".utf8), source: "p.json") }.contains("unterminated string"))
    }

    func test_hostileDocuments_deepNesting_duplicateKeys_longKeys_areBoundedErrors() throws {
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        XCTAssertEqual(errorMessage { try JSONParser.parse(Array(deep.utf8), source: "d.json") },
                       "d.json:1:65: arrays and objects nest deeper than 64 levels; a pipeline needs far fewer")
        let nested = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONParser.parse(Array(nested.utf8), source: "n.json"), "64 levels are allowed")
        XCTAssertEqual(errorMessage { try JSONParser.parse(Array("{\"a\": 1,\n \"a\": 2}".utf8), source: "p.json") },
                       "p.json:2:2: the key \"a\" appears twice in $ (first at line 1, column 7); give it once")
        let key = String(repeating: "k", count: 200_000)
        let message = errorMessage { try JSONParser.parse(Array("{\"\(key)\": 1, \"\(key)\": 2}".utf8), source: "p.json") }
        XCTAssertLessThan(message.count, 300, "a long key is shortened in messages")
        XCTAssertTrue(message.contains("(200000 characters)"), message)
    }

    func test_canonicalForm_sortsKeysAndNormalizesNumbers() throws {
        let (value, _) = try JSONParser.parse(Array("{\"b\": 1.0, \"a\": [2e0, 0.5], \"c\": \"é\"}".utf8), source: "")
        XCTAssertEqual(value.canonical, "{\"a\":[2,0.5],\"b\":1,\"c\":\"é\"}")
    }

    func test_commandLineValues_areJSONWhenTheyParse() {
        XCTAssertEqual(JSONValue.fromCommandLine("300"), .number(300))
        XCTAssertEqual(JSONValue.fromCommandLine("[\"a\"]"), .array([.string("a")]))
        XCTAssertEqual(JSONValue.fromCommandLine("vae"), .string("vae"))
        XCTAssertEqual(JSONValue.fromCommandLine("true"), .bool(true))
    }
}
