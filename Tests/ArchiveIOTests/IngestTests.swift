import ArchiveIO
import Datasets
import Foundation
import TestSupport
import XCTest

final class IngestTests: XCTestCase {
    func test_keelFile_defaultsToTheLastAttributeAndPositive() throws {
        let data = try Ingest.read(IngestRequest(path: fixture("kddcup-rootkit-small.dat")))
        XCTAssertEqual(data.rowCount, 193)
        XCTAssertEqual(data.anomalyCount, 12)
    }

    func test_gzippedCSV_withoutHeader_realDigits() throws {
        var request = IngestRequest(path: fixture("digits-small.csv.gz"))
        request.csv.hasHeader = false
        request.labelColumn = "c64"
        request.positive = ["5", "6", "7", "8", "9"]
        let data = try Ingest.read(request)
        XCTAssertEqual(data.features.shape, [200, 64])
        XCTAssertGreaterThan(data.anomalyCount, 50)
        XCTAssertLessThan(data.anomalyCount, 150)
    }

    func test_gzippedIDX_imagesWithLabels_keepTheRowShape() throws {
        var request = IngestRequest(path: fixture("tiny-images-idx3-ubyte.gz"))
        request.labelsPath = fixture("tiny-labels-idx1-ubyte")
        request.positive = ["4", "5"]
        let data = try Ingest.read(request)
        XCTAssertEqual(data.features.shape, [6, 12])
        XCTAssertEqual(data.rowShape, [1, 3, 4])
        XCTAssertEqual(data.labels, [0, 0, 0, 0, 1, 1])
        XCTAssertEqual(data.features[1, 0], 12)
    }

    func test_npy_withLabels() throws {
        var request = IngestRequest(path: fixture("matrix-f8.npy"))
        request.labelsPath = fixture("labels-i8.npy")
        let data = try Ingest.read(request)
        XCTAssertEqual(data.labels, [0, 1])
        XCTAssertEqual(data.columns.map(\.name), ["x0", "x1", "x2"])
    }

    /// ADBench's `.npz` (X float64, y int32), compressed, as numpy's savez_compressed writes it:
    /// 100 rows of ADBench's 47_yeast (80 normal, 20 anomalies), see Tests/Fixtures/README.md.
    func test_adbenchNPZ_readsXAndY() throws {
        let data = try Ingest.read(IngestRequest(path: fixture("adbench-yeast-100.npz")))
        XCTAssertEqual(data.rowCount, 100)
        XCTAssertEqual(data.anomalyCount, 20)
        XCTAssertEqual(data.columns.count, 8)
        XCTAssertEqual(Array(data.labels.suffix(20)), [UInt8](repeating: 1, count: 20))
        XCTAssertEqual(data.features[0, 0], 0.5818, accuracy: 1e-4, "X[0, 0] as numpy reads it")
        var named = IngestRequest(path: fixture("adbench-yeast-100.npz"))
        named.member = "features.npy"
        XCTAssertEqual(errorMessage { try Ingest.read(named) },
                       "\(fixture("adbench-yeast-100.npz")): no array 'features.npy' (ADBench's rows are X; it holds X.npy, y.npy); name the rows' array as the member")
    }

    /// An archive `ingest` wrote is an input as it is (a pipeline can start from it).
    func test_aDatasetArchive_isReadAsItIs() throws {
        let folder = try temporaryDirectory().path
        let original = try Ingest.read(IngestRequest(path: fixture("kddcup-rootkit-small.dat")))
        for compression in [ArchiveCompression.zstd, .gzip] {
            let archive = "\(folder)/kdd-\(compression.rawValue).tar.\(compression == .gzip ? "gz" : "zst")"
            try DatasetArchive.write(original, to: archive, compression: compression)
            XCTAssertEqual(try Ingest.read(IngestRequest(path: archive)), original, compression.rawValue)
        }
        var labelled = IngestRequest(path: "\(folder)/kdd-zstd.tar.zst")
        labelled.labelColumn = "class"
        XCTAssertEqual(errorMessage { try Ingest.read(labelled) }, "\(folder)/kdd-zstd.tar.zst: a dataset archive carries its labels; give no label settings for it")
        let transform = try Transform.fit(original, options: PreprocessOptions())
        try DatasetArchive.write(try transform.apply(original), transform: transform, to: "\(folder)/prep.tar.zst")
        XCTAssertTrue(errorMessage { try Ingest.read(IngestRequest(path: "\(folder)/prep.tar.zst")) }.contains("holds preprocessed rows"))
    }

