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
        var rng = SeededRNG(seed: 1)
        let interval = DetectionMetrics.bootstrapInterval(scores: scores, labels: labels, resamples: 500, using: &rng) { rocAUC(scores: $0, labels: $1) }!
        XCTAssertLessThan(interval.low, 0.8285714285714285)
        XCTAssertGreaterThan(interval.high, 0.8285714285714285)
        var again = SeededRNG(seed: 1)
        let repeated = DetectionMetrics.bootstrapInterval(scores: scores, labels: labels, resamples: 500, using: &again) { rocAUC(scores: $0, labels: $1) }!
        XCTAssertEqual(repeated.low, interval.low)
        XCTAssertEqual(repeated.high, interval.high)
    }
}
