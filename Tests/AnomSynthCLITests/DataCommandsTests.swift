@testable import AnomSynthCLI
import ArchiveIO
import ArgumentParser
import Datasets
import Foundation
import TestSupport
import XCTest

/// The data commands run in-process, as a user would call them.
final class DataCommandsTests: XCTestCase {
    private func run(_ arguments: [String]) throws { try runCommand(arguments) }

    func test_ingestInspectExport_onTheKEELIntrusionFile() throws {
        let folder = try temporaryDirectory().path
        try run(["ingest", fixture("kddcup-rootkit-small.dat"), "--out", "\(folder)/kdd.tar.zst"])
        let manifest = try DatasetArchive.manifest("\(folder)/kdd.tar.zst")
        XCTAssertEqual(manifest.rows, 193)
        XCTAssertEqual(manifest.rowsPerClass["anomaly"], 12)
        let summary = InspectCommand.summary(manifest, archive: "kdd.tar.zst")
        XCTAssertTrue(summary.contains("classes: 181 normal, 12 anomaly"), summary)
        XCTAssertTrue(summary.contains("Atr-1"), summary)
        try run(["inspect", "\(folder)/kdd.tar.zst", "--json"])
        try run(["export", "\(folder)/kdd.tar.zst", "--csv", "\(folder)/kdd.csv"])
        let csv = try String(contentsOfFile: "\(folder)/kdd.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 194)
        XCTAssertTrue(csv.hasPrefix("Atr-0,Atr-1,"))
    }

    func test_inspect_printsLongColumnNamesWhole() throws {
        let folder = try temporaryDirectory().path
        let long = "date_posted_weekday_of_the_project_listing"  // 42 characters: two such one-hot columns differ at the end
        try "\(long)_a,\(long)_b\n1,2\n3,4\n".write(toFile: "\(folder)/wide.csv", atomically: true, encoding: .utf8)
        try run(["ingest", "\(folder)/wide.csv", "--out", "\(folder)/wide.tar.zst"])
        let summary = InspectCommand.summary(try DatasetArchive.manifest("\(folder)/wide.tar.zst"), archive: "wide.tar.zst")
        XCTAssertTrue(summary.contains("\(long)_a  ") && summary.contains("\(long)_b  "), summary)
    }

    func test_ingest_csvWithLabelAndGzip_thenExportRestoresValues() throws {
        let folder = try temporaryDirectory().path
        try run(["ingest", fixture("digits-small.csv.gz"), "--no-header", "--label", "c64", "--positive", "9",
                 "--compression", "gzip", "--out", "\(folder)/d.tar.gz"])
        let (data, _) = try DatasetArchive.read("\(folder)/d.tar.gz")
        XCTAssertEqual(data.features.shape, [200, 64])
        XCTAssertEqual(data.columns[0].kind, .numeric(integer: true))
    }

    func test_badInput_exitsWithCode1_andBadArguments_areValidationErrors() throws {
        let folder = try temporaryDirectory().path
        try "a,b\n1,2\n3\n".write(toFile: "\(folder)/ragged.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try run(["ingest", "\(folder)/ragged.csv", "--out", "\(folder)/x.tar.zst"])) { error in
            XCTAssertEqual(error as? ExitCode, ExitCode(1))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/x.tar.zst"), "nothing is written on failure")
        XCTAssertThrowsError(try AnomSynthCommand.parseAsRoot(["ingest", "x.csv", "--positive", "1", "--out", "y"])) { error in
            XCTAssertTrue(AnomSynthCommand.message(for: error).contains("--positive needs --label"), AnomSynthCommand.message(for: error))
            XCTAssertEqual(AnomSynthCommand.exitCode(for: error), ExitCode.validationFailure)
        }
    }
}
