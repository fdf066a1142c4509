import Foundation

/// Writes a dataset as CSV (RFC 4180): the feature columns with categories as text
/// and missing values empty, then `label` (1 = anomaly) and `source` (provenance).
public enum CSVWriter {
    /// The CSV text of a dataset.
    public static func encode(_ data: Dataset) -> String {
        var out = (data.columns.map { quote($0.name) } + ["label", "source"]).joined(separator: ",") + "\n"
        out.reserveCapacity(data.rowCount * data.columns.count * 8)
        let width = data.columns.count
        data.features.withUnsafeBufferPointer { values in
            for r in 0..<data.rowCount {
                for (j, column) in data.columns.enumerated() {
                    out += format(values[r * width + j], column)
                    out += ","
                }
                out += "\(data.labels[r]),\(quote(data.sources[Int(data.provenance[r])]))\n"
            }
        }
        return out
    }

    /// Writes the CSV to a file (through a temporary file, renamed into place).
    public static func write(_ data: Dataset, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        do {
            try Data(encode(data).utf8).write(to: temporary)
            guard rename(temporary.path, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DatasetError(path, "cannot write: \(error.localizedDescription)")
        }
    }

    static func format(_ value: Float, _ column: Column) -> String {
        guard !value.isNaN else { return "" }
        switch column.kind {
        case .categorical(let categories):
            let index = Int(value)
            return index >= 0 && index < categories.count ? quote(categories[index]) : ""
        case .numeric(let integer):
            if integer || (value == value.rounded() && abs(value) < 1e15) { return String(Int64(value.rounded())) }
            return "\(value)"
        }
    }

    /// The field as CSV: quoted when it holds a comma, quote, line break or edge space.
    static func quote(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.first == " " || text.last == " "
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
