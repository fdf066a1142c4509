import TensorCore

/// The columns of the data as a user knows them, and which model columns came from each:
/// a categorical column's one-hot group and a date's parts (`NAME_days`, `_weekday`,
/// `_month`, `_hour`) are one source column each. Explanations are summed over them.
public struct SourceColumns: Sendable, Equatable {
    /// The source columns' names, in the order of the transform's input columns.
    public let names: [String]
    /// For each model column (the transform's output), the index of its source.
    public let sourceOfModelColumn: [Int]
    /// For each source, the transform's input columns it spans (one, or a date's parts).
    public let inputs: [[Int]]
    /// For each source that is a date, its parts among the input columns.
    public let dates: [Int: DateParts]

    /// The sources of a transform's columns.
    public init(_ transform: Transform) {
        let columns = transform.inputColumns
        let dateGroups = DateParts.find(in: columns)
        var names: [String] = [], inputs: [[Int]] = [], dates: [Int: DateParts] = [:]
        var sourceOfInput = [Int](repeating: -1, count: columns.count)
        for (j, column) in columns.enumerated() where sourceOfInput[j] < 0 {
            if let date = dateGroups.first(where: { $0.days == j }) {
                let parts = [date.days, date.weekday, date.month] + (date.hour.map { [$0] } ?? [])
                for part in parts { sourceOfInput[part] = names.count }
                dates[names.count] = date
                inputs.append(parts)
                names.append(date.name)
            } else {
                sourceOfInput[j] = names.count
                inputs.append([j])
                names.append(column.name)
            }
        }
        var sourceOfModelColumn: [Int] = []
        for (j, step) in transform.steps.enumerated() {
            let width: Int
            switch step {
            case .constant: width = 0
            case .scale: width = 1
            case .oneHot(let categories, _, let other): width = categories.count + (other == nil ? 0 : 1)
            }
            sourceOfModelColumn += [Int](repeating: sourceOfInput[j], count: width)
        }
        (self.names, self.sourceOfModelColumn, self.inputs, self.dates) = (names, sourceOfModelColumn, inputs, dates)
    }

    /// Model-column values summed per source column, `[rows, sources]` (in model-column order).
    public func summed(_ values: Tensor) -> Tensor {
        let sources = names.count, columns = values.columns
        return Tensor.build(shape: [values.rows, sources]) { out in
            for k in 0..<out.count { out[k] = 0 }
            for r in 0..<values.rows {
                for j in 0..<columns { out[r * sources + sourceOfModelColumn[j]] += values[r, j] }
            }
        }
    }

    /// A source's value in row `r` of `data` (rows in the transform's input columns) as text:
    /// a number, a category, or a date.
    public func text(of source: Int, row r: Int, in data: Dataset) -> String {
        if let date = dates[source] {
            let days = data.features[r, date.days]
            return days.isNaN ? "" : DateParts.text(ofDays: Double(days), withTime: date.hour != nil)
        }
        let j = inputs[source][0]
        return CSVWriter.format(data.features[r, j], data.columns[j])
    }

    /// A source's typical value in the training rows, as text: the value the transform fills
    /// a missing one with (the mean or median of a number, by `imputation`; the most frequent
    /// category), or the constant of a constant column.
    public func typicalText(of source: Int, _ transform: Transform) -> String {
        let j = dates[source]?.days ?? inputs[source][0]
        let value: Float
        switch transform.steps[j] {
        case .scale(_, _, let fill): value = fill
        case .oneHot(_, let fill, _): value = Float(fill)
        case .constant(let constant): value = constant
        }
        if let date = dates[source] { return DateParts.text(ofDays: Double(value), withTime: date.hour != nil) }
        return CSVWriter.format(value, transform.inputColumns[j])
    }
}
