import Datasets
import Foundation
@testable import Models
import TensorCore
import TestSupport
import XCTest

/// Attributions: each method's additive identity, exact Shapley values where the method
/// claims them, and the planted column found first.
final class ExplanationTests: XCTestCase {
    private static let width = 6
    /// The column each anomaly of `planted` was moved along.
    private static func plantedColumn(_ anomaly: Int) -> Int { anomaly % 2 == 0 ? 1 : 4 }

    /// Normal rows N(0, 1) (columns 0 and 2 correlated) and anomalies normal everywhere but
    /// one planted column, moved by 5.
    private func planted(normal: Int, anomalies: Int, seed: UInt64) throws -> Dataset {
        var rng = SeededRNG(seed: seed)
        var rows: [[Float]] = []
        for i in 0..<(normal + anomalies) {
            var row = (0..<Self.width).map { _ in rng.normal() }
            row[2] = 0.8 * row[0] + 0.6 * row[2]
            if i >= normal { row[Self.plantedColumn(i - normal)] += 5 }
            rows.append(row)
        }
        let columns = (0..<Self.width).map { Column(name: "c\($0)", kind: .numeric(integer: false)) }
        return try Dataset(features: try Tensor(rows: rows), columns: columns,
                           labels: [UInt8](repeating: 0, count: normal) + [UInt8](repeating: 1, count: anomalies))
    }

    private func trained(_ kind: String, _ configure: (inout DetectorSettings) -> Void = { _ in }) throws -> any ExplainableDetector {
        var settings = DetectorSettings()
        settings.epochs = 40
        configure(&settings)
        let detector = try XCTUnwrap(try ModelRegistry.detector(kind).make(settings) as? any ExplainableDetector, kind)
        var rng = SeededRNG(seed: 3)
        try detector.fit(try planted(normal: 1500, anomalies: 150, seed: 1), using: &rng)
        return detector
    }

    /// The share of the test anomalies whose largest contribution is their planted column.
    private func hitRate(_ attributions: Attributions, _ test: Dataset) -> Double {
        let anomalies = test.indices(ofClass: 1)
        let hits = anomalies.enumerated().filter { k, r in
            (0..<Self.width).max { attributions.values[r, $0] < attributions.values[r, $1] } == Self.plantedColumn(k)
        }
        return Double(hits.count) / Double(anomalies.count)
    }

    private func logit(_ p: Float) -> Double { Foundation.log(Double(p) / (1 - Double(p))) }

    func test_xgboost_contributionsPlusBias_areTheMargin_andNameThePlantedColumn() throws {
        let detector = try trained("xgboost")
        let test = try planted(normal: 300, anomalies: 40, seed: 2)
        let attributions = try detector.attributions(test)
        let scores = try detector.score(test)
        var checked = 0
        for (total, score) in zip(attributions.totals, scores) where score > 0.01 && score < 0.99 {
            XCTAssertEqual(Double(total), logit(score), accuracy: 1e-5)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5, "rows whose log-odds a float score pins down")
        XCTAssertGreaterThanOrEqual(hitRate(attributions, test), 0.9)
    }

    func test_autoencoder_hbos_knn_contributions_addUpToTheScore() throws {
        let test = try planted(normal: 300, anomalies: 40, seed: 2)
        let detectors: [any ExplainableDetector] = [try trained("autoencoder") { $0.latentDim = 2 }, try trained("hbos"), try trained("knn")]
        for detector in detectors {
            let attributions = try detector.attributions(test)
            for (total, score) in zip(attributions.totals, try detector.score(test)) {
                XCTAssertEqual(total, score, accuracy: 1e-5 * max(1, abs(score)), detector.kind)
            }
            XCTAssertGreaterThanOrEqual(hitRate(attributions, test), 0.8, detector.kind)
        }
    }

    /// Shapley values by their definition: every subset of the other columns, weighted.
    private func exactShapley(columns: Int, value: ([Bool]) -> Double) -> [Double] {
        var phi = [Double](repeating: 0, count: columns)
        let factorial = { (n: Int) in (1...max(1, n)).reduce(1.0) { $0 * Double($1) } }
        for mask in 0..<(1 << columns) {
            let known = (0..<columns).map { mask & (1 << $0) != 0 }
            let size = known.filter { $0 }.count
            let base = value(known)
            for i in 0..<columns where !known[i] {
                var with = known
                with[i] = true
                phi[i] += factorial(size) * factorial(columns - size - 1) / factorial(columns) * (value(with) - base)
            }
        }
        return phi
    }

