import Datasets
import Models
import TensorCore
import TestSupport
import XCTest
import Foundation

final class SMOTETests: XCTestCase {
    /// Normal rows around the origin, anomalies around (5, 5); a one-hot group where
    /// anomalies are mostly category 1.
    private func data(withCategories: Bool = false) throws -> Dataset {
        var rng = SeededRNG(seed: 1)
        var rows: [[Float]] = [], labels: [UInt8] = []
        for i in 0..<200 {
            let anomaly = i < 20
            var row = [rng.normal() + (anomaly ? 5 : 0), rng.normal() + (anomaly ? 5 : 0)]
            if withCategories {
                let category = anomaly ? (i < 17 ? 1 : 0) : rng.index(below: 2)
                row += category == 0 ? [1, 0] : [0, 1]
            }
            rows.append(row)
            labels.append(anomaly ? 1 : 0)
        }
        var columns = [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))]
        if withCategories {
            columns += [Column(name: "c=x", kind: .numeric(integer: true), originalName: "c"),
                        Column(name: "c=y", kind: .numeric(integer: true), originalName: "c")]
        }
        return try Dataset(features: try Tensor(rows: rows), columns: columns, labels: labels)
    }

    func test_syntheticRows_lieBetweenMinorityRows_andAreSeeded() throws {
        let training = try data()
        let smote = SMOTE(neighbours: 3)
        try smote.fit(training)
        var rng = SeededRNG(seed: 2)
        let synthetic = try smote.sample(300, using: &rng)
        XCTAssertEqual(synthetic.shape, [300, 2])
        let minority = (0..<20).map { [training.features[$0, 0], training.features[$0, 1]] }
        for r in 0..<300 {
            for c in 0..<2 {
                XCTAssertGreaterThanOrEqual(synthetic[r, c], minority.map { $0[c] }.min()! - 1e-5)
                XCTAssertLessThanOrEqual(synthetic[r, c], minority.map { $0[c] }.max()! + 1e-5)
            }
        }
        var again = SeededRNG(seed: 2)
        XCTAssertEqual(try smote.sample(300, using: &again), synthetic)
    }

    func test_syntheticRows_matchTheAnomalies_byMMD_betterThanAWrongModel() throws {
        let training = try data()
        let smote = SMOTE(neighbours: 5)
        try smote.fit(training)
        var rng = SeededRNG(seed: 6)
        let synthetic = try smote.sample(400, using: &rng)
        let anomalies = try training.features.gatherRows(Array(0..<20))
        let good = try meanDiscrepancy(synthetic, anomalies)
        let bad = try meanDiscrepancy(try training.features.gatherRows(Array(100..<200)), anomalies)
        XCTAssertLessThan(good, 0.05, "smote \(good), normal rows \(bad)")
        XCTAssertLessThan(good, bad / 5)
    }

    func test_smoteNC_givesValidOneHotGroups_withTheNeighboursMajority() throws {
        let smote = SMOTE(neighbours: 5)
        try smote.fit(try data(withCategories: true))
        var rng = SeededRNG(seed: 3)
        let synthetic = try smote.sample(200, using: &rng)
        var second = 0
        for r in 0..<200 {
            XCTAssertEqual(synthetic[r, 2] + synthetic[r, 3], 1)
            if synthetic[r, 3] == 1 { second += 1 }
        }
        XCTAssertGreaterThan(second, 150, "anomalies are mostly category y, so their neighbours vote y")
    }

    func test_borderline_seedsOnlyFromAnomaliesInDanger() throws {
        // Anomalies: 5 close pairs on a circle inside the normal cloud (in danger: one anomaly
        // among mostly normal neighbours), and 10 far away together (safe).
        var rng = SeededRNG(seed: 4)
        var rows: [[Float]] = [], labels: [UInt8] = []
        for _ in 0..<300 { rows.append([rng.normal(), rng.normal()]); labels.append(0) }
        for i in 0..<10 {
            let angle = Float(i / 2) * 2 * .pi / 5
            rows.append([1.5 * cos(angle) + 0.05 * Float(i % 2), 1.5 * sin(angle)])
            labels.append(1)
        }
        for i in 0..<10 { rows.append([20 + 0.05 * Float(i), 20]); labels.append(1) }
        let dataset = try Dataset(features: try Tensor(rows: rows), columns: [Column(name: "a", kind: .numeric(integer: false)),
                                                                              Column(name: "b", kind: .numeric(integer: false))], labels: labels)
        let borderline = SMOTE(neighbours: 3, variant: .borderline, dangerNeighbours: 10)
        try borderline.fit(dataset)
        var sampler = SeededRNG(seed: 5)
        let synthetic = try borderline.sample(100, using: &sampler)
        for r in 0..<100 { XCTAssertLessThan(synthetic[r, 0], 10, "no synthetic row near the safe anomalies at (20, 20)") }
    }

    func test_badRequests_areClearErrors() throws {
        let smote = SMOTE()
        var rng = SeededRNG(seed: 1)
        XCTAssertEqual(errorMessage { try smote.sample(5, using: &rng) }, "smote: sample before fit")
        try smote.fit(try data())
        XCTAssertEqual(errorMessage { try smote.sample(0, using: &rng) }, "smote: count must be at least 1, got 0")
        var noAnomalies = try data()
        noAnomalies.labels = [UInt8](repeating: 0, count: noAnomalies.rowCount)
        XCTAssertEqual(errorMessage { try SMOTE().fit(noAnomalies) }, "smote: needs at least 2 anomalies in the training data, found 0")
    }
}
