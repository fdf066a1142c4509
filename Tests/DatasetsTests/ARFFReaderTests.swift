import Datasets
import TestSupport
import XCTest

final class ARFFReaderTests: XCTestCase {
    private func read(_ path: String, labelColumn: String? = nil, positive: [String] = ["positive"]) throws -> Dataset {
        var source = try FileByteSource(path: path)
        return try ARFFReader.read(&source, labelColumn: labelColumn, positive: positive)
    }

    func test_keelFile_fromTheKDDCupIntrusionSet() throws {
        let data = try read(fixture("kddcup-rootkit-small.dat"))
        XCTAssertEqual(data.rowCount, 193)
        XCTAssertEqual(data.anomalyCount, 12)
        XCTAssertEqual(data.columns.count, 41)
        XCTAssertEqual(data.columns[1].kind, .categorical(categories: ["icmp", "tcp", "udp"]), "in the order the header declares")
        XCTAssertEqual(data.columns[0].kind, .numeric(integer: false))
    }

    func test_arff_quotedNamesCommentsMissingIntegerAndNominal() throws {
        let data = try read(fixture("tiny.arff"), positive: ["anomaly"])
        XCTAssertEqual(data.columns.map(\.name), ["width cm", "count", "colour"])
        XCTAssertEqual(data.columns[1].kind, .numeric(integer: true))
        XCTAssertEqual(data.labels, [0, 0, 1, 0])
        XCTAssertTrue(data.features[1, 0].isNaN)
        XCTAssertTrue(data.features[2, 1].isNaN)
        XCTAssertEqual(data.features[2, 2], 2, "blue is the third declared colour")
    }

    func test_quotedValues_withSpacesCommasAndEscapes_asWekaWritesThem() throws {
        let text = """
            @relation 'sky data'
            @attribute 'sky' {'blue sky', "grey, low", clear}
            @attribute note string
            @attribute x numeric
            @attribute class {normal, anomaly}
            @data
            'blue sky', 'it\\'s fine', 1.5, normal
            "grey, low" , "a, b" ,2,anomaly
            clear,plain,3,normal
            """
        var source = TrickleSource(text, name: "sky.arff")
        let data = try ARFFReader.read(&source, positive: ["anomaly"])
        XCTAssertEqual(data.columns[0].kind, .categorical(categories: ["blue sky", "grey, low", "clear"]))
        XCTAssertEqual(data.rowCount, 3)
        XCTAssertEqual((0..<3).map { data.features[$0, 0] }, [0, 1, 2])
        guard case .categorical(let notes) = data.columns[1].kind else { return XCTFail("note is a string attribute") }
        XCTAssertEqual(notes, ["it's fine", "a, b", "plain"], "quotes removed, escapes resolved, commas kept")
        XCTAssertEqual(data.labels, [0, 1, 0])
        var open = TrickleSource("@attribute a {x, y}\n@data\n'x, 1\n", name: "open.arff")
        XCTAssertEqual(errorMessage { try ARFFReader.read(&open, labelColumn: "a", positive: ["x"]) },
                       "open.arff:3: a value quoted with ' is not closed on its line")
        var sparse = TrickleSource("@attribute a numeric\n@attribute c {p, q}\n@data\n{0 1, 1 p}\n", name: "sparse.arff")
        XCTAssertTrue(errorMessage { try ARFFReader.read(&sparse, positive: ["p"]) }.contains("sparse ARFF rows"))
    }

    func test_valueOutsideTheNominalList_andUnsupportedType_areClearErrors() {
        let bad = "@relation r\n@attribute c {a, b}\n@attribute class {positive, negative}\n@data\na, positive\nz, negative\n"
        var source = TrickleSource(bad, name: "bad.dat")
        XCTAssertEqual(errorMessage { try ARFFReader.read(&source) },
                       "bad.dat:6: column 'c': 'z' is not one of its declared values [\"a\", \"b\"]")
        var dates = TrickleSource("@relation r\n@attribute when date\n@data\n", name: "d.arff")
        XCTAssertTrue(errorMessage { try ARFFReader.read(&dates) }.hasPrefix("d.arff:2: attribute 'when': type 'date' is not supported"))
        var noData = TrickleSource("@relation r\n@attribute x real\n", name: "n.arff")
        XCTAssertEqual(errorMessage { try ARFFReader.read(&noData) }, "n.arff: no @data section")
        var ragged = TrickleSource("@relation r\n@attribute x real\n@attribute class {positive,negative}\n@data\n1\n", name: "r.dat")
        XCTAssertEqual(errorMessage { try ARFFReader.read(&ragged) }, "r.dat:5: 1 values, 2 attributes declared")
    }
}
