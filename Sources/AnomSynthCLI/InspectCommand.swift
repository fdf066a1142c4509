import ArchiveIO
import ArgumentParser
import Foundation

/// `anomsynth inspect`: a summary of a dataset archive.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a dataset archive: rows, classes, provenance, columns with statistics.")

    @Argument(help: "A dataset archive.")
    var archive: String

    @Flag(help: "Print the verified manifest as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let manifest = try DatasetArchive.manifest(archive)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(manifest), as: UTF8.self))
                return
            }
            print(Self.summary(manifest, archive: archive))
            let advice = try DatasetArchive.read(archive).dataset.columnAdvice(labelGiven: (manifest.rowsPerClass["anomaly"] ?? 0) > 0)
            if !advice.isEmpty { print("\n" + advice.map { "note: \($0)" }.joined(separator: "\n")) }
        }
    }

    static func summary(_ manifest: Manifest, archive: String) -> String {
        var lines = ["\(archive): \(manifest.rows) rows, \(manifest.columns.count) columns"]
        lines.append("classes: \(manifest.rowsPerClass["normal"] ?? 0) normal, \(manifest.rowsPerClass["anomaly"] ?? 0) anomaly")
        lines.append("sources: " + manifest.sources.map { "\($0) \(manifest.rowsPerSource[$0] ?? 0)" }.joined(separator: ", "))
        if !manifest.rowShape.isEmpty { lines.append("row shape: \(manifest.rowShape)") }
        lines.append("")
        let nameWidth = max(6, manifest.columns.map(\.name.count).max() ?? 6)  // names whole: one-hot columns differ at their ends
        lines.append("column".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  kind         missing        min        max       mean        std")
        for (column, stats) in zip(manifest.columns, manifest.statistics) {
            let kind = column.kind == "categorical" ? "cat(\(column.categories?.count ?? 0))" : (column.integer == true ? "integer" : "numeric")
            func number(_ value: Double?) -> String { value.map { String(format: "%10.4g", $0) } ?? String(repeating: " ", count: 9) + "-" }
            let values = column.kind == "categorical" ? [String](repeating: String(repeating: " ", count: 9) + "-", count: 4)
                : [number(stats.min), number(stats.max), number(stats.mean), number(stats.std)]
            lines.append(column.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                         + "  " + kind.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + String(format: " %8d ", stats.missing) + values.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
