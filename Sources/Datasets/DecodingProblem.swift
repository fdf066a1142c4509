import Foundation

/// What a `DecodingError` means, in one line a user can act on: where in the document
/// (`columns[2].kind`) and what was wrong, without Swift's debug text.
public func describeDecodingProblem(_ error: Error) -> String {
    func place(_ path: [CodingKey]) -> String {
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
    }
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        return "missing '\(key.stringValue)' at \(place(context.codingPath))"
    case DecodingError.typeMismatch(let type, let context):
        return "expected \(type) at \(place(context.codingPath))"
    case DecodingError.valueNotFound(let type, let context):
        return "expected \(type), found null at \(place(context.codingPath))"
    case DecodingError.dataCorrupted(let context):
        let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "not valid JSON" + (context.codingPath.isEmpty ? "" : " at \(place(context.codingPath))")
            + (detail.map { ": \($0)" } ?? (context.debugDescription.isEmpty ? "" : ": \(context.debugDescription)"))
    default:
        return "\(error)"
    }
}
