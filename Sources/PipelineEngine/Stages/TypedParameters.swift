import Datasets
import Foundation

extension JSONValue {
    /// The validated parameters of a stage as a typed value (absent keys keep the type's defaults).
    /// - Throws: `StageError` naming the stage and the parameter that does not fit.
    func decoded<T: Decodable>(_ type: T.Type, stage: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(canonical.utf8)) } catch {
            throw StageError("stage \(stage): parameters: \(describeDecodingProblem(error))")
        }
    }
}
