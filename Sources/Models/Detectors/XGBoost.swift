import CXGBoost
import Foundation

/// A failed XGBoost C API call: the function and XGBoost's own message.
public struct XGBoostError: Error, CustomStringConvertible {
    public let description: String
}

/// XGBoost's C API (the system's `libxgboost`), wrapped: every call's status checked and
/// turned into an `XGBoostError`, handles freed with their owners.
enum XGBoost {
    /// Runs a C API call; a non-zero status becomes an error naming `function`.
    static func call(_ function: String, _ status: Int32) throws {
        guard status != 0 else { return }
        let message = XGBGetLastError().map { String(cString: $0) } ?? "no message"
        throw XGBoostError(description: "XGBoost \(function) failed: \(message)")
    }

    /// XGBoost's own logging silenced once per process (warnings would reach the terminal
    /// around the progress display); errors still arrive through `call`.
    static let quiet: Void = {
        _ = XGBSetGlobalConfig(#"{"verbosity": 0}"#)
    }()

    /// A dense matrix of rows with labels and row weights (`DMatrix`).
    final class Matrix {
        fileprivate let handle: DMatrixHandle

        /// - Parameters:
        ///   - values: `rows · columns` values, row-major.
        ///   - labels: one per row, or empty.
        ///   - weights: one per row, or empty for equal weights.
        init(values: [Float], rows: Int, columns: Int, labels: [Float] = [], weights: [Float] = []) throws {
            _ = XGBoost.quiet
            var handle: DMatrixHandle?
            try call("XGDMatrixCreateFromMat", XGDMatrixCreateFromMat(values, UInt64(rows), UInt64(columns), .nan, &handle))
            guard let handle else { throw XGBoostError(description: "XGBoost XGDMatrixCreateFromMat returned no matrix") }
            self.handle = handle
            if !labels.isEmpty { try call("XGDMatrixSetFloatInfo(label)", XGDMatrixSetFloatInfo(handle, "label", labels, UInt64(labels.count))) }
            if !weights.isEmpty { try call("XGDMatrixSetFloatInfo(weight)", XGDMatrixSetFloatInfo(handle, "weight", weights, UInt64(weights.count))) }
        }

        deinit { XGDMatrixFree(handle) }
    }

    /// A gradient-boosted model (`Booster`).
    final class Booster {
        private let handle: BoosterHandle
        /// Kept alive while the booster may refer to them (its prediction cache does).
        private let cached: [Matrix]

        private init(handle: BoosterHandle, cached: [Matrix]) {
            self.handle = handle
            self.cached = cached
        }

        /// A new booster caching predictions for `matrices` (training and evaluation data).
        convenience init(caching matrices: [Matrix], parameters: [(String, String)]) throws {
            _ = XGBoost.quiet
            var handle: BoosterHandle?
            var handles: [DMatrixHandle?] = matrices.map(\.handle)
            try call("XGBoosterCreate", XGBoosterCreate(&handles, UInt64(handles.count), &handle))
            guard let handle else { throw XGBoostError(description: "XGBoost XGBoosterCreate returned no booster") }
            self.init(handle: handle, cached: matrices)
            for (name, value) in parameters { try set(name, value) }
        }

        /// A booster read from XGBoost's JSON model format.
        convenience init(json: String, parameters: [(String, String)]) throws {
            try self.init(caching: [], parameters: [])
            let bytes = Array(json.utf8)
            try call("XGBoosterLoadModelFromBuffer", XGBoosterLoadModelFromBuffer(handle, bytes, UInt64(bytes.count)))
            for (name, value) in parameters { try set(name, value) }
        }

        deinit { XGBoosterFree(handle) }

        func set(_ name: String, _ value: String) throws {
            try call("XGBoosterSetParam(\(name))", XGBoosterSetParam(handle, name, value))
        }

        /// Adds one boosting round's trees fitted to `data`.
        func update(round: Int, data: Matrix) throws {
            try call("XGBoosterUpdateOneIter", XGBoosterUpdateOneIter(handle, Int32(round), data.handle))
        }

        /// The evaluation metric on each named matrix after `round`, in order.
        func evaluate(round: Int, _ matrices: [(name: String, matrix: Matrix)]) throws -> [Double] {
            var handles: [DMatrixHandle?] = matrices.map(\.matrix.handle)
            let names = matrices.map { strdup($0.name) }
            defer { names.forEach { free($0) } }
            var constNames = names.map { UnsafePointer($0) }
            var result: UnsafePointer<CChar>?
            try call("XGBoosterEvalOneIter", XGBoosterEvalOneIter(handle, Int32(round), &handles, &constNames, UInt64(handles.count), &result))
            // "[3]\ttrain-logloss:0.41\tvalidation-logloss:0.45"
            let fields = String(cString: result!).split(separator: "\t").dropFirst()
            let values = fields.compactMap { $0.split(separator: ":").last.flatMap { Double($0) } }
            guard values.count == matrices.count else {
                throw XGBoostError(description: "XGBoost XGBoosterEvalOneIter gave '\(String(cString: result!))', expected \(matrices.count) metrics")
            }
            return values
        }

        /// The first `rounds` rounds' trees as a booster of their own.
        func prefix(rounds: Int) throws -> Booster {
            var sliced: BoosterHandle?
            try call("XGBoosterSlice", XGBoosterSlice(handle, 0, Int32(rounds), 1, &sliced))
            guard let sliced else { throw XGBoostError(description: "XGBoost XGBoosterSlice returned no booster") }
            return Booster(handle: sliced, cached: [])
        }

        /// What `predict` computes: XGBoost's prediction types.
        enum Prediction: Int {
            /// The predicted value (a probability for `binary:logistic`) of each row.
            case value = 0
            /// Each row's feature contributions to the margin (TreeSHAP), then its bias:
            /// `columns + 1` values per row, summing to the margin (the log-odds).
            case contributions = 2
        }

        /// The prediction of each row, row-major (`Prediction`).
        func predict(_ data: Matrix, _ type: Prediction = .value) throws -> [Float] {
            var shape: UnsafePointer<UInt64>?
            var dimensions: UInt64 = 0
            var result: UnsafePointer<Float>?
            let options = #"{"type": \#(type.rawValue), "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}"#
            try call("XGBoosterPredictFromDMatrix", XGBoosterPredictFromDMatrix(handle, data.handle, options, &shape, &dimensions, &result))
            guard let shape, let result, dimensions >= 1 else { return [] }
            let count = (0..<Int(dimensions)).reduce(1) { $0 * Int(shape[$1]) }
            return Array(UnsafeBufferPointer(start: result, count: count))
        }

        /// The model in XGBoost's JSON format (what `xgboost.Booster.load_model` reads).
        func json() throws -> String {
            var length: UInt64 = 0
            var bytes: UnsafePointer<CChar>?
            try call("XGBoosterSaveModelToBuffer", XGBoosterSaveModelToBuffer(handle, #"{"format": "json"}"#, &length, &bytes))
            guard let bytes else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
        }
    }
}
