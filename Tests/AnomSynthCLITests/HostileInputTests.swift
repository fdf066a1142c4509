import Foundation
import TestSupport
import XCTest

/// Hostile and mistaken inputs through the built executable, as a user meets them: each
/// gives a clear error and the documented exit code, never a crash, and destroys nothing.
final class HostileInputTests: XCTestCase {
    private var folder: URL!
    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    override func setUpWithError() throws { folder = try temporaryDirectory() }

    private func anomsynth(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(try anomsynthExecutable(), arguments)
    }

    func test_badArguments_exit2_asDocumented() throws {
        for arguments in [["frobnicate"], ["run", "--jobs", "0", "p.json"], ["ingest", "x.csv"]] {
            let result = try anomsynth(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.output)")
        }
    }

    func test_anOverflowingNPYHeader_failsTheStage_exit1_insteadOfAborting() throws {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
        let header = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count), 0] + Array(dict.utf8)
        try Data(header).write(to: folder.appendingPathComponent("x.npy"))
        try #"{"name": "bad", "seed": 1, "stages": [{"id": "raw", "type": "ingest", "params": {"path": "x.npy"}}]}"#
            .write(toFile: path("p.json"), atomically: true, encoding: .utf8)
        let result = try anomsynth(["run", path("p.json"), "--out", path("runs"), "--cache-dir", path("cache")])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("x.npy: .npy dimensions [4611686018427387904, 4] are too large"), result.output)
    }

    func test_hostilePipelineFiles_areExit2_withShortMessages() throws {
        try (String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)).write(toFile: path("deep.json"), atomically: true, encoding: .utf8)
        let deep = try anomsynth(["validate", path("deep.json")])
        XCTAssertEqual(deep.status, 2)
        XCTAssertTrue(deep.output.contains("nest deeper than 64 levels"), deep.output)
        let key = String(repeating: "a", count: 2_000_000)
        try #"{"name": "x", "seed": 1, "stages": [], "\#(key)": 1}"#.write(toFile: path("key.json"), atomically: true, encoding: .utf8)
        let long = try anomsynth(["validate", path("key.json")])
        XCTAssertEqual(long.status, 2)
        XCTAssertLessThan(long.output.utf8.count, 2_000, "the key is shortened, not printed whole")
        XCTAssertTrue(long.output.contains("(2000000 characters)"), String(long.output.prefix(500)))
        try #"{"name": "x", "seed": 1, "name": "y", "stages": []}"#.write(toFile: path("dup.json"), atomically: true, encoding: .utf8)
        let duplicate = try anomsynth(["validate", path("dup.json")])
        XCTAssertEqual(duplicate.status, 2)
        XCTAssertTrue(duplicate.output.contains("the key \"name\" appears twice"), duplicate.output)
    }

    func test_outputs_neverReplaceAnInput_aLink_aDevice_orAFolder() throws {
        let csv = "a,b\n1,2\n3,99999999999999999999\n"
        try csv.write(toFile: path("same.csv"), atomically: true, encoding: .utf8)
        let same = try anomsynth(["ingest", path("same.csv"), "--out", path("same.csv")])
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.output.contains("is the input"), same.output)
        XCTAssertEqual(try String(contentsOfFile: path("same.csv"), encoding: .utf8), csv, "the input is untouched")

        XCTAssertEqual(try anomsynth(["ingest", path("same.csv"), "--out", path("d.tar.zst")]).status, 0)
        let missing = try anomsynth(["ingest", path("same.csv"), "--out", path("no/such/d.tar.zst")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.output.contains("the folder \(path("no/such")) does not exist"), missing.output)
        let onFolder = try anomsynth(["export", path("d.tar.zst"), "--csv", folder.path])
        XCTAssertEqual(onFolder.status, 1)
        XCTAssertTrue(onFolder.output.contains("is a folder"), onFolder.output)
        let full = try anomsynth(["export", path("d.tar.zst"), "--csv", "/dev/full"])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.output.contains("/dev/full: cannot be written: No space left on device"), full.output)
        XCTAssertEqual(try anomsynth(["export", path("d.tar.zst"), "--csv", path("d.tar.zst")]).status, 1, "the archive is the input")

        try FileManager.default.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: path("target.csv"))
        XCTAssertEqual(try anomsynth(["export", path("d.tar.zst"), "--csv", path("link.csv")]).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.csv")), path("target.csv"), "the link stays")
        let exported = try String(contentsOfFile: path("target.csv"), encoding: .utf8)
        XCTAssertTrue(exported.contains("3,1e+20,0\n"), "a number past Int64 is written as a float: \(exported)")

        let stdout = try anomsynth(["export", path("d.tar.zst"), "--csv", "/dev/stdout"])
        XCTAssertEqual(stdout.status, 0)
        XCTAssertTrue(stdout.output.hasPrefix("a,b,label\n1,2,0\n"), stdout.output)
    }

    func test_inspect_refusesAManifestThatLiesAboutTheRowCount() throws {
        try "a,b\n1,2\n3,4\n".write(toFile: path("d.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try anomsynth(["ingest", path("d.csv"), "--compression", "gzip", "--out", path("d.tar.gz")]).status, 0)
        try forgeManifest(of: path("d.tar.gz"), to: path("forged.tar.gz"), "manifest['rows'] = 4611686018427387904")
        let result = try anomsynth(["inspect", path("forged.tar.gz")])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("differs from the manifest's 4611686018427387904"), result.output)
    }
}
