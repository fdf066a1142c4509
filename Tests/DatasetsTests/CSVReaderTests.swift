import Datasets
import TensorCore
import TestSupport
import XCTest

final class CSVReaderTests: XCTestCase {
    func test_rfc4180_quotesEmbeddedDelimitersQuotesAndNewlines_crlfAndBOM() throws {
        let text = "\u{FEFF}name,amount,label\r\n\"Smith, J\",1.5,0\r\n\"say \"\"hi\"\"\",2,1\r\n\"two\nlines\",3,0\r\n"
        for chunk in [1, 2, 7, 1 << 20] {
            let data = try readCSV(text, label: LabelSpec(column: "label", positive: ["1"]), chunk: chunk)
            XCTAssertEqual(data.columns.map(\.name), ["name", "amount"])
            XCTAssertEqual(data.columns[0].categories, ["Smith, J", "say \"hi\"", "two\nlines"], "chunk \(chunk)")
            XCTAssertEqual(data.features.scalars, [0, 1.5, 1, 2, 2, 3])
            XCTAssertEqual(data.labels, [0, 1, 0])
        }
    }

    func test_missingValues_becomeNaN_andAreConfigurable() throws {
        let text = "a,b\n1,x\n,y\n?,NA\nNaN,\n-,z\n"
        let data = try readCSV(text)
        XCTAssertEqual(data.columns[0].kind, .categorical(categories: ["1", "-"]), "'-' is text unless declared missing")
        var options = CSVOptions()
        options.missingValues = ["", "?", "NA", "NaN", "-"]
        let declared = try readCSV(text, options: options)
        XCTAssertEqual(declared.columns[0].kind, .numeric(integer: true))
        XCTAssertEqual(declared.features.scalars.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element.isNaN }, [false, true, true, true, true])
        XCTAssertTrue(declared.features[2, 1].isNaN, "NA in a categorical column is missing")
    }

    func test_typeInference_andDeclaredTypes() throws {
        let text = "int,real,text,code\n1,1.5,a,7\n2,-2e3,b,8\n"
        let data = try readCSV(text)
        XCTAssertEqual(data.columns.map(\.kind), [.numeric(integer: true), .numeric(integer: false),
                                                  .categorical(categories: ["a", "b"]), .numeric(integer: true)])
        var options = CSVOptions()
        options.columnTypes = ["code": .categorical, "int": .numeric]
        let declared = try readCSV(text, options: options)
        XCTAssertEqual(declared.columns[3].kind, .categorical(categories: ["7", "8"]))
        XCTAssertEqual(declared.columns[0].kind, .numeric(integer: false))
        XCTAssertEqual(declared.features[1, 1], -2000)
        // Rows read without a sample are typed by the first one; a later row that
        // disagrees sends them through the sample after all.
        XCTAssertEqual(try readCSV("a,b\n1,2\n3,x\n").columns.map(\.kind), [.numeric(integer: true), .categorical(categories: ["2", "x"])])
        XCTAssertEqual(try readCSV("a,b\n1,x\n2.5,3\n").columns.map(\.kind), [.numeric(integer: false), .categorical(categories: ["x", "3"])])
        // The same for plain numbers (read without a sample).
        options.columnTypes = ["a": .numeric]
        XCTAssertEqual(try readCSV("a,b\n1,2\n3,4\n", options: options).columns.map(\.kind), [.numeric(integer: false), .numeric(integer: true)])
    }

    func test_numberParsing_matchesSwiftsParserOnManyValues() throws {
        var rng = SeededRNG(seed: 11)
        var values: [String] = ["0", "-0.0", "1e-7", "3.4028235e38", "123456789012345678901234", ".5", "5.", "+7", "1E+3", "0.000001234"]
        for _ in 0..<2000 {
            let magnitude = Foundation.pow(10, Double(rng.index(below: 20)) - 10)
            values.append(String(Double(rng.normal()) * magnitude))
            values.append(String(format: "%.\(rng.index(below: 9))f", Double(rng.uniform(-1000, 1000))))
        }
        let text = "x\n" + values.joined(separator: "\n") + "\n"
        let data = try readCSV(text, chunk: 4096)
        for (value, parsed) in zip(values, data.features.scalars) {
            XCTAssertEqual(parsed, Float(value)!, "\(value)")
        }
    }

    func test_raggedRow_reportsFileLineAndCounts() {
        XCTAssertEqual(errorMessage { try readCSV("a,b,c\n1,2,3\n4,5\n") }, "test.csv:3: 2 fields, header has 3")
        XCTAssertEqual(errorMessage { try readCSV("a,b\n\"x\ny\",1\n1,2,3\n") }, "test.csv:4: 3 fields, header has 2",
                       "line numbers count the line breaks inside quoted fields")
    }

    func test_textInANumericColumn_afterInference_namesLineAndColumn() {
        var options = CSVOptions()
        options.inferenceRows = 2
        let message = errorMessage { try readCSV("a,b\n1,2\n3,4\n5,oops\n", options: options) }
        XCTAssertTrue(message.hasPrefix("test.csv:4: column 'b': 'oops' is not a number"), message)
    }

    func test_emptyFile_headerOnly_andBadQuotes_areClearErrors() {
        XCTAssertEqual(errorMessage { try readCSV("") }, "test.csv: empty file: expected a header row")
        XCTAssertEqual(errorMessage { try readCSV("a,b\n") }, "test.csv: no data rows")
        XCTAssertEqual(errorMessage { try readCSV("a,b\n\"open,1\n") }, "test.csv:2: a quoted field is not closed before the end of the file")
        XCTAssertEqual(errorMessage { try readCSV("a,b\n\"x\"y,1\n") }, "test.csv:2: unexpected text after a closing quote")
        XCTAssertEqual(errorMessage { try readCSV("a,a\n1,2\n") }, "test.csv:1: column name 'a' appears twice in the header")
    }

    func test_label_missingColumn_andAnomalyValueNeverSeen() {
        XCTAssertEqual(errorMessage { try readCSV("a,b\n1,2\n", label: LabelSpec(column: "y", positive: ["1"])) },
                       "test.csv:1: no label column 'y'; the columns are a, b")
        XCTAssertEqual(errorMessage { try readCSV("a,y\n1,no\n2,no\n", label: LabelSpec(column: "y", positive: ["yes"])) },
                       "test.csv: anomaly value 'yes' never occurs in label column 'y' (values seen: no); if the file has no anomalies, say so (label.may_be_absent: true in a pipeline, --may-be-absent for ingest)")
        XCTAssertEqual(errorMessage { try readCSV("a,y\n1,no\n2,yes\n", label: LabelSpec(column: "y", positive: ["yes", "1"])) },
                       "test.csv: anomaly value '1' never occurs in label column 'y' (values seen: yes, no); if the file has no anomalies, say so (label.may_be_absent: true in a pipeline, --may-be-absent for ingest)",
                       "the anomaly values that did occur are among the values seen")
        // ISLR's Default: Yes/No text, the default anomaly value 1: the rare value is suggested.
        XCTAssertEqual(errorMessage { try readCSV("a,default\n1,No\n2,Yes\n3,No\n4,No\n", label: LabelSpec(column: "default", positive: ["1"]), chunk: 3) },
                       "test.csv: anomaly value '1' never occurs in label column 'default' (values seen: No, Yes); the rarest value is 'Yes' (1 of 4 rows): if it marks the anomalies, give --positive Yes (label.positive in a pipeline); if the file has no anomalies, say so (label.may_be_absent: true in a pipeline, --may-be-absent for ingest)")
        let normalOnly = try? readCSV("a,y\n1,no\n2,no\n", label: LabelSpec(column: "y", positive: ["yes"], mayBeAbsent: true))
        XCTAssertEqual(normalOnly?.labels, [0, 0], "a file of normal rows, said so")
        XCTAssertEqual(errorMessage { try readCSV("a,y\n1,\n", label: LabelSpec(column: "y", positive: ["1"])) },
                       "test.csv:2: the label column 'y' is empty")
    }

    func test_delimiterAndNoHeader() throws {
        var options = CSVOptions()
        options.delimiter = ";"
        options.hasHeader = false
        let data = try readCSV("1;2;a\n3;4;b\n", label: LabelSpec(column: "c2", positive: ["b"]), options: options)
        XCTAssertEqual(data.columns.map(\.name), ["c0", "c1"])
        XCTAssertEqual(data.labels, [0, 1])
    }

    func test_manyColumnsWithoutHeader_labelByPosition() throws {
        let rows = (0..<3).map { r in (0..<65).map { String(($0 + r) % 17) }.joined(separator: ",") }
        var options = CSVOptions()
        options.hasHeader = false
        let data = try readCSV(rows.joined(separator: "\n"), label: LabelSpec(column: "c64", positive: ["13"]), options: options)
        XCTAssertEqual(data.features.shape, [3, 64])
        XCTAssertEqual(data.labels, [1, 0, 0], "row 0 ends in 64 % 17 = 13")
    }
}

