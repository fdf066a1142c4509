import ArchiveIO
import Datasets
import Foundation
@testable import PipelineEngine
import TensorCore
import TestSupport
import XCTest

/// Synthetic rows of every generator keep the columns' domains (the issue's donors export:
/// a date read as days, weekday and month, integer counts, a text category).
final class SyntheticDomainTests: XCTestCase {
    func test_everyGeneratorsRows_respectDatesIntegersAndCategories() throws {
        let folder = try temporaryDirectory()
        var rng = SeededRNG(seed: 27)
        var lines = ["date_posted,items,price,state,label"]
        for row in 0..<400 {
            let anomaly = row % 8 == 0
            let day = 1 + rng.index(below: 28), month = 1 + rng.index(below: 12)
            let items = rng.index(below: anomaly ? 30 : 6)
            lines.append(String(format: "2023-%02d-%02d,%d,%.2f,%@,%d", month, day, items, 10 + 5 * rng.normal() + (anomaly ? 20 : 0),
                                ["CA", "NY", "TX"][rng.index(below: 3)], anomaly ? 1 : 0))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("donors.csv"), atomically: true, encoding: .utf8)
        try #"""
            {"name": "domains", "seed": 4, "matrix": {"gen.params.model": ["smote", "vae", "flow", "gan"]}, "stages": [
             {"id": "raw", "type": "ingest", "params": {"path": "donors.csv", "label": {"column": "label"}, "dates": ["date_posted"]}},
             {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}},
             {"id": "gen", "type": "train_generator", "inputs": {"data": "prep.train"}, "params": {"model": "vae", "epochs": 5, "hidden_units": 16}},
             {"id": "syn", "type": "synthesize", "inputs": {"model": "gen", "reference": "prep.train"}, "params": {"count": 300}}]}
            """#.write(to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(folder.appendingPathComponent("p.json").path)
        let summary = Runner(pipeline: pipeline, options: RunOptions(outputRoot: folder.appendingPathComponent("runs"), cacheRoot: folder.appendingPathComponent("cache"),
                                                                    reporter: ProgressReporter(quiet: true))).run()
        XCTAssertEqual(summary.status, "succeeded", "\(summary.stages.compactMap(\.error))")
        for model in ["smote", "vae", "flow", "gan"] {
            let stage = try XCTUnwrap(summary.stages.first { $0.id == "syn@model=\(model)" })
            let (synthetic, transform) = try DatasetArchive.read(try XCTUnwrap(stage.outputs["data"]))
            XCTAssertGreaterThan(synthetic.rowCount, 100, model)
            let rows = try XCTUnwrap(transform).inverse(synthetic)
            let column = { (name: String) in rows.columns.firstIndex { $0.name == name }! }
            for r in 0..<rows.rowCount {
                let days = Double(rows.features[r, column("date_posted_days")])
                XCTAssertEqual(days, days.rounded(), "\(model): whole days")
                let parts = DateParts.parts(ofDays: days)
                XCTAssertEqual(rows.features[r, column("date_posted_weekday")], Float(parts.weekday), "\(model) row \(r): weekday of its day")
                XCTAssertEqual(rows.features[r, column("date_posted_month")], Float(parts.month), "\(model) row \(r): month of its day")
                let items = rows.features[r, column("items")]
                XCTAssertTrue(items == items.rounded() && items >= 0, "\(model) row \(r): items \(items)")
            }
            let oneHot = synthetic.columns.indices.filter { synthetic.columns[$0].originalName == "state" }
            XCTAssertEqual(oneHot.count, 3)
            XCTAssertTrue((0..<synthetic.rowCount).allSatisfy { r in oneHot.map { synthetic.features[r, $0] }.sorted() == [0, 0, 1] }, model)
            let dates = try rows.joiningDateParts()
            XCTAssertEqual(dates.columns.first?.name, "date_posted")
            XCTAssertTrue(dates.columns[0].categories?.allSatisfy { CalendarDateText.isDate($0) } == true, "\(model): date text")
        }
    }
}

/// `YYYY-MM-DD`, as export writes a date without time.
private enum CalendarDateText {
    static func isDate(_ text: String) -> Bool { text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil }
}