    func test_isolationForest_givesExactShapleyValuesOfThePathLength() throws {
        let forest = try XCTUnwrap(try trained("iforest") { $0.trees = 10; $0.sampleSize = 64 } as? IsolationForest)
        let test = try planted(normal: 6, anomalies: 4, seed: 5)
        let attributions = try forest.attributions(test)
        // The path length a row takes when only the known columns are read: a column not
        // known follows both branches, weighted by the training rows that went each way.
        func expected(_ node: Int, _ depth: Int, _ row: Int, _ known: [Bool]) -> Double {
            guard forest.column[node] >= 0 else { return Double(depth) + IsolationForest.averagePathLength(Int(forest.size[node])) }
            let (l, r) = (Int(forest.left[node]), Int(forest.right[node]))
            let split = Int(forest.column[node])
            if known[split] { return expected(test.features[row, split] < forest.value[node] ? l : r, depth + 1, row, known) }
            let total = Double(forest.size[node])
            return (Double(forest.size[l]) * expected(l, depth + 1, row, known) + Double(forest.size[r]) * expected(r, depth + 1, row, known)) / total
        }
        for row in 0..<test.rowCount {
            let phi = exactShapley(columns: Self.width) { known in
                forest.roots.reduce(0) { $0 + expected(Int($1), 0, row, known) } / Double(forest.roots.count)
            }
            for j in 0..<Self.width { XCTAssertEqual(Double(attributions.values[row, j]), -phi[j], accuracy: 1e-5, "row \(row) column \(j)") }
            // Additive: the levels below a training row's mean path length.
            let path = -IsolationForest.averagePathLength(64) * Foundation.log2(Double(try forest.score(test)[row]))
            let mean = forest.roots.reduce(0) { $0 + forest.expectedPathLength(from: Int($1)) } / Double(forest.roots.count)
            XCTAssertEqual(Double(attributions.totals[row]), mean - path, accuracy: 1e-4)
        }
        let wide = try planted(normal: 300, anomalies: 40, seed: 2)
        XCTAssertGreaterThanOrEqual(hitRate(try forest.attributions(wide), wide), 0.8)
    }

    func test_integratedGradients_areComplete_andExactForALinearModel() throws {
        let test = try planted(normal: 300, anomalies: 40, seed: 2)
        let mlp = try trained("mlp")
        let attributions = try mlp.attributions(test)
        for (r, (total, score)) in zip(attributions.totals, try mlp.score(test)).enumerated() where score > 0.001 && score < 0.999 {
            let change = abs(logit(score) - Double(attributions.base[r]))
            XCTAssertEqual(Double(total), logit(score), accuracy: 0.05 * change + 0.02, "row \(r)")
        }
        XCTAssertGreaterThanOrEqual(hitRate(attributions, test), 0.9)
        // A logistic model's Shapley values from the all-zero row are w_j x_j, which the
        // path integral gives exactly.
        let logistic = try trained("logistic")
        let linear = try logistic.attributions(test)
        for row in [0, 1, 300, 301] {
            let phi = exactShapley(columns: Self.width) { known in
                let x = (0..<Self.width).map { known[$0] ? test.features[row, $0] : 0 }
                return self.logit((try? logistic.score(try Dataset(features: try Tensor(rows: [x]), columns: test.columns, labels: [0])))![0])
            }
            for j in 0..<Self.width { XCTAssertEqual(Double(linear.values[row, j]), phi[j], accuracy: 1e-3, "row \(row) column \(j)") }
        }
    }

    func test_attributions_areTheSameBits_atOneAndTwoThreads_andInChunks() throws {
        let test = try planted(normal: 300, anomalies: 40, seed: 2)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        for detector in [try trained("mlp"), try trained("autoencoder"), try trained("iforest") { $0.trees = 10 }, try trained("xgboost")] {
            Parallelism.threads = 1
            let one = try detector.attributions(test)
            Parallelism.threads = 2
            let two = try detector.attributions(test)
            XCTAssertEqual(one.values.scalars.map(\.bitPattern), two.values.scalars.map(\.bitPattern), detector.kind)
            XCTAssertEqual(try detector.attributionsInChunks(test, chunk: 100).values.scalars.map(\.bitPattern),
                           one.values.scalars.map(\.bitPattern), detector.kind)
        }
    }
}
