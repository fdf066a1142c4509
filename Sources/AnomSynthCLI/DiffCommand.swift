import ArgumentParser
import Foundation
import Reporting

/// `anomsynth diff RUN_A RUN_B`: metric changes between two runs.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show metric changes between two runs: each a metrics.json, or a folder holding exactly one (e.g. runs/<pipeline>).")

    @Argument(help: "The earlier run.")
    var before: String

    @Argument(help: "The later run.")
    var after: String

    @Option(help: "Mark changes at least this large.")
    var threshold = 0.01

    func run() throws {
        let diff = MetricsDiff(before: try MetricsDocument.read(try locate(before)), after: try MetricsDocument.read(try locate(after)))
        print(diff.table(threshold: threshold))
    }

    /// The metrics.json a path names: the file itself, or the only one below a folder.
    private func locate(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ValidationError("\(path) does not exist")
        }
        guard isFolder.boolValue else { return path }
        let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent == "metrics.json" }.sorted()
        guard found.count == 1 else {
            throw ValidationError(found.isEmpty ? "\(path) holds no metrics.json"
                                  : "\(path) holds several metrics.json (\(found.joined(separator: ", "))); name one")
        }
        return (path as NSString).appendingPathComponent(found[0])
    }
}
