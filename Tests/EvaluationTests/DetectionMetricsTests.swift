import Evaluation
import TensorCore
import XCTest

/// Expected values computed with scikit-learn 1.x on the same vectors (numbers pinned here).
final class DetectionMetricsTests: XCTestCase {
    private let labels: [UInt8] = [0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1]
    private let scores: [Float] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.05, 0.6, 0.3, 0.55]

    func test_rocAUCAndAveragePrecision_matchScikitLearn() {
        XCTAssertEqual(rocAUC(scores: scores, labels: labels)!, 0.8285714285714285, accuracy: 1e-12)          // roc_auc_score
        XCTAssertEqual(DetectionMetrics.averagePrecision(scores: scores, labels: labels)!, 0.7892857142857141, accuracy: 1e-12)  // average_precision_score
        XCTAssertNil(DetectionMetrics.averagePrecision(scores: scores, labels: [UInt8](repeating: 0, count: 12)))
    }

    func test_thresholdedMetrics_matchScikitLearn() {
        let confusion = DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: 0.4)
        XCTAssertEqual(confusion.f1, 0.6666666666666666, accuracy: 1e-12)         // f1_score
        XCTAssertEqual(confusion.precision, 0.5714285714285714, accuracy: 1e-12)  // precision_score
        XCTAssertEqual(confusion.recall, 0.8, accuracy: 1e-12)                    // recall_score
        XCTAssertEqual([confusion.truePositives, confusion.falsePositives, confusion.trueNegatives, confusion.falseNegatives], [4, 3, 4, 1])
        XCTAssertEqual(confusion.gmean, (0.8 * 4.0 / 7.0).squareRoot(), accuracy: 1e-12)
    }

    func test_thresholdChoices_andPrecisionAtK() {
        let threshold = DetectionMetrics.bestF1Threshold(scores: scores, labels: labels)!
        let chosen = DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: threshold).f1
        for candidate in Set(scores) {
            XCTAssertLessThanOrEqual(DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: candidate).f1, chosen + 1e-12)
        }
        XCTAssertEqual(DetectionMetrics.contaminationThreshold(scores: scores, contamination: 0.25), 0.6, "3 of 12 rows at or above")
        XCTAssertEqual(DetectionMetrics.precisionAtK(scores: scores, labels: labels, k: 3), 2.0 / 3.0)
    }

    func test_bootstrapInterval_containsThePointEstimate_andIsSeeded() {
        let ranked = RankedScores(scores: scores, labels: labels)
        var rng = SeededRNG(seed: 1)
        let interval = ranked.bootstrapInterval(resamples: 500, using: &rng) { $0.rocAUC(counts: $1) }!
        XCTAssertLessThan(interval.low, 0.8285714285714285)
        XCTAssertGreaterThan(interval.high, 0.8285714285714285)
        var again = SeededRNG(seed: 1)
        let repeated = ranked.bootstrapInterval(resamples: 500, using: &again) { $0.rocAUC(counts: $1) }!
        XCTAssertEqual(repeated.low, interval.low)
        XCTAssertEqual(repeated.high, interval.high)
    }

    func test_rankedScores_ofAResample_equalTheMetricsOfItsRows_toTheBit() {
        var rng = SeededRNG(seed: 12)
        // Ties (scores on a coarse grid) and repeated rows, as the bootstrap makes them.
        let scores = (0..<300).map { _ in Float(rng.index(below: 40)) / 8 }
        let labels = scores.map { score -> UInt8 in rng.uniform() < Float(score) / 6 ? 1 : 0 }
        let ranked = RankedScores(scores: scores, labels: labels)
        for _ in 0..<50 {
            let rows = (0..<scores.count).map { _ in rng.index(below: scores.count) }
            let counts = ranked.counts(ofRows: rows)
            XCTAssertEqual(ranked.rocAUC(counts: counts), rocAUC(scores: rows.map { scores[$0] }, labels: rows.map { labels[$0] }))
            XCTAssertEqual(ranked.averagePrecision(counts: counts),
                           DetectionMetrics.averagePrecision(scores: rows.map { scores[$0] }, labels: rows.map { labels[$0] }))
        }
        let none = [Int32](repeating: 0, count: scores.count)
        XCTAssertNil(ranked.rocAUC(counts: none))
        XCTAssertNil(ranked.averagePrecision(counts: none))
    }
}

