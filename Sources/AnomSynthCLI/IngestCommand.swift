import ArchiveIO
import ArgumentParser
import Datasets
import Foundation
import PipelineEngine

/// `anomsynth ingest`: one input file to a dataset archive (the `ingest` stage on its own).
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read a CSV, KEEL, ARFF, IDX, NPY or NPZ file (plain, compressed, or inside an archive) into a dataset archive.")

    @Argument(help: "The input file (.csv, .dat, .arff, IDX, .npy, .npz; also .gz/.zst/.xz, or an archive with --member).")
    var file: String

    @OptionGroup var input: IngestOptions

    @OptionGroup var compute: ThreadOptions

    @Option(help: "Archive compression: \(ArchiveCompression.allCases.map(\.rawValue).joined(separator: ", ")).")
    var compression: ArchiveCompression = .zstd

    @Option(help: "The dataset archive to write (e.g. data.tar.zst).")
    var out: String

    func validate() throws {
        try input.validate(file: file)
    }

    func run() throws {
        compute.apply()
        try reportingErrors {
            let request = input.request(file: file)
            _ = try OutputPath.prepare(out, inputs: [file] + (input.labels.map { [$0] } ?? []))  // before the read: fail fast
            let started = Date()
            let dataset = try Ingest.read(request)
            Log.logger.info("read \(file)", metadata: ["rows": "\(dataset.rowCount)", "seconds": "\(Date().timeIntervalSince(started))"])
            try DatasetArchive.write(dataset, to: out, compression: compression)
            Log.logger.info("wrote \(out)", metadata: ["compression": "\(compression.rawValue)"])
            print("\(out): \(dataset.rowCount) rows (\(dataset.anomalyCount) anomalies), \(dataset.columns.count) columns")
            for advice in dataset.columnAdvice(labelGiven: input.label != nil || input.labels != nil) {
                FileHandle.standardError.write(Data("note: \(advice)\n".utf8))
            }
        }
    }
}

/// How to read an input file: the options `ingest` and `score` share.
struct IngestOptions: ParsableArguments {
    @Option(help: "Input format: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: from the name).")
    var format: InputFormat?

    @Option(help: "A member of the archive FILE to read.")
    var member: String?

    @Option(help: "The label column (KEEL/ARFF default: the last attribute).")
    var label: String?

    @Option(name: .customLong("positive"), help: "A label value meaning anomaly (repeatable; default 'positive' for KEEL/ARFF, '1' otherwise).")
    var positives: [String] = []

    @Flag(help: "The --positive values may not occur at all (a file of normal rows only); otherwise their absence is an error.")
    var mayBeAbsent = false

    @Option(help: "IDX/NPY: a file with one label per row.")
    var labels: String?

    @Option(help: "CSV field delimiter.")
    var delimiter: String = ","

    @Option(name: .customLong("missing"), help: "A text meaning 'missing' (repeatable; default: empty, ?, NA, NaN, nan, N/A, null).")
    var missingValues: [String] = []

    @Option(name: .customLong("categorical"), help: "A CSV column to read as categorical (repeatable).")
    var categoricalColumns: [String] = []

    @Option(name: .customLong("ignore"), help: "A column to leave out, such as an id (repeatable).")
    var ignoredColumns: [String] = []

    @Option(name: .customLong("date"), help: "A text column of dates to turn into days, weekday, month (and hour) columns (repeatable).")
    var dateColumns: [String] = []

    @Flag(help: "CSV without a header row: columns are named c0, c1, ...")
    var noHeader = false

    @Option(help: "A compressed input may expand to at most this many bytes (a decompression bomb stops there).")
    var maxDecompressedBytes = DecompressionLimits().maximumBytes

    @Option(help: "A compressed input may expand at most this many times its size (past its first 256 MiB).")
    var maxCompressionRatio = DecompressionLimits().maximumRatio

    func validate(file: String) throws {
        guard delimiter.count == 1, delimiter.first?.isASCII == true else {
            throw ValidationError("--delimiter must be one ASCII character, got '\(delimiter)'")
        }
        let resolved = format ?? InputFormat.infer(from: member ?? file)
        if resolved == .csv || resolved == nil, label == nil, !positives.isEmpty {
            throw ValidationError("--positive needs --label COLUMN for CSV input")
        }
        guard maxDecompressedBytes >= 1, maxCompressionRatio >= 1 else {
            throw ValidationError("--max-decompressed-bytes and --max-compression-ratio must be at least 1")
        }
    }

    /// What to read from `file`: the `ingest` stage's settings, filled from the options.
    func request(file: String) -> IngestRequest {
        var settings = IngestSettings()
        settings.path = file
        settings.member = member
        settings.format = format
        settings.label = label != nil || !positives.isEmpty || mayBeAbsent
            ? IngestSettings.Label(column: label, positive: positives.isEmpty ? nil : positives, mayBeAbsent: mayBeAbsent) : nil
        settings.labelsPath = labels
        settings.delimiter = delimiter
        settings.hasHeader = !noHeader
        settings.missingValues = missingValues.isEmpty ? nil : missingValues
        settings.categorical = categoricalColumns
        settings.ignore = ignoredColumns
        settings.dates = dateColumns
        settings.maxDecompressedBytes = maxDecompressedBytes
        settings.maxCompressionRatio = maxCompressionRatio
        return settings.request()
    }
}

extension InputFormat: ExpressibleByArgument {}
extension ArchiveCompression: ExpressibleByArgument {}
