import ArchiveIO
import Datasets
import Foundation
import TensorCore
import TestSupport
import XCTest

final class DatasetArchiveTests: XCTestCase {
    private func sample() throws -> Dataset {
        var source = try FileByteSource(path: fixture("tiny.arff"))
        return try ARFFReader.read(&source, positive: ["anomaly"])
    }

    private func python() throws -> URL {
        guard let python = TestSupport.python(with: ["numpy"]) else { throw XCTSkip("no Python with numpy: run `make setup`") }
        return python
    }

    /// Runs a Python script; fails the test with its output when it exits non-zero.
    private func runPython(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try runProcess(try python(), ["-c", script])
        XCTAssertEqual(result.status, 0, result.output, file: file, line: line)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The Python loader of docs/archives.md, run as it stands there, on archives AnomSynth wrote.
    func test_theDocumentedPythonLoader_readsZstdAndGzipArchives() throws {
        guard let python = TestSupport.python(with: ["numpy", "zstandard"]) else { throw XCTSkip("no Python with numpy and zstandard: run `make setup`") }
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/archives.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```python\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let loader = try XCTUnwrap(blocks.first { $0.contains("def read_archive(path):") }, "docs/archives.md shows read_archive")
        let folder = try temporaryDirectory()
        let data = try sample()
        for name in ["d.tar.zst", "d.tar.gz"] {
            let path = folder.appendingPathComponent(name).path
            try DatasetArchive.write(data, to: path, compression: name.hasSuffix("zst") ? .zstd : .gzip)
            let result = try runProcess(python, ["-c", loader + "\nX, y, m = read_archive('\(path)')\nprint(X.shape, int(y.sum()), m['rows'])"])
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines),
                           "(\(data.rowCount), \(data.columns.count)) \(data.anomalyCount) \(data.rowCount)", name)
        }
    }

    func test_writeThenRead_roundTripsEveryCompression_withTransform() throws {
        let folder = try temporaryDirectory()
        let data = try sample()
        let transform = try Transform.fit(data, options: PreprocessOptions())
        for compression in ArchiveCompression.allCases {
            let path = folder.appendingPathComponent("d.\(compression)").path
            try DatasetArchive.write(data, transform: transform, to: path, compression: compression)
            let (read, readTransform) = try DatasetArchive.read(path)
            XCTAssertEqual(read.columns, data.columns)
            XCTAssertEqual(read.labels, data.labels)
            XCTAssertEqual(read.features.scalars.map { $0.isNaN ? -999 : $0 }, data.features.scalars.map { $0.isNaN ? -999 : $0 })
            XCTAssertEqual(readTransform, transform)
        }
    }

    func test_sameDataset_givesByteIdenticalArchives() throws {
        let folder = try temporaryDirectory()
        let data = try sample()
        for compression in ArchiveCompression.allCases {
            let first = folder.appendingPathComponent("a.\(compression)").path, second = folder.appendingPathComponent("b.\(compression)").path
            try DatasetArchive.write(data, to: first, compression: compression)
            Thread.sleep(forTimeInterval: compression == .gzip ? 1.1 : 0)
            try DatasetArchive.write(data, to: second, compression: compression)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), try Data(contentsOf: URL(fileURLWithPath: second)), "\(compression)")
        }
    }

    func test_numpyAndTar_readTheArchiveWithoutAnomSynth() throws {
        let path = try temporaryDirectory().appendingPathComponent("d.tar.gz").path
        try DatasetArchive.write(try sample(), to: path, compression: .gzip)
        let output = try runPython("""
            import tarfile, io, json, hashlib, numpy as np
            t = tarfile.open('\(path)')
            names = t.getnames()
            m = {n: t.extractfile(n).read() for n in names}
            f = np.load(io.BytesIO(m['features.npy']))
            manifest = json.loads(m['manifest.json'])
            ok = all(hashlib.sha256(m[n]).hexdigest() == e['sha256'] for n, e in manifest['members'].items())
            print(names, f.dtype, f.shape, np.load(io.BytesIO(m['labels.npy'])).tolist(), np.load(io.BytesIO(m['provenance.npy'])).dtype, ok, t.getmember('features.npy').mtime)
            """)
        XCTAssertEqual(output, "['features.npy', 'labels.npy', 'manifest.json', 'provenance.npy'] float32 (4, 3) [0, 0, 1, 0] int32 True 0")
    }

    func test_corruptedOrTruncatedArchives_areRefusedWithClearErrors() throws {
        let folder = try temporaryDirectory()
        let path = folder.appendingPathComponent("d.tar").path
        try DatasetArchive.write(try sample(), to: path, compression: .none)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Flip one byte inside features.npy's data (the first member; its data starts at 512).
        bytes[512 + 130] ^= 0xFF
        let flipped = folder.appendingPathComponent("flipped.tar").path
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        XCTAssertTrue(errorMessage { try DatasetArchive.read(flipped) }.contains("member 'features.npy': checksum mismatch"),
                      errorMessage { try DatasetArchive.read(flipped) })

        let compressed = folder.appendingPathComponent("d.tar.zst").path
        try DatasetArchive.write(try sample(), to: compressed)
        let whole = try Data(contentsOf: URL(fileURLWithPath: compressed))
        let truncated = folder.appendingPathComponent("truncated.tar.zst").path
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        XCTAssertTrue(errorMessage { try DatasetArchive.read(truncated) }.hasPrefix(truncated + ":"), errorMessage { try DatasetArchive.read(truncated) })

        let empty = folder.appendingPathComponent("empty.tar.zst").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertTrue(errorMessage { try DatasetArchive.read(empty) }.hasPrefix(empty + ":"))
        XCTAssertEqual(errorMessage { try DatasetArchive.read(folder.appendingPathComponent("none.tar").path) },
                       folder.appendingPathComponent("none.tar").path + ": no such file")
    }

    func test_featuresOfAnotherDtype_areRead_andABadNPYHeaderNamesTheMember() throws {
        let folder = try temporaryDirectory().path
        let data = try sample()
        try DatasetArchive.write(data, to: "\(folder)/d.tar", compression: .none)
        // features.npy rewritten as float64 (and as a header that is not .npy), the manifest's
        // checksums updated: read as any numpy user would save it.
        _ = try runPython("""
            import tarfile, io, json, hashlib, numpy as np
            src = tarfile.open('\(folder)/d.tar'); m = {n: src.extractfile(n).read() for n in src.getnames()}
            def save(path, features):
                members = dict(m, **{'features.npy': features}); manifest = json.loads(members['manifest.json'])
                manifest['members']['features.npy'] = {'bytes': len(features), 'sha256': hashlib.sha256(features).hexdigest()}
                members['manifest.json'] = json.dumps(manifest).encode()
                with tarfile.open(path, 'w') as t:
                    for name, content in sorted(members.items()):
                        info = tarfile.TarInfo(name); info.size = len(content); t.addfile(info, io.BytesIO(content))
            out = io.BytesIO(); np.save(out, np.load(io.BytesIO(m['features.npy'])).astype(np.float64))
            save('\(folder)/f8.tar', out.getvalue())
            save('\(folder)/bad.tar', b'NOTNPY' + m['features.npy'][6:])
            """)
        let (f8, _) = try DatasetArchive.read("\(folder)/f8.tar")
        XCTAssertEqual(f8.features.scalars.map { $0.isNaN ? -999 : $0 }, data.features.scalars.map { $0.isNaN ? -999 : $0 })
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/bad.tar") },
                       "\(folder)/bad.tar: member 'features.npy': not a .npy file (no \\x93NUMPY magic string)")
    }

    func test_unsafeMembers_areRefused() throws {
        let folder = try temporaryDirectory().path
        _ = try runPython("""
            import tarfile, io
            def add(t, name, data=b'x', **kw):
                info = tarfile.TarInfo(name); info.size = len(data)
                for k, v in kw.items(): setattr(info, k, v)
                t.addfile(info, io.BytesIO(data))
            with tarfile.open('\(folder)/escape.tar', 'w') as t: add(t, '../escape')
            with tarfile.open('\(folder)/absolute.tar', 'w') as t: add(t, '/etc/passwd')
            with tarfile.open('\(folder)/link.tar', 'w') as t:
                info = tarfile.TarInfo('features.npy'); info.type = tarfile.SYMTYPE; info.linkname = '/etc/passwd'; t.addfile(info)
            with tarfile.open('\(folder)/bomb.tar.gz', 'w:gz') as t: add(t, 'features.npy', bytes(8 << 20))
            with tarfile.open('\(folder)/missing.tar', 'w') as t: add(t, 'manifest.json', b'{}')
            print('ok')
            """)
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/escape.tar") },
                       "\(folder)/escape.tar: member '../escape': absolute paths and '..' are not allowed")
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/absolute.tar") },
                       "\(folder)/absolute.tar: member '/etc/passwd': absolute paths and '..' are not allowed")
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/link.tar") },
                       "\(folder)/link.tar: member 'features.npy': links are not allowed in a dataset archive")
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/bomb.tar.gz", maximumMemberBytes: 1 << 20) },
                       "\(folder)/bomb.tar.gz: member 'features.npy': is 8388608 bytes, more than the 1048576-byte bound")
        XCTAssertTrue(errorMessage { try DatasetArchive.read("\(folder)/missing.tar") }.contains("not a valid manifest"))
    }

    func test_infiniteValues_andABadManifest_areClearErrors_notSwiftDebugText() throws {
        let folder = try temporaryDirectory().path
        var data = try sample()
        var features = data.features
        features[0, 1] = .infinity
        data = try Dataset(features: features, columns: data.columns, labels: data.labels)
        let message = errorMessage { try DatasetArchive.write(data, to: "\(folder)/inf.tar.zst") }
        XCTAssertTrue(message.hasPrefix("\(folder)/inf.tar.zst: the data hold a value JSON cannot record (inf in the manifest's statistics.1.max)"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/inf.tar.zst"))
        try DatasetArchive.write(try sample(), to: "\(folder)/d.tar", compression: .none)
        try forgeManifest(of: "\(folder)/d.tar", to: "\(folder)/bad.tar", "manifest['rows'] = 'many'")
        XCTAssertEqual(errorMessage { try DatasetArchive.read("\(folder)/bad.tar") },
                       "\(folder)/bad.tar: member 'manifest.json': not a valid manifest: expected Int at rows")
    }

    func test_compressionBomb_inASingleCompressedFile_stopsAtTheBound() throws {
        let folder = try temporaryDirectory().path
        _ = try runPython("import gzip; open('\(folder)/zeros.csv.gz', 'wb').write(gzip.compress(b'a\\n' + b'0\\n' * (4 << 20)))")
        let limits = DecompressionLimits(maximumBytes: 1 << 20)
        let message = errorMessage { try ArchiveByteSource(path: "\(folder)/zeros.csv.gz", member: nil, limits: limits) }
        XCTAssertEqual(message, "\(folder)/zeros.csv.gz: decompresses to more than 1048576 bytes, the limit for one input (a decompression bomb?); "
                       + "raise it with --max-decompressed-bytes or the ingest parameter max_decompressed_bytes")
        // xz is not verified up front: the bound holds while the data stream in.
        _ = try runPython("import lzma; open('\(folder)/zeros.csv.xz', 'wb').write(lzma.compress(b'a\\n' + b'0\\n' * (4 << 20)))")
        var source = try ArchiveByteSource(path: "\(folder)/zeros.csv.xz", member: nil, limits: limits)
        XCTAssertTrue(errorMessage { try source.readAll() }.contains("more than 1048576 bytes"))
    }
}
