/// A tensor operation was given operands whose shapes, axes or indices do not fit.
///
/// The message names the operation and every shape involved, so that a caller
/// can report it without knowing how the operation is implemented.
public struct ShapeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The operation that refused its operands, e.g. `"matmul"`.
    public let operation: String
    /// What was wrong, naming the shapes, e.g. `"inner dimensions differ: [2, 3] x [4, 5]"`.
    public let message: String

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}

/// Formats a shape the way error messages print it: `[2, 3]`.
@inlinable
public func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