    func test_membersOfTarGzZipAndXz_areRead() throws {
        let folder = try temporaryDirectory().path
        guard let python = python(with: []) else { throw XCTSkip("no python3") }
        let arff = fixture("tiny.arff"), keel = fixture("kddcup-rootkit-small.dat")
        let result = try runProcess(python, ["-c", """
            import tarfile, zipfile, lzma, shutil
            with tarfile.open('\(folder)/data.tar.gz', 'w:gz') as t:
                t.add('\(arff)', arcname='inner/tiny.arff'); t.add('\(keel)', arcname='kdd.dat')
            with zipfile.ZipFile('\(folder)/data.zip', 'w', zipfile.ZIP_DEFLATED) as z: z.write('\(keel)', 'kdd.dat')
            open('\(folder)/kdd.dat.xz', 'wb').write(lzma.compress(open('\(keel)', 'rb').read()))
            """])
        XCTAssertEqual(result.status, 0, result.output)
        var fromTar = IngestRequest(path: "\(folder)/data.tar.gz")
        fromTar.member = "inner/tiny.arff"
        fromTar.positive = ["anomaly"]
        XCTAssertEqual(try Ingest.read(fromTar).rowCount, 4)
        var fromZip = IngestRequest(path: "\(folder)/data.zip")
        fromZip.member = nil
        XCTAssertEqual(try Ingest.read(fromZip).anomalyCount, 12, "a zip with one file needs no member name")
        XCTAssertEqual(try Ingest.read(IngestRequest(path: "\(folder)/kdd.dat.xz")).rowCount, 193)
        var missing = IngestRequest(path: "\(folder)/data.tar.gz")
        missing.member = "nope.csv"
        XCTAssertEqual(errorMessage { try Ingest.read(missing) }, "\(folder)/data.tar.gz: no member 'nope.csv'; it holds inner/tiny.arff, kdd.dat")
        var ambiguous = IngestRequest(path: "\(folder)/data.tar.gz")
        ambiguous.format = .keel
        XCTAssertTrue(errorMessage { try Ingest.read(ambiguous) }.contains("holds 2 files"))
    }

    func test_unknownFormat_andMissingFile_areClearErrors() {
        XCTAssertEqual(errorMessage { try Ingest.read(IngestRequest(path: "data.bin")) },
                       "data.bin: cannot tell the format from the name; give it (csv, keel, arff, idx, npy, npz)")
        XCTAssertEqual(errorMessage { try Ingest.read(IngestRequest(path: "/nonexistent/x.csv")) }, "/nonexistent/x.csv: no such file")
    }

    func test_csvRoundTrip_throughAnArchiveAndBack() throws {
        let folder = try temporaryDirectory().path
        let original = "amount,kind,label\n1.5,\"a, b\",0\n-2,c,1\n,c,0\n"
        try original.write(toFile: "\(folder)/in.csv", atomically: true, encoding: .utf8)
        var request = IngestRequest(path: "\(folder)/in.csv")
        request.labelColumn = "label"
        try DatasetArchive.write(try Ingest.read(request), to: "\(folder)/d.tar.zst")
        let (data, transform) = try DatasetArchive.read("\(folder)/d.tar.zst")
        XCTAssertNil(transform)
        try CSVWriter.write(data, to: "\(folder)/out.csv")
        XCTAssertEqual(try String(contentsOfFile: "\(folder)/out.csv", encoding: .utf8), original, "the user's file, as it was")
        // A yes/no label comes back under its own name with its own texts.
        try "amount,is_fraud\n1,no\n2,yes\n3,no\n".write(toFile: "\(folder)/fraud.csv", atomically: true, encoding: .utf8)
        var fraud = IngestRequest(path: "\(folder)/fraud.csv")
        (fraud.labelColumn, fraud.positive) = ("is_fraud", ["yes"])
        try DatasetArchive.write(try Ingest.read(fraud), to: "\(folder)/f.tar.zst")
        var read = try DatasetArchive.read("\(folder)/f.tar.zst").dataset
        XCTAssertEqual(read.labelColumn, LabelColumn(name: "is_fraud", anomaly: "yes", normal: "no"))
        XCTAssertEqual(CSVWriter.encode(read), "amount,is_fraud\n1,no\n2,yes\n3,no\n")
        // Synthetic rows add their source; a label of several normal texts is written as 1/0.
        read.provenance = [0, 1, 0]
        read.sources = ["real", "vae/minority"]
        XCTAssertEqual(CSVWriter.encode(read), "amount,is_fraud,source\n1,no,real\n2,yes,vae/minority\n3,no,real\n")
        read.labelColumn?.normal = nil
        XCTAssertEqual(CSVWriter.encode(read), "amount,label,source\n1,0,real\n2,1,vae/minority\n3,0,real\n")
    }
}

