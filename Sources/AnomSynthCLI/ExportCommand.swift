import ArchiveIO
import ArgumentParser
import Datasets
import Foundation

/// `anomsynth export`: a dataset archive back to CSV in the original columns.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a dataset archive as CSV, in the original columns (inverting the archive's transform, if any; dates read with the dates role as date text again).")

    @Argument(help: "A dataset archive.")
    var archive: String

    @Option(help: "The CSV file to write.")
    var csv: String

    func run() throws {
        try reportingErrors {
            let (dataset, transform) = try DatasetArchive.read(archive)
            let original = try (transform.map { try $0.inverse(dataset) } ?? dataset).joiningDateParts()
            try CSVWriter.write(original, to: csv, inputs: [archive])
            let summary = "\(csv): \(original.rowCount) rows, \(original.columns.count) columns + label, source\n"
            // Beside a CSV written to standard output, the summary goes to standard error.
            (csv == "/dev/stdout" ? FileHandle.standardError : FileHandle.standardOutput).write(Data(summary.utf8))
        }
    }
}
