import TensorCore

/// The values each column can take, learned from real rows, and the projection of made-up
/// rows (synthetic anomalies) onto them: a one-hot group holds exactly one 1, an integer
/// column holds whole numbers (and no negative ones where the real rows have none), and a
/// date's weekday, month and hour are those of its days. Works in model space, through the
/// transform the rows were preprocessed with (when they were).
public struct ColumnDomains {
    /// A model-space numeric column: its input column and the affine map from model space.
    private struct Numeric {
        var column: Int
        var input: Int
        var center: Float, scale: Float
        func original(_ value: Float) -> Float { value * scale + center }
        func model(_ value: Float) -> Float { (value - center) / scale }
    }

    private let columns: [Column]
    private let groups: ColumnGroups
    /// Input column → its model-space numeric column (nil: dropped as constant, or one-hot).
    private let numericOf: [Int: Numeric]
    private let inputColumns: [Column]
    private let dates: [DateParts]
    /// Input columns that are whole numbers, with whether they stay non-negative.
    private let integers: [(input: Int, nonNegative: Bool)]

    /// - Parameters:
    ///   - reference: real rows in model space (the domains are learned from them).
    ///   - transform: how the rows were preprocessed, nil when they were not.
    public init(reference: Dataset, transform: Transform?) {
        columns = reference.columns
        groups = ColumnGroups(reference.columns)
        let inputColumns = transform?.inputColumns ?? reference.columns
        self.inputColumns = inputColumns
        var numericOf: [Int: Numeric] = [:]
        if let transform {
            var k = 0
            for (j, step) in transform.steps.enumerated() {
                switch step {
                case .constant: break
                case .scale(let center, let scale, _):
                    numericOf[j] = Numeric(column: k, input: j, center: center, scale: scale)
                    k += 1
                case .oneHot(let categories, _, let other): k += categories.count + (other == nil ? 0 : 1)
                }
            }
        } else {
            for j in groups.numericColumns { numericOf[j] = Numeric(column: j, input: j, center: 0, scale: 1) }
        }
        self.numericOf = numericOf
        let dates = DateParts.find(in: inputColumns)
        self.dates = dates
        let dateParts = Set(dates.flatMap { [$0.days, $0.weekday, $0.month] + ($0.hour.map { [$0] } ?? []) })
        integers = inputColumns.indices.compactMap { j -> (Int, Bool)? in
            guard case .numeric(true) = inputColumns[j].kind, !dateParts.contains(j), let numeric = numericOf[j] else { return nil }
            let values = (0..<reference.rowCount).map { numeric.original(reference.features[$0, numeric.column]) }.filter { !$0.isNaN }
            return (j, (values.min() ?? -1) >= 0)
        }
    }

    /// `rows` projected onto the domains, and how many values of each column changed.
    public func project(_ rows: Tensor) -> (rows: Tensor, repairs: [String: Int]) {
        var rows = rows, repairs: [String: Int] = [:]
        func set(_ r: Int, _ column: Int, _ value: Float, name: String) {
            if rows[r, column] != value, !(rows[r, column].isNaN && value.isNaN) {
                if abs(rows[r, column] - value) > 1e-4 * max(1, abs(value)) { repairs[name, default: 0] += 1 }
                rows[r, column] = value
            }
        }
        for r in 0..<rows.rows {
            for group in groups.oneHotGroups {
                let best = group.max { rows[r, $0] < rows[r, $1] }!
                for j in group { set(r, j, j == best ? 1 : 0, name: columns[group.lowerBound].originalName ?? columns[j].name) }
            }
            for (input, nonNegative) in integers {
                let numeric = numericOf[input]!
                var value = numeric.original(rows[r, numeric.column]).rounded()
                if nonNegative { value = max(0, value) }
                set(r, numeric.column, numeric.model(value), name: inputColumns[input].name)
            }
            for date in dates {
                guard let days = numericOf[date.days] else { continue }
                var value = Double(days.original(rows[r, days.column]))
                guard value.isFinite else { continue }
                if date.hour == nil { value = value.rounded() }
                set(r, days.column, days.model(Float(value)), name: inputColumns[date.days].name)
                let parts = DateParts.parts(ofDays: value)
                for (input, part) in [(date.weekday, parts.weekday), (date.month, parts.month)] + (date.hour.map { [($0, parts.hour)] } ?? []) {
                    guard let numeric = numericOf[input] else { continue }
                    set(r, numeric.column, numeric.model(Float(part)), name: inputColumns[input].name)
                }
            }
        }
        return (rows, repairs)
    }
}
