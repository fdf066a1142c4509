import ArchiveIO
import Datasets
import Foundation

/// `ingest`: one input file (CSV, KEEL, ARFF, IDX, NPY, NPZ; plain, compressed or in an archive) to a dataset archive.
public enum IngestStage: StageImplementation {
    public static let type = "ingest"
    public static let version = 3  // 2: quoted ARFF values, infinite values refused, decompression limits; 3: images as [1, H, W]
    public static let summary = "Read a CSV, KEEL, ARFF, IDX, NPY or NPZ file (plain, compressed, or a member of an archive) into a dataset, leaving out or converting named columns."
    private static let defaults = IngestSettings()
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("path", .path, required: true, "The input file, relative to the pipeline file."),
        ParameterSpec("member", .string, "A member of the archive at `path` to read."),
        ParameterSpec("format", .choice(InputFormat.allCases.map(\.rawValue)), "The input format (default: from the file name)."),
        ParameterSpec("label", .object([
            ParameterSpec("column", .string, required: true, "The label column (KEEL/ARFF: default the last attribute)."),
            ParameterSpec("positive", .strings, "Label values meaning anomaly (default: `1`; KEEL/ARFF: `positive`)."),
            ParameterSpec("may_be_absent", .boolean, default: .bool(false),
                          "The anomaly values may not occur (a file of normal rows only); otherwise their absence is an error."),
        ]), "The label column and its anomaly values; without it every row is normal (KEEL/ARFF: last attribute, `positive`)."),
        ParameterSpec("labels_path", .path, "IDX/NPY: a file with one label per row."),
        ParameterSpec("delimiter", .string, default: .string(defaults.delimiter), "CSV field delimiter (one ASCII character)."),
        ParameterSpec("has_header", .boolean, default: .bool(defaults.hasHeader), "Whether the CSV's first row names the columns (else c0, c1, ...)."),
        ParameterSpec("missing_values", .strings, "Texts meaning missing (default: empty, ?, NA, NaN, nan, N/A, null)."),
        ParameterSpec("categorical", .strings, default: .array([]), "CSV columns to read as categorical."),
        ParameterSpec("ignore", .strings, default: .array([]), "Columns to leave out (ids, free text); `anomsynth ingest` and `inspect` name likely ones."),
        ParameterSpec("dates", .strings, default: .array([]),
                      "Text columns of dates (YYYY-MM-DD or YYYY/MM/DD, optionally with a time HH:MM[:SS]) made into NAME_days (since 1970), NAME_weekday (0 Monday), NAME_month and, with times, NAME_hour."),
        ParameterSpec("max_decompressed_bytes", .integer(minimum: 1, maximum: nil), default: .number(Double(defaults.maxDecompressedBytes)),
                      "A compressed input may expand to at most this many bytes (a decompression bomb stops there)."),
        ParameterSpec("max_compression_ratio", .integer(minimum: 1, maximum: nil), default: .number(Double(defaults.maxCompressionRatio)),
                      "A compressed input may expand at most this many times its size (checked past its first 256 MiB)."),
    ]
    public static let inputs: [InputSpec] = []
    public static let outputs = [OutputSpec("data", file: "data.tar.zst", "The dataset archive.")]

    public static func externalFiles(_ params: JSONValue, pipelineDirectory: URL) -> [String] {
        ["path", "labels_path"].compactMap { params[$0]?.stringValue }
            .map { URL(fileURLWithPath: $0, relativeTo: pipelineDirectory).standardizedFileURL.path }
    }

    public static func run(_ context: StageContext) throws {
        let settings = try context.params.decoded(IngestSettings.self, stage: context.stageID)
        let request = settings.request { URL(fileURLWithPath: $0, relativeTo: context.pipelineDirectory).standardizedFileURL.path }
        let dataset = try Ingest.read(request)
        try DatasetArchive.write(dataset, to: context.output("data", of: self).path, compression: context.archiveCompression)
    }
}
