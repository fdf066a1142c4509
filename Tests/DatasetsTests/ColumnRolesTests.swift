import Datasets
import Foundation
import TensorCore
import TestSupport
import XCTest

/// Column roles at ingest (ignore, dates) and the advice that names likely ids, dates,
/// many-valued text and unlabelled label columns.
final class ColumnRolesTests: XCTestCase {
    /// A fraud-style export: an id, a timestamp, an amount, a merchant and a yes/no label.
    private func export(rows: Int = 40) throws -> Dataset {
        var text = "transaction_id,created_at,amount,merchant,is_fraud\n"
        for i in 0..<rows {
            let day = 1 + i % 28, hour = i % 24
            text += "tx-\(1000 + i),2024-02-\(day < 10 ? "0" : "")\(day) \(hour < 10 ? "0" : "")\(hour):15:00,\(Double(i) * 1.5),shop\(i % 3),\(i % 10 == 0 ? "yes" : "no")\n"
        }
        var source = MemoryByteSource(name: "export.csv", bytes: Array(text.utf8))
        return try CSVReader.read(&source, label: nil)
    }

    func test_advice_namesTheId_theDates_andTheUnlabelledLabel() throws {
        let advice = try export().columnAdvice(labelGiven: false)
        XCTAssertEqual(advice, [
            #"column 'transaction_id' has a different value in every row (an id?): leave it out with ignore: ["transaction_id"]"#,
            #"column 'created_at' holds dates as text (40 values): read it with dates: ["created_at"] (days, weekday, month, hour)"#,
            "column 'is_fraud' looks like a label (values yes, no); as it is, it is a feature: give it as label.column",
        ])
        XCTAssertFalse(try export().columnAdvice(labelGiven: true).contains { $0.contains("is_fraud") })
    }

    func test_roles_leaveOutColumns_andTurnDatesIntoNumbers() throws {
        let data = try export().applying(ColumnRoles(ignore: ["transaction_id"], dates: ["created_at"]), source: "export.csv")
        XCTAssertEqual(data.columns.map(\.name), ["created_at_days", "created_at_weekday", "created_at_month", "created_at_hour", "amount", "merchant", "is_fraud"])
        XCTAssertNil(data.columns[0].originalName, "numeric columns, not a one-hot group")
        // Row 0: 2024-02-01 00:15 (a Thursday); row 5: 2024-02-06 05:15 (a Tuesday).
        XCTAssertEqual(data.features[0, 0], 19_754 + 15.0 / 1440, accuracy: 1e-3, "days since 1970-01-01")
        XCTAssertEqual(data.features[0, 1], 3, "Thursday (0 is Monday)")
        XCTAssertEqual(data.features[5, 1], 1, "Tuesday")
        XCTAssertEqual(data.features[5, 2], 2, "February")
        XCTAssertEqual(data.features[5, 3], 5, "05:15")
        XCTAssertEqual(data.features[5, 4], 7.5, "the other columns are unchanged")
        XCTAssertEqual(data.rowCount, 40)
    }

    func test_dates_parseTheCommonForms_andRefuseOthers() throws {
        var text = "d\n2000-02-29\n1969/12/31\n2024-01-31T23:59:59Z\nNA\n"
        var source = MemoryByteSource(name: "d.csv", bytes: Array(text.utf8))
        let data = try CSVReader.read(&source, label: nil).applying(ColumnRoles(dates: ["d"]), source: "d.csv")
        XCTAssertEqual(data.features[0, 0], 11_016, "2000-02-29, a leap day")
        XCTAssertEqual(data.features[1, 0], -1)
        XCTAssertEqual(data.features[1, 1], 2, "1969-12-31 was a Wednesday")
        XCTAssertEqual(data.features[2, 3], 23)
        XCTAssertTrue(data.features[3, 0].isNaN, "a missing date stays missing")
        text = "d\n2023-02-29\n"
        source = MemoryByteSource(name: "bad.csv", bytes: Array(text.utf8))
        let bad = try CSVReader.read(&source, label: nil)
        XCTAssertEqual(errorMessage { try bad.applying(ColumnRoles(dates: ["d"]), source: "bad.csv") },
                       "bad.csv: column 'd': '2023-02-29' is not a date (expected YYYY-MM-DD or YYYY/MM/DD, optionally with a time HH:MM[:SS])")
        XCTAssertEqual(errorMessage { try bad.applying(ColumnRoles(ignore: ["x"]), source: "bad.csv") },
                       "bad.csv: no column 'x' to ignore; the columns are d")
        let numbers = try Dataset(features: try Tensor(rows: [[1], [2]]), columns: [Column(name: "n", kind: .numeric(integer: true))], labels: [0, 0])
        XCTAssertEqual(errorMessage { try numbers.applying(ColumnRoles(dates: ["n"]), source: "n.csv") },
                       "n.csv: date column 'n' was read as numbers; dates must be text such as 2024-01-31")
    }
}
