import Foundation
import XCTest

/// The repository's root folder, found from this file's location.
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python interpreter that has `modules`: `$ANOMSYNTH_PYTHON`, the project's `.venv`
/// (made by `make setup`), or `python3`; nil when none of them imports every module.
public func python(with modules: [String]) -> URL? {
    var candidates: [String] = []
    if let configured = ProcessInfo.processInfo.environment["ANOMSYNTH_PYTHON"] { candidates.append(configured) }
    candidates.append(repositoryRoot.appendingPathComponent(".venv/bin/python").path)
    candidates.append("/usr/bin/env")
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
        let script = modules.isEmpty ? "pass" : "import " + modules.joined(separator: ", ")
        let arguments = (candidate == "/usr/bin/env" ? ["python3"] : []) + ["-c", script]
        if let result = try? runProcess(URL(fileURLWithPath: candidate), arguments), result.status == 0 {
            return URL(fileURLWithPath: candidate == "/usr/bin/env" ? "/usr/bin/python3" : candidate)
        }
    }
    return nil
}

/// Runs a program to completion and returns its exit status and combined output.
/// - Parameter environment: variables set (or, with nil, removed) on top of this process's.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The `anomsynth` executable that `swift build` made (it does before `swift test`); skips the test without one.
public func anomsynthExecutable() throws -> URL {
    for configuration in ["debug", "release"] {
        let url = repositoryRoot.appendingPathComponent(".build/\(configuration)/anomsynth")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw XCTSkip("no built anomsynth executable")
}

/// A fresh temporary folder, removed when the test case ends.
public func temporaryDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("anomsynth-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Copies the dataset archive `archive` (uncompressed or gzip tar) to `copy` with
/// `change` (Python, on the dict `manifest`) applied to its manifest: a forged archive.
public func forgeManifest(of archive: String, to copy: String, _ change: String) throws {
    let script = """
        import io, json, tarfile
        with tarfile.open('\(archive)') as t:
            members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
        with tarfile.open('\(copy)', 'w:gz' if '\(copy)'.endswith('.gz') else 'w') as out:
            for m, data in members:
                if m.name == 'manifest.json':
                    manifest = json.loads(data)
                    \(change)
                    data = json.dumps(manifest).encode()
                    m.size = len(data)
                out.addfile(m, io.BytesIO(data))
        """
    let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script])
    guard result.status == 0 else { throw XCTSkip("python3 could not forge the manifest: \(result.output)") }
}

/// The regular files under `root` (hidden ones and those in hidden folders left out), by path relative to it.
public func regularFiles(under root: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = enumerator?.nextObject() as? URL {
        let relative = String(url.path.dropFirst(root.path.count))
        guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true, !relative.contains("/.") else { continue }
        result[relative] = try Data(contentsOf: url)
    }
    return result
}

/// The summary `anomsynth run --json` prints on stdout, found among the JSON lines of
/// progress it writes on stderr (a process's outputs, combined).
public func runSummary(in output: String) -> [String: Any]? {
    output.split(separator: "\n").lazy.compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }.first { $0["pipeline"] != nil && $0["stages"] != nil }
}
