/// Which column holds the label and which of its values mark an anomaly.
public struct LabelSpec: Equatable, Sendable, Codable {
    public var column: String
    /// Values (compared as trimmed text) that mean "anomaly"; every other value is normal.
    public var positive: [String]

    public init(column: String, positive: [String]) {
        self.column = column
        self.positive = positive
    }
}

/// A column type given by the user instead of inferred.
public enum DeclaredType: String, Sendable, Codable, CaseIterable {
    case numeric, integer, categorical
}
