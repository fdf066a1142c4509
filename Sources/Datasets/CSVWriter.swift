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

    /// Writes the CSV to a file (through a temporary file, renamed into place; a symbolic
    /// link's target is written, the link stays) or to a device or pipe such as `/dev/stdout`.
    /// - Parameter inputs: files that must not be overwritten (the archive being exported).
    /// - Throws: `DatasetError` naming the path: a folder, a missing folder, an input, a full disk.
    public static func write(_ data: Dataset, to path: String, inputs: [String] = []) throws {
        let target = try OutputPath.prepare(path, inputs: inputs, allowingStreams: true)
        try OutputPath.write(Array(encode(data).utf8), to: target, named: path)
    }

    /// A value as the CSV shows it: a category's text, a number, or empty when missing.
    public static func format(_ value: Float, _ column: Column) -> String {
        guard !value.isNaN else { return "" }
        switch column.kind {
        case .categorical(let categories):
            let index = Int(value)
            return index >= 0 && index < categories.count ? quote(categories[index]) : ""
        case .numeric(let integer):
            // Whole numbers print as integers while Int64 holds them; beyond (or infinite)
            // as floats ("1e+20"), never a wrapped integer.
            let whole = value.rounded()
            if (integer || value == whole), whole.magnitude < 1e15 { return String(Int64(whole)) }
            return "\(value)"
        }
    }

    /// The field as CSV: quoted when it holds a comma, quote, line break or edge space.
    public static func quote(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.first == " " || text.last == " "
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
