import Foundation
import TensorCore

/// The columns a date column becomes under the `dates` role — `NAME_days` (days since
/// 1970-01-01, the time of day as a fraction), `NAME_weekday` (0 Monday … 6 Sunday),
/// `NAME_month` (1-12) and, when any value has a time, `NAME_hour` (0-23) — adjacent and in
/// that order. Synthesis keeps the parts consistent with the days; export writes the days
/// back as date text.
public struct DateParts: Equatable, Sendable {
    /// The date column's name.
    public var name: String
    /// Indices of the parts among the columns they were found in.
    public var days: Int, weekday: Int, month: Int
    public var hour: Int?

    /// The suffixes of the parts, in order (the hour only with times).
    public static let suffixes = ["days", "weekday", "month", "hour"]

    /// The date groups among `columns` (input columns, before one-hot encoding).
    public static func find(in columns: [Column]) -> [DateParts] {
        var found: [DateParts] = []
        for (j, column) in columns.enumerated() where column.name.hasSuffix("_days") && j + 2 < columns.count {
            let name = String(column.name.dropLast("_days".count))
            guard columns[j + 1].name == "\(name)_weekday", columns[j + 2].name == "\(name)_month" else { continue }
            let hour = j + 3 < columns.count && columns[j + 3].name == "\(name)_hour" ? j + 3 : nil
            found.append(DateParts(name: name, days: j, weekday: j + 1, month: j + 2, hour: hour))
        }
        return found
    }

    /// The weekday, month and hour of a days value (days since 1970-01-01 with the time of
    /// day as a fraction).
    public static func parts(ofDays days: Double) -> (weekday: Int, month: Int, hour: Int) {
        let date = CalendarDate(daysSinceEpoch: days)
        return (date.weekday, date.month, date.hour)
    }

    /// A days value as date text: `YYYY-MM-DD`, with ` HH:MM:SS` when `withTime`.
    public static func text(ofDays days: Double, withTime: Bool) -> String {
        let date = CalendarDate(daysSinceEpoch: days)
        let day = String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
        return withTime ? day + String(format: " %02d:%02d:%02d", date.hour, date.minute, date.second) : day
    }
}

extension CalendarDate {
    /// The date and time of a days value (Howard Hinnant's civil_from_days; the fraction of
    /// a day to the second).
    init(daysSinceEpoch value: Double) {
        let whole = Int(value.rounded(.down))
        var seconds = Int(((value - Double(whole)) * 86_400).rounded())
        var z = whole + 719_468
        if seconds >= 86_400 { seconds -= 86_400; z += 1 }
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
        (hour, minute, second) = (seconds / 3600, seconds % 3600 / 60, seconds % 60)
        hasTime = seconds != 0
    }
}

extension Dataset {
    /// The rows with each date's parts (`NAME_days`, `_weekday`, `_month`, `_hour`) joined back
    /// into one text column `NAME` of dates (`YYYY-MM-DD`, with the time when there was an
    /// hour part), where the days column stood: what `export` writes, so that synthetic rows
    /// read like the file they imitate.
    public func joiningDateParts() throws -> Dataset {
        let groups = DateParts.find(in: columns)
        guard !groups.isEmpty, features.rank == 2 else { return self }
        var outputColumns: [Column] = [], values: [[Float]] = []
        let parts = Set(groups.flatMap { [$0.weekday, $0.month] + ($0.hour.map { [$0] } ?? []) })
        for (j, column) in columns.enumerated() where !parts.contains(j) {
            guard let group = groups.first(where: { $0.days == j }) else {
                outputColumns.append(column)
                values.append((0..<rowCount).map { features[$0, j] })
                continue
            }
            var texts: [String] = [], index: [String: Int] = [:]
            let codes = (0..<rowCount).map { row -> Float in
                let days = Double(features[row, j])
                guard days.isFinite else { return .nan }
                let text = DateParts.text(ofDays: days, withTime: group.hour != nil)
                if index[text] == nil { index[text] = texts.count; texts.append(text) }
                return Float(index[text]!)
            }
            outputColumns.append(Column(name: group.name, kind: .categorical(categories: texts)))
            values.append(codes)
        }
        var result = self
        result.columns = outputColumns
        result.features = Tensor.build(shape: [rowCount, outputColumns.count]) { out in
            for (k, column) in values.enumerated() {
                for row in 0..<rowCount { out[row * outputColumns.count + k] = column[row] }
            }
        }
        return result
    }
}