import Foundation

/// Large all-numeric files are parsed in parallel blocks with a one-pass fast path;
/// the result must equal the sequential general path, errors included.
final class ParallelCSVTests: XCTestCase {
    private func bigText(rows: Int, tweak: (Int) -> String? = { _ in nil }) -> String {
        var rng = SeededRNG(seed: 21)
        var lines = ["a,b,c,label"]
        for r in 0..<rows {
            if let special = tweak(r) { lines.append(special); continue }
            lines.append(String(format: r % 10 == 0 ? "%.4f,%d,%.2e,%@" : "%.4f,%d,%.3f,%@", Double(rng.normal()), rng.index(below: 1000), Double(rng.uniform()), r % 97 == 0 ? "yes" : "no"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func read(_ text: String, threads: Int) throws -> Dataset {
        var options = CSVOptions()
        options.threads = threads
        options.inferenceRows = 100
        options.blockBytes = 1 << 16
        var source = MemoryByteSource(name: "big.csv", bytes: Array(text.utf8))
        return try CSVReader.read(&source, label: LabelSpec(column: "label", positive: ["yes"]), options: options)
    }

    private func readMapped(_ text: String, threads: Int) throws -> Dataset {
        let path = try temporaryDirectory().appendingPathComponent("big.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = CSVOptions()
        options.threads = threads
        options.inferenceRows = 100
        options.blockBytes = 1 << 16
        var source = try FileByteSource(path: path)
        return try CSVReader.read(&source, label: LabelSpec(column: "label", positive: ["yes"]), options: options)
    }

    func test_parallelAndMappedReading_equalSequentialReading() throws {
        let text = bigText(rows: 40_000) { r in
            switch r {
            case 5000: return ",1,2,no"                  // missing value
            case 9000: return ""                          // blank line
            case 12000: return "1.5, 2 ,3e1, yes"         // spaces
            case 15000: return "0.000001234567,7,1,no"    // long mantissa
            // A quoted label over 20,001 lines (40 kB): a block's parts split inside it.
            case 20000: return "1,2,3,\"" + String(repeating: "x\n", count: 20_000) + "no\""
            default: return nil
            }
        }
        let sequential = try read(text, threads: 1)
        for candidate in [try read(text, threads: 2), try readMapped(text, threads: 2), try readMapped(text, threads: 3)] {
            XCTAssertEqual(candidate.labels, sequential.labels)
            XCTAssertEqual(candidate.columns, sequential.columns)
            XCTAssertEqual(candidate.features.scalars.map(\.bitPattern), sequential.features.scalars.map(\.bitPattern))
        }
        XCTAssertEqual(sequential.rowCount, 39_999)
        XCTAssertEqual(sequential.labels[11_999], 1, "' yes' is trimmed")
        XCTAssertEqual(Array(sequential.features.scalars[19_999 * 3 ..< 20_000 * 3]), [1, 2, 3], "the quoted record is one row (after one blank line)")
    }

    /// The one-pass path for plain numbers (read up to the line break without bounds checks,
    /// one float or double operation) against Swift's parser, on every digit count and
    /// exponent the path takes and the ones it hands on.
    func test_plainNumbers_inParallelBlocks_matchSwiftsParser() throws {
        var rng = SeededRNG(seed: 23)
        var lines = ["a,b,c,label"]
        let fixed = ["0", "7", "-0.0", "1234567", "12345678", "0.1234567", "0.12345678", "-12.5", "7.", ".25", "00012.5",
                     "99999.99", "0.000001", "123.4567", "8388609", "16777217", "1e3", "1.2e-05", "-3.5E+07", "4e22", "1e-30",
                     "0.0940123", "-0.00445413", "123456789012345678", "16777216.5", "33554433", "1.00000005960464477539", "2e-0"]
        for r in 0..<12_000 {
            var fields: [String] = []
            for _ in 0..<3 {
                let digits = 1 + rng.index(below: rng.uniform() < 0.8 ? 9 : 18), point = rng.index(below: digits + 1)
                var text = (0..<digits).map { _ in String(rng.index(below: 10)) }.joined()
                if point < digits { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) }
                if rng.uniform() < 0.1 { text += ["e", "E", "e-", "e+"][rng.index(below: 4)] + String(rng.index(below: 25)) }
                fields.append(r % 50 == 0 ? fixed[rng.index(below: fixed.count)] : (rng.uniform() < 0.3 ? "-" : "") + text)
            }
            lines.append(fields.joined(separator: ",") + (r % 7 == 0 ? ",yes" : ",no"))
        }
        let text = lines.joined(separator: "\n") + "\n"
        let parallel = try read(text, threads: 2)
        let expected = lines.dropFirst().flatMap { $0.split(separator: ",").prefix(3).map { Float(String($0))! } }
        XCTAssertEqual(parallel.features.scalars.map(\.bitPattern), expected.map(\.bitPattern))
        // The last record ends the text, with and without a line break.
        for end in ["\n", ""] {
            let short = try read(text + "1.5,2,3.25,no" + end, threads: 2)
            XCTAssertEqual(Array(short.features.scalars.suffix(3)), [1.5, 2, 3.25])
            XCTAssertEqual(short.rowCount, 12_001)
        }
    }

    /// First rows of plain numbers skip the sample (converted straight away); a quote in
    /// the first row sends the same data through the sample. Rows that grow longer after
    /// the first MiB outrun the room reserved from it. CRLF line breaks take the same
    /// path as LF. All readings agree.
    func test_plainFirstRows_convertedStraightAway_equalTheSampledReading() throws {
        var rng = SeededRNG(seed: 31)
        var rows: [String] = []
        for r in 0..<240_000 {
            let b = r == 150_000 ? "2.5" : String(rng.index(below: 1000))  // integral in the first rows only
            rows.append(String(format: r < 100_000 ? "%.1f,%@,%.1f,%@,%d" : "%.6f,%@,%.6f,%@,%d",
                               Double(rng.normal()), b, Double(rng.uniform()), r % 97 == 0 ? "yes" : "no", r % 7))
        }
        let plain = "a,b,c,label,d\n" + rows.joined(separator: "\n") + "\n"
        let first = rows[0].split(separator: ",", maxSplits: 1)
        let quoted = "a,b,c,label,d\n\"\(first[0])\",\(first[1])\n" + rows.dropFirst().joined(separator: "\n") + "\n"
        let sampled = try readMapped(quoted, threads: 1)
        XCTAssertEqual(sampled.columns.map(\.kind), [.numeric(integer: false), .numeric(integer: false), .numeric(integer: false), .numeric(integer: true)])
        XCTAssertEqual(sampled.rowCount, 240_000)
        let crlf = plain.replacingOccurrences(of: "\n", with: "\r\n")
        for candidate in [try readMapped(plain, threads: 1), try readMapped(plain, threads: 2), try read(plain, threads: 2),
                          try readMapped(crlf, threads: 2)] {
            XCTAssertEqual(candidate.labels, sampled.labels)
            XCTAssertEqual(candidate.columns, sampled.columns)
            XCTAssertEqual(candidate.features.scalars.map(\.bitPattern), sampled.features.scalars.map(\.bitPattern))
        }
    }

    /// Categorical columns in parallel blocks: each piece numbers the categories it meets
    /// first, and the merge renumbers them in file order, as one sequential pass would.
    func test_categoricalColumns_inParallelBlocks_equalSequentialReading() throws {
        var rng = SeededRNG(seed: 41)
        var lines = ["x,proto,service,label"]
        for r in 0..<30_000 {
            // Services appear over the file (new ones in every block and piece), protocols
            // from the start; some values missing, some lines CRLF.
            let service = r % 11 == 10 ? "" : (r % 13 == 12 ? "?" : "svc\(rng.index(below: 3 + r / 400))")
            let line = String(format: "%.3f,%@,%@,%@", Double(rng.normal()), ["tcp", "udp", "icmp"][rng.index(below: 3)], service, r % 97 == 0 ? "yes" : "no")
            lines.append(line + (r % 5 == 0 ? "\r" : ""))
        }
        let text = lines.joined(separator: "\n") + "\n"
        var firstSeen: [String] = []
        for line in lines.dropFirst() {
            let service = String(line.split(separator: ",", omittingEmptySubsequences: false)[2])
            if service != "", service != "?", !firstSeen.contains(service) { firstSeen.append(service) }
        }
        let sequential = try read(text, threads: 1)
        XCTAssertEqual(sequential.columns[2].categories, firstSeen)
        XCTAssertGreaterThan(firstSeen.count, 70)
        let code = Dictionary(uniqueKeysWithValues: firstSeen.enumerated().map { ($1, Float($0)) })
        let expected = lines.dropFirst().map { code[String($0.split(separator: ",", omittingEmptySubsequences: false)[2])] ?? -1 }
        XCTAssertEqual((0..<sequential.rowCount).map { sequential.features[$0, 2].isNaN ? -1 : sequential.features[$0, 2] }, expected)
        // The same rows with a quote in the first: typed by the sample instead of the first row.
        let first = lines[1].split(separator: ",", maxSplits: 1)
        let quoted = ([lines[0], "\"\(first[0])\",\(first[1])"] + lines.dropFirst(2)).joined(separator: "\n") + "\n"
        for candidate in [try read(text, threads: 2), try readMapped(text, threads: 3), try read(quoted, threads: 2)] {
            XCTAssertEqual(candidate.columns, sequential.columns)
            XCTAssertEqual(candidate.labels, sequential.labels)
            XCTAssertEqual(candidate.features.scalars.map(\.bitPattern), sequential.features.scalars.map(\.bitPattern))
        }
    }

    /// Real data: the KDD Cup rows of the KEEL fixture, as CSV, read on several cores in small
    /// blocks (so most rows go through pieces), agree value for value with the KEEL reader.
    func test_realKDDRows_asCSV_inParallelBlocks_agreeWithTheKEELReader() throws {
        let path = fixture("kddcup-rootkit-small.dat")
        var keelSource = try FileByteSource(path: path)
        let keel = try ARFFReader.read(&keelSource, positive: ["positive"])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let names = lines.filter { $0.hasPrefix("@attribute") }.map { $0.split(separator: " ")[1] }
        let rows = lines.drop { !$0.hasPrefix("@data") }.dropFirst()
        let text = ([names.joined(separator: ",")] + rows.map(String.init)).joined(separator: "\n") + "\n"
        var options = CSVOptions()
        options.threads = 2
        options.inferenceRows = 10
        options.blockBytes = 1 << 13
        var source = MemoryByteSource(name: "kdd.csv", bytes: Array(text.utf8))
        let csv = try CSVReader.read(&source, label: LabelSpec(column: "Class", positive: ["positive"]), options: options)
        XCTAssertEqual(csv.rowCount, keel.rowCount)
        XCTAssertEqual(csv.labels, keel.labels)
        XCTAssertEqual(csv.columns.map(\.name), keel.columns.map(\.name))
        // A cell as text (KEEL declares some 0/1 columns nominal, where CSV infers numbers).
        func cell(_ data: Dataset, _ row: Int, _ column: Int) -> String {
            let value = data.features[row, column]
            guard let categories = data.columns[column].categories else { return "\(value)" }
            return Float(categories[Int(value)]).map { "\($0)" } ?? categories[Int(value)]
        }
        XCTAssertEqual(csv.columns.prefix(4).map { $0.categories != nil }, [false, true, true, true], "protocol, service, flag")
        for column in 0..<keel.columns.count {
            XCTAssertEqual((0..<csv.rowCount).map { cell(csv, $0, column) }, (0..<keel.rowCount).map { cell(keel, $0, column) }, keel.columns[column].name)
        }
    }

    func test_errorInAParallelBlock_namesTheAbsoluteLine() throws {
        let text = bigText(rows: 30_000) { $0 == 25_000 ? "1,2,oops,no" : nil }
        XCTAssertTrue(errorMessage { try readMapped(text, threads: 2) }.contains(":25002: column 'c': 'oops' is not a number"),
                      errorMessage { try readMapped(text, threads: 2) })
        let ragged = bigText(rows: 30_000) { $0 == 20_000 ? "1,2" : nil }
        XCTAssertTrue(errorMessage { try read(ragged, threads: 2) }.hasSuffix("big.csv:20002: 2 fields, header has 4"),
                      errorMessage { try read(ragged, threads: 2) })
    }
}
