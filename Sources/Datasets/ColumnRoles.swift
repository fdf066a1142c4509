import Foundation
import TensorCore

/// What `ingest` does with named columns beyond reading them: leave some out (ids, free
/// text) and turn date columns into numbers a model can use.
public struct ColumnRoles: Equatable, Sendable {
    /// Columns left out of the dataset.
    public var ignore: [String] = []
    /// Text columns of dates (`2024-01-31`, `2024/01/31`, optionally with a time
    /// `13:45[:30]` after a space or `T`) made into `NAME_days` (days since 1970-01-01, with
    /// the time as a fraction), `NAME_weekday` (0 Monday … 6 Sunday), `NAME_month` and, when
    /// any value has a time, `NAME_hour`.
    public var dates: [String] = []

    public init(ignore: [String] = [], dates: [String] = []) {
        self.ignore = ignore
        self.dates = dates
    }

    public var isEmpty: Bool { ignore.isEmpty && dates.isEmpty }
}

extension Dataset {
    /// The dataset with `roles` applied.
    /// - Throws: `DatasetError` naming the column: an unknown name, a date column read as
    ///   numbers, or a value that is not a date (with its text).
    public func applying(_ roles: ColumnRoles, source: String) throws -> Dataset {
        for name in roles.ignore + roles.dates where !columns.contains(where: { $0.name == name }) {
            throw DatasetError(source, "no column '\(name)' to \(roles.ignore.contains(name) ? "ignore" : "read as dates"); the columns are \(columns.map(\.name).joined(separator: ", "))")
        }
        if let both = roles.ignore.first(where: roles.dates.contains) {
            throw DatasetError(source, "column '\(both)' is both ignored and a date column")
        }
        guard !roles.isEmpty else { return self }
        if columns.allSatisfy({ roles.ignore.contains($0.name) }) {
            throw DatasetError(source, "no feature column is left: the ignored columns (--ignore or --id; an ingest stage's 'ignore') are all of \(columns.map(\.name).joined(separator: ", ")); keep at least one")
        }
        var outputColumns: [Column] = []
        var values: [[Float]] = []  // per output column
        let width = columns.count, scalars = features.scalars
        for (j, column) in columns.enumerated() where !roles.ignore.contains(column.name) {
            let input = (0..<rowCount).map { scalars[$0 * width + j] }
            guard roles.dates.contains(column.name) else {
                outputColumns.append(column)
                values.append(input)
                continue
            }
            guard let categories = column.categories else {
                throw DatasetError(source, "date column '\(column.name)' was read as numbers; dates must be text such as 2024-01-31")
            }
            let parsed = try categories.map { text -> CalendarDate in
                guard let date = CalendarDate(text) else {
                    throw DatasetError(source, "column '\(column.name)': '\(text)' is not a date (expected YYYY-MM-DD or YYYY/MM/DD, optionally with a time HH:MM[:SS])")
                }
                return date
            }
            // The parts in `DateParts`' order and names; days are whole without times.
            let hasTime = parsed.contains(where: \.hasTime)
            var parts: [(suffix: String, integer: Bool, byCategory: [Float])] = [
                (DateParts.suffixes[0], !hasTime, parsed.map { Float($0.daysSinceEpoch) }),
                (DateParts.suffixes[1], true, parsed.map { Float($0.weekday) }),
                (DateParts.suffixes[2], true, parsed.map { Float($0.month) }),
            ]
            if hasTime { parts.append((DateParts.suffixes[3], true, parsed.map { Float($0.hour) })) }
            for part in parts {
                outputColumns.append(Column(name: "\(column.name)_\(part.suffix)", kind: .numeric(integer: part.integer)))
                values.append(input.map { $0.isNaN ? .nan : part.byCategory[Int($0)] })
            }
        }
        let matrix = Tensor.build(shape: [rowCount, outputColumns.count]) { out in
            for (k, column) in values.enumerated() {
                for row in 0..<rowCount { out[row * outputColumns.count + k] = column[row] }
            }
        }
        var result = self
        result.features = matrix
        result.columns = outputColumns
        result.rowShape = []
        return result
    }

    /// Each column's count of values present, their least and greatest, sum and sum of
    /// squares (Double), in one pass over the rows in order (the matrix read once, row by row).
    /// - Parameter only: the columns to summarize (nil: all); the others stay empty.
    public func columnSummary(only: [Int]? = nil) -> [ColumnSummary] {
        let width = columns.count
        let wanted = only ?? Array(0..<width)
        var summary = [ColumnSummary](repeating: ColumnSummary(), count: width)
        guard !wanted.isEmpty else { return summary }
        features.withUnsafeBufferPointer { values in
            summary.withUnsafeMutableBufferPointer { summary in
                guard let base = values.baseAddress else { return }
                for r in 0..<rowCount {
                    let row = base + r * width
                    for j in wanted where !row[j].isNaN {
                        let x = Double(row[j])
                        summary[j].count += 1
                        summary[j].sum += x
                        summary[j].squares += x * x
                        summary[j].low = Swift.min(summary[j].low, x)
                        summary[j].high = Swift.max(summary[j].high, x)
                    }
                }
            }
        }
        return summary
    }

