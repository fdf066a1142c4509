@testable import Datasets
import TensorCore
import TestSupport
import XCTest

/// Dates back from their days, and made-up rows projected onto the real rows' domains.
final class ColumnDomainsTests: XCTestCase {
    func test_daysSinceEpoch_roundTripsEveryDayAndTime() throws {
        for days in stride(from: -40_000, through: 60_000, by: 37) {
            for seconds in [0, 1, 3_599, 43_200, 86_399] {
                let value = Double(days) + Double(seconds) / 86_400
                let date = CalendarDate(daysSinceEpoch: value)
                let text = String(format: "%04d-%02d-%02d %02d:%02d:%02d", date.year, date.month, date.day, date.hour, date.minute, date.second)
                let parsed = try XCTUnwrap(CalendarDate(text), text)
                XCTAssertEqual(parsed.daysSinceEpoch, value, accuracy: 1e-9, text)
                XCTAssertEqual(parsed.weekday, date.weekday, text)
            }
        }
        XCTAssertEqual(DateParts.text(ofDays: 0, withTime: false), "1970-01-01")
        XCTAssertEqual(DateParts.text(ofDays: 19_753.5, withTime: true), "2024-01-31 12:00:00")
        XCTAssertEqual(DateParts.parts(ofDays: 19_753.5).weekday, 2, "2024-01-31 was a Wednesday")
    }

    /// Real rows with a date (no time), an integer count and a category; synthetic rows
    /// with a fractional day, an impossible weekday, a negative count and a smeared category.
    func test_project_keepsDatesConsistent_integersWhole_andOneCategory() throws {
        let text = "posted,items,colour\n2024-01-01,3,red\n2024-02-15,0,blue\n2024-03-31,7,red\n2024-01-20,2,green\n"
        let raw = try readCSV(text).applying(ColumnRoles(dates: ["posted"]), source: "t.csv")
        XCTAssertEqual(raw.columns.map(\.name), ["posted_days", "posted_weekday", "posted_month", "items", "colour"])
        XCTAssertEqual(raw.columns[0].kind, .numeric(integer: true), "days without times are whole")
        let transform = try Transform.fit(raw, options: PreprocessOptions())
        let reference = try transform.apply(raw)
        let domains = ColumnDomains(reference: reference, transform: transform)
        let width = reference.columns.count
        // In original units: days 19_800.4, weekday 9, month 13, items -1.6, colour one-hot smeared.
        var original = [Float](repeating: 0, count: width)
        func model(_ name: String, _ value: Float) {
            let j = reference.columns.firstIndex { $0.name == name }!
            guard case .scale(let center, let scale, _) = transform.steps[transform.inputColumns.firstIndex { $0.name == name }!] else { return }
            original[j] = (value - center) / scale
        }
        model("posted_days", 19_800.4)
        model("posted_weekday", 9)
        model("posted_month", 13)
        model("items", -1.6)
        let oneHot = reference.columns.indices.filter { reference.columns[$0].originalName == "colour" }
        for (k, j) in oneHot.enumerated() { original[j] = [0.2, 0.7, 0.4][k] }
        let (rows, repairs) = domains.project(try Tensor(shape: [1, width], scalars: original))
        let back = try transform.inverse(try Dataset(features: rows, columns: reference.columns, labels: [1]))
        let value = { (name: String) in back.features[0, back.columns.firstIndex { $0.name == name }!] }
        XCTAssertEqual(value("posted_days"), 19_800, "a whole day")
        let parts = DateParts.parts(ofDays: 19_800)
        XCTAssertEqual(value("posted_weekday"), Float(parts.weekday))
        XCTAssertEqual(value("posted_month"), Float(parts.month))
        XCTAssertEqual(value("items"), 0, "whole, and not below the real rows' 0")
        XCTAssertEqual(oneHot.map { rows[0, $0] }.sorted(), [0, 0, 1])
        XCTAssertEqual(Set(repairs.keys), ["posted_days", "posted_weekday", "posted_month", "items", "colour"])
        // Export: the parts become the date text again.
        let exported = try back.joiningDateParts()
        XCTAssertEqual(exported.columns.map(\.name), ["posted", "items", "colour"])
        XCTAssertEqual(exported.columns[0].categories, [DateParts.text(ofDays: 19_800, withTime: false)])
    }
}
