/// Which column holds the label and which of its values mark an anomaly.
public struct LabelSpec: Equatable, Sendable, Codable {
    public var column: String
    /// Values (compared as trimmed text) that mean "anomaly"; every other value is normal.
    public var positive: [String]
    /// Whether the anomaly values may be missing from the data (a file of normal rows
    /// only); otherwise their absence is an error, as it usually means a typo.
    public var mayBeAbsent: Bool

    public init(column: String, positive: [String], mayBeAbsent: Bool = false) {
        self.column = column
        self.positive = positive
        self.mayBeAbsent = mayBeAbsent
    }
}

/// A column type given by the user instead of inferred.
public enum DeclaredType: String, Sendable, Codable, CaseIterable {
    case numeric, integer, categorical
}
