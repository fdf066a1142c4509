import Foundation

/// Writes a dataset as CSV (RFC 4180): the feature columns with categories as text
/// and missing values empty, then the label — as the source file had it (its column name
/// and texts, e.g. `is_fraud` yes/no) when known, else `label` 1/0 — and `source`
/// (provenance) when any row is not real.
public enum CSVWriter {
    /// The CSV text of a dataset.
    public static func encode(_ data: Dataset) -> String {
        // The file's own label texts when both are known; else 1 (anomaly) and 0.
        let label = data.labelColumn.flatMap { column in column.normal.map { (column.name, [$0, column.anomaly]) } } ?? ("label", ["0", "1"])
        let withSource = data.provenance.contains { $0 != 0 }
        var out = (data.columns.map { quote($0.name) } + [quote(label.0)] + (withSource ? ["source"] : [])).joined(separator: ",") + "\n"
        out.reserveCapacity(data.rowCount * data.columns.count * 8)
        let width = data.columns.count
        let labelTexts = label.1.map(quote)
        data.features.withUnsafeBufferPointer { values in
            for r in 0..<data.rowCount {
                for (j, column) in data.columns.enumerated() {
                    out += format(values[r * width + j], column)
                    out += ","
                }
                out += labelTexts[Int(data.labels[r])]
                out += withSource ? ",\(quote(data.sources[Int(data.provenance[r])]))\n" : "\n"
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