/// The paired test and the curves behind the report.
final class ComparisonAndCurveTests: XCTestCase {
    /// Expected values from SciPy 1.14 `scipy.stats.wilcoxon(d)` (two-sided, zero_method="wilcox").
    func test_wilcoxon_matchesSciPy() throws {
        let cases: [([Double], Double, Double)] = [
            ([0.01, 0.02, -0.005, 0.03, 0.015], 1.0, 0.125),
            ([0.1, -0.2, 0.3, 0.05, -0.05, 0.12, 0.2], 7.0, 0.3125),
            ([1, 2, 2, -1, 3, 0, 4, -2], 5.5, 0.203125),
        ]
        for (differences, statistic, p) in cases {
            let result = try XCTUnwrap(WilcoxonSignedRank.test(differences))
            XCTAssertEqual(result.statistic, statistic, "\(differences)")
            XCTAssertEqual(result.pValue, p, accuracy: 1e-9, "\(differences)")
            XCTAssertTrue(result.exact)
        }
        XCTAssertNil(WilcoxonSignedRank.test([0, 0, 0.1]), "one non-zero difference is no test")
        let large = (1...60).map { Double($0) * ($0 % 3 == 0 ? -1 : 1) }
        let approximate = try XCTUnwrap(WilcoxonSignedRank.test(large))
        XCTAssertFalse(approximate.exact)
        XCTAssertGreaterThan(approximate.pValue, 0)
        XCTAssertLessThan(approximate.pValue, 0.05, "two thirds positive and larger on average")
    }

    func test_bestF1Threshold_sweep_equalsBruteForce() {
        var rng = SeededRNG(seed: 70)
        for _ in 0..<20 {
            let labels = (0..<80).map { _ in UInt8(rng.uniform() < 0.2 ? 1 : 0) }
            let scores = labels.map { Float(Int((rng.uniform() + Float($0) * 0.5) * 10)) / 10 }  // many ties
            guard labels.contains(1) else { continue }
            let brute = Set(scores).sorted().max { a, b in
                let (x, y) = (DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: a).f1,
                              DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: b).f1)
                return x < y || (x == y && a > b)
            }
            XCTAssertEqual(DetectionMetrics.bestF1Threshold(scores: scores, labels: labels), brute)
            // The midpoint keeps the validation F1 and lies strictly inside the gap below the cut.
            let middle = try! XCTUnwrap(DetectionMetrics.bestF1Threshold(scores: scores, labels: labels, midpoint: true))
            XCTAssertEqual(DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: middle).f1,
                           DetectionMetrics.Confusion(scores: scores, labels: labels, threshold: brute!).f1)
            if let below = scores.filter({ $0 < brute! }).max() { XCTAssertTrue(middle > below && middle < brute!) }
        }
    }

    func test_curves_endPoints_andTheROCAreaIsTheAUC() throws {
        let scores: [Float] = [0.9, 0.8, 0.8, 0.6, 0.5, 0.4, 0.4, 0.2]
        let labels: [UInt8] = [1, 0, 1, 1, 0, 0, 1, 0]
        let roc = try XCTUnwrap(DetectionMetrics.rocCurve(scores: scores, labels: labels))
        XCTAssertEqual(roc.first?.x, 0)
        XCTAssertEqual(roc.first?.y, 0)
        XCTAssertEqual(roc.last?.x, 1)
        XCTAssertEqual(roc.last?.y, 1)
        let area = zip(roc, roc.dropFirst()).reduce(0.0) { $0 + ($1.1.x - $1.0.x) * ($1.1.y + $1.0.y) / 2 }
        XCTAssertEqual(area, try XCTUnwrap(rocAUC(scores: scores, labels: labels)), accuracy: 1e-12, "trapezoids with ties as diagonals")
        let pr = try XCTUnwrap(DetectionMetrics.precisionRecallCurve(scores: scores, labels: labels))
        XCTAssertEqual(pr.last?.x, 1)
        XCTAssertEqual(pr.last?.y, 0.5, "all rows predicted: precision is the anomaly share")
        XCTAssertNil(DetectionMetrics.rocCurve(scores: [1, 2], labels: [0, 0]))
        XCTAssertNil(DetectionMetrics.precisionRecallCurve(scores: [1, 2], labels: [0, 0]))
    }
}
