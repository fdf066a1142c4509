import TensorCore

/// The blocks of a model-space row: single numeric columns and one-hot groups (the
/// consecutive columns that a categorical column became, sharing `originalName`).
public struct ColumnGroups: Equatable, Sendable {
    public enum Block: Equatable, Sendable {
        case numeric(Int)
        case oneHot(Range<Int>)
    }

    public let blocks: [Block]
    public let width: Int

    /// Groups the columns of a model-space dataset.
    public init(_ columns: [Column]) {
        var blocks: [Block] = []
        var j = 0
        while j < columns.count {
            if let original = columns[j].originalName {
                var end = j + 1
                while end < columns.count, columns[end].originalName == original { end += 1 }
                blocks.append(.oneHot(j..<end))
                j = end
            } else {
                blocks.append(.numeric(j))
                j += 1
            }
        }
        self.blocks = blocks
        width = columns.count
    }

    /// Numeric column indices.
    public var numericColumns: [Int] { blocks.compactMap { if case .numeric(let j) = $0 { return j }; return nil } }
    /// One-hot groups.
    public var oneHotGroups: [Range<Int>] { blocks.compactMap { if case .oneHot(let r) = $0 { return r }; return nil } }
}