    /// Columns that will likely mislead a model as they are, each with what to do: ids (a
    /// different value in every row), many-valued text (one-hot would add a column per
    /// value), dates read as text, and, when no label is given, a two-valued column that
    /// looks like one. One pass over each column's values with no set of them, except for
    /// the rare column that passes the cheap tests first (a category per row, a range as long
    /// as the rows, a label-like name): ingest stays bound by reading, not by advice.
    public func columnAdvice(labelGiven: Bool) -> [String] {
        guard rowCount >= 20 else { return [] }
        let width = columns.count
        var advice: [String] = []
        // Only text and whole-number columns can be ids, dates or many-valued text.
        let summary = columnSummary(only: columns.indices.filter { columns[$0].categories != nil || columns[$0].kind == .numeric(integer: true) })
        features.withUnsafeBufferPointer { scalars in
            func distinct(_ j: Int, atMost limit: Int) -> Int {
                var seen = Set<UInt32>()
                for row in 0..<rowCount where !scalars[row * width + j].isNaN {
                    seen.insert(scalars[row * width + j].bitPattern)
                    if seen.count > limit { break }
                }
                return seen.count
            }
            for (j, column) in columns.enumerated() {
                let (present, low, high) = (summary[j].count, summary[j].low, summary[j].high)
                let labelLike = !labelGiven && Self.looksLikeLabel(column.name)
                if let categories = column.categories {
                    if categories.count > 1, categories.prefix(5).allSatisfy({ CalendarDate($0) != nil }) {
                        advice.append("column '\(column.name)' holds dates as text (\(categories.count) values): read it with dates: [\"\(column.name)\"] (days, weekday, month, hour)")
                    } else if categories.count >= present, distinct(j, atMost: present) == present {
                        advice.append("column '\(column.name)' has a different value in every row (an id?): leave it out with ignore: [\"\(column.name)\"]")
                    } else if categories.count > 100 {
                        advice.append("column '\(column.name)' has \(categories.count) categories: one-hot would add a column for each; leave it out (ignore) unless it matters")
                    } else if labelLike, categories.count == 2 {
                        advice.append("column '\(column.name)' looks like a label (values \(categories.joined(separator: ", "))); as it is, it is a feature: give it as label.column")
                    }
                } else if case .numeric(integer: true) = column.kind, present == rowCount, high - low == Double(rowCount - 1),
                          distinct(j, atMost: rowCount) == rowCount {
                    advice.append("column '\(column.name)' numbers the rows (\(Int(low)) to \(Int(high))): leave it out with ignore: [\"\(column.name)\"]")
                } else if labelLike, distinct(j, atMost: 2) == 2 {
                    advice.append("column '\(column.name)' looks like a label (two values); as it is, it is a feature: give it as label.column")
                }
            }
        }
        return advice
    }

    private static func looksLikeLabel(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["label", "class", "target", "fraud", "anomaly", "outlier", "attack", "y"].contains(lower)
            || lower.hasPrefix("is_") || lower.hasSuffix("_label") || lower.hasSuffix("_flag")
    }
}

/// One column's values present, their range, sum and sum of squares (`Dataset.columnSummary`).
public struct ColumnSummary: Sendable {
    public var count = 0
    public var low = Double.infinity
    public var high = -Double.infinity
    public var sum = 0.0
    public var squares = 0.0
}

/// A calendar date (and time of day) parsed from `YYYY-MM-DD` or `YYYY/MM/DD`, optionally
/// followed by ` HH:MM[:SS]` or `THH:MM[:SS]` (a trailing `Z` or fraction of a second is allowed).
struct CalendarDate: Equatable {
    var year: Int, month: Int, day: Int
    var hour = 0, minute = 0, second = 0
    var hasTime = false

    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let dateText = trimmed.prefix(10)
        let parts = dateText.split(whereSeparator: { $0 == "-" || $0 == "/" })
        guard dateText.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...CalendarDate.days(inMonth: month, of: year)).contains(day) else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
        var rest = trimmed.dropFirst(10)
        guard let separator = rest.first else { return }
        guard separator == " " || separator == "T" else { return nil }
        rest = rest.dropFirst()
        if rest.hasSuffix("Z") { rest = rest.dropLast() }
        let clock = rest.split(separator: ":")
        guard (2...3).contains(clock.count), let hour = Int(clock[0]), let minute = Int(clock[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        let seconds = clock.count == 3 ? Double(clock[2]) : 0
        guard let seconds, seconds >= 0, seconds < 61 else { return nil }
        (self.hour, self.minute, self.second, hasTime) = (hour, minute, Int(seconds), true)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 (proleptic Gregorian), the time of day as a fraction.
    var daysSinceEpoch: Double {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days) + (Double(hour) * 3600 + Double(minute) * 60 + Double(second)) / 86_400
    }

    /// 0 Monday … 6 Sunday (1970-01-01 was a Thursday).
    var weekday: Int {
        let days = Int(daysSinceEpoch.rounded(.down))
        return ((days % 7) + 7 + 3) % 7
    }
}