/// Corrupt, hostile and oversized inputs: each is refused with an error naming the file,
/// in bounded time and memory, or read exactly.
final class HostileIngestTests: XCTestCase {
    func test_everySingleBitFlipInAGzipFile_isAnErrorOrChangesNothing() throws {
        let folder = try temporaryDirectory()
        let original = fixture("tiny-images-idx3-ubyte.gz")
        let expected = try Ingest.read(IngestRequest(path: original))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: original)))
        var refused = 0, accepted = 0
        for offset in 10..<bytes.count {  // past the header (its flags and time may change harmlessly)
            var corrupted = bytes
            corrupted[offset] ^= 1 << UInt8(offset % 8)
            let path = folder.appendingPathComponent("flip-\(offset)-idx3-ubyte.gz").path
            try Data(corrupted).write(to: URL(fileURLWithPath: path))
            let gzipAccepts = try runProcess(URL(fileURLWithPath: "/bin/gzip"), ["-t", path]).status == 0
            do {
                let read = try Ingest.read(IngestRequest(path: path))
                XCTAssertEqual(read.features, expected.features, "a flip at byte \(offset) was read with changed values")
                XCTAssertTrue(gzipAccepts, "a flip at byte \(offset) that `gzip -t` refuses was read")
                accepted += 1
            } catch {
                XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                refused += 1
            }
        }
        // Flips in the stored file name (the header's FNAME) change nothing; all others are caught.
        XCTAssertGreaterThan(refused, (bytes.count - 10) * 3 / 4, "\(refused) refused, \(accepted) read unchanged")
    }

    func test_npyAndIDXHeaders_whoseSizesOverflow_areErrors_notCrashes() throws {
        let folder = try temporaryDirectory().path
        func npy(_ shape: String, _ descr: String = "<f4") -> [UInt8] {
            var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
            dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8)
        }
        let cases: [(String, [UInt8], String)] = [
            ("overflow.npy", npy("(4611686018427387904, 4)"), "are too large"),
            ("wide.npy", npy("(1, 4611686018427387904)", "|u1"), "(truncated file)"),
            ("zero-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], "give rows of no values"),
            ("huge-idx3-ubyte", [0, 0, 0x0E, 3] + [UInt8](repeating: 0xFF, count: 12), "are too large"),
        ]
        for (name, bytes, expected) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
            let message = errorMessage { try Ingest.read(IngestRequest(path: "\(folder)/\(name)")) }
            XCTAssertTrue(message.hasPrefix("\(folder)/\(name)") && message.contains(expected), message)
        }
    }

    func test_infiniteValues_areRefused_withTheirRowAndColumn() throws {
        let folder = try temporaryDirectory().path
        try "a,b\n1,2\n3,1e999\n".write(toFile: "\(folder)/inf.csv", atomically: true, encoding: .utf8)
        XCTAssertEqual(errorMessage { try Ingest.read(IngestRequest(path: "\(folder)/inf.csv")) },
                       "\(folder)/inf.csv: row 2, column 'b': the value is infinite ('inf', or a number beyond float32's range of ±3.4e38); "
                       + "replace it, or list its text as a missing value")
    }

    func test_decompressionBombs_stopEarly_withTheLimitToRaise() throws {
        let folder = try temporaryDirectory().path
        // The grace lowered from 256 MiB to 1 MiB keeps the files small; the rules are the same.
        let limits = DecompressionLimits(maximumBytes: 4 << 30, maximumRatio: 200, ratioGrace: 1 << 20)
        // A zip member of 16 MiB of zeros (16 KB on disk): refused from its declared size, before any is read.
        let zip = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import zipfile
            with zipfile.ZipFile('\(folder)/bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('data.csv', b'a\\n' + b'0\\n' * (8 << 20))
            """])
        XCTAssertEqual(zip.status, 0, zip.output)
        var request = IngestRequest(path: "\(folder)/bomb.zip")
        request.decompression = limits
        let message = errorMessage { try Ingest.read(request) }
        XCTAssertTrue(message.hasPrefix("\(folder)/bomb.zip: member 'data.csv': expands more than 200 times"), message)
        // A .csv.zst streamed from a pipe (its frame does not state the size): stopped while streaming.
        let zstd = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "yes 0 | head -c 64000000 | zstd -q -o '\(folder)/bomb.csv.zst'"])
        XCTAssertEqual(zstd.status, 0, zstd.output)
        request = IngestRequest(path: "\(folder)/bomb.csv.zst")
        request.decompression = limits
        XCTAssertTrue(errorMessage { try Ingest.read(request) }.contains("expands more than 200 times"))
        request.decompression = DecompressionLimits(maximumBytes: 2 << 20, maximumRatio: 100_000)
        XCTAssertTrue(errorMessage { try Ingest.read(request) }.contains("decompresses to more than 2097152 bytes"))
    }

    func test_compressionRatio_isBounded_pastTheGrace() {
        let limits = DecompressionLimits(maximumBytes: 1 << 40, maximumRatio: 200)
        XCTAssertNil(limits.excess(produced: limits.ratioGrace, compressed: 1), "small outputs may compress well")
        XCTAssertNil(limits.excess(produced: 1 << 30, compressed: 10 << 20), "a 100:1 text file is fine")
        XCTAssertTrue(limits.excess(produced: 1 << 30, compressed: 1 << 20)?.contains("expands more than 200 times") == true)
    }
}
