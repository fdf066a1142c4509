import Foundation
import TensorCore
import XCTest

final class FastMathTests: XCTestCase {
    func test_exp_isWithinAFewUlpOfTheCLibrary() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            let lanes = FastMath.exp(FastMath.Lanes(repeating: x))
            let reference = Foundation.exp(x)
            worst = max(worst, abs(lanes[0] - reference) / reference)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertEqual(FastMath.exp(FastMath.Lanes(repeating: 0))[0], 1)
    }

    func test_log1pUnit_isAccurateOverZeroToOne_includingTinyArguments() {
        var worst: Double = 0
        for e in stride(from: Float(0), through: 1, by: 0.00037) + [1e-10, 1e-20, 3e-8] {
            let value = Double(FastMath.log1pUnit(FastMath.Lanes(repeating: e))[0])
            let reference = Foundation.log1p(Double(e))
            worst = max(worst, abs(value - reference) / max(reference, 1e-30))
        }
        XCTAssertLessThan(worst, 4e-7)
    }

    func test_tanh_isAccurateOnBothBranches() throws {
        var worst: Float = 0
        for x in stride(from: Float(-12), through: 12, by: 0.0031) + [1e-6, -1e-6, 0.6249, 0.6251] {
            let value = FastMath.tanh(FastMath.Lanes(repeating: x))[0]
            let reference = Float(Foundation.tanh(Double(x)))
            worst = max(worst, abs(value - reference) / max(abs(reference), 1e-30))
        }
        XCTAssertLessThan(worst, 5e-7)
        let tensor = try Tensor(shape: [11], scalars: (0..<11).map { Float($0) - 5 })
        XCTAssertEqual(tensor.tanh().scalars.map { ($0 * 1e5).rounded() }, tensor.scalars.map { (Float(Foundation.tanh(Double($0))) * 1e5).rounded() })
    }

    func test_sigmoid_matchesTheDefinition_atEveryLength() throws {
        for count in [1, 7, 8, 9, 100] {
            let x = try Tensor(shape: [count], scalars: (0..<count).map { Float($0) * 0.37 - 15 })
            for (value, input) in zip(x.sigmoid().scalars, x.scalars) {
                XCTAssertEqual(value, Float(1 / (1 + Foundation.exp(-Double(input)))), accuracy: 2e-7 * max(1, value))
            }
        }
    }
}
