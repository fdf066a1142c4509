/// A stage could not do its work; the runner prefixes the stage id.
public struct StageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
