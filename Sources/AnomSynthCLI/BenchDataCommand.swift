import ArchiveIO
import ArgumentParser
import Benchmarks
import Datasets
import Dispatch
import Foundation

/// `anomsynth bench csv`: CSV ingest speed and peak memory on one file.
struct BenchCSVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv", abstract: "Read a CSV file into a float32 matrix; print MB/s and peak memory.")

    @Argument(help: "A CSV file with a header row.")
    var file: String

    @Flag(help: "One JSON object instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let start = DispatchTime.now().uptimeNanoseconds
            var source = try FileByteSource(path: file)
            let bytes = source.expectedSize ?? 0
            let data = try CSVReader.read(&source, label: nil)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let matrixMiB = Double(data.features.count * 4) / 1_048_576
            let result: [String: Double] = [
                "seconds": seconds, "mb_per_second": Double(bytes) / 1e6 / seconds, "peak_rss_mib": peakResidentMiB(),
                "matrix_mib": matrixMiB, "rows": Double(data.rowCount), "columns": Double(data.columns.count),
            ]
            print(json ? jsonLine(result) : String(format: "%.0f MB/s (%.2f s), peak %.0f MiB for a %.0f MiB matrix",
                                                     result["mb_per_second"]!, seconds, result["peak_rss_mib"]!, matrixMiB))
        }
    }
}

/// `anomsynth bench archive`: dataset archive write and read time and size.
struct BenchArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Write and read a dataset archive of a CSV file's data; print seconds and size.")

    @Argument(help: "A CSV file with a header row.")
    var file: String

    @Option(help: "Where to write the archive.")
    var out: String = "bench.tar.zst"

    @Option(help: "Compression.")
    var compression: ArchiveCompression = .zstd

    @Flag(help: "One JSON object instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            var source = try FileByteSource(path: file)
            let data = try CSVReader.read(&source, label: nil)
            func timed(_ body: () throws -> Void) rethrows -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            let write = try timed { try DatasetArchive.write(data, to: out, compression: compression) }
            let read = try timed { _ = try DatasetArchive.read(out) }
            let size = (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            let result: [String: Double] = ["write_seconds": write, "read_seconds": read, "bytes": Double(size)]
            print(json ? jsonLine(result) : String(format: "write %.2f s, read %.2f s, %.1f MB", write, read, Double(size) / 1e6))
        }
    }
}

func jsonLine(_ values: [String: Double]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "{}"
}
