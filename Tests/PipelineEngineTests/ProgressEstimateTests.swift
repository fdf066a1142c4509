import Foundation
@testable import PipelineEngine
import TensorCore
import XCTest

/// The time left, by stage type, and the one warning when a run looks long.
final class ProgressEstimateTests: XCTestCase {
    private func outcome(_ id: String, _ seconds: Double) -> RunSummary.StageOutcome {
        RunSummary.StageOutcome(id: id, status: .ran, key: "", seconds: seconds, outputs: [:])
    }

    func test_aLongRun_isSaidOnce_namingTheStageTypeThatDominates() {
        let reporter = ProgressReporter(style: .quiet)
        let generators = (0..<12).map { ("gen\($0)", "train_generator") }
        reporter.begin(stages: [("raw", "ingest"), ("prep", "preprocess")] + generators + [("eval", "evaluate")])
        reporter.stageFinished(outcome("raw", 1))
        reporter.stageFinished(outcome("prep", 1))
        XCTAssertNil(reporter.longRunMessage, "no estimate of a type before one of it ran")
        reporter.stageFinished(outcome("gen0", 400))
        let message = try? XCTUnwrap(reporter.longRunMessage)
        XCTAssertTrue(message?.hasPrefix("this run looks long: about ") == true, message ?? "")
        XCTAssertTrue(message?.contains("mostly train_generator (11 stages left, about 6:40 each so far)") == true, message ?? "")
        reporter.stageFinished(outcome("gen1", 400))
        XCTAssertEqual(reporter.longRunMessage, message, "said once")
        let short = ProgressReporter(style: .quiet)
        short.begin(stages: [("raw", "ingest"), ("gen", "train_generator"), ("gen2", "train_generator")])
        short.stageFinished(outcome("raw", 1))
        short.stageFinished(outcome("gen", 30))
        XCTAssertNil(short.longRunMessage, "a short run is not warned of")
    }
}
