import TensorCore

extension Dataset {
    /// Splits rows into train and test parts, by seed, keeping each class's share
    /// (`stratify`) or not. Row order within each part follows the input.
    /// - Parameter testFraction: in (0, 1).
    /// - Throws: `DatasetError` when a part would be empty.
    public func split(testFraction: Double, stratify: Bool, using rng: inout SeededRNG, source: String = "split") throws -> (train: Dataset, test: Dataset) {
        guard testFraction > 0, testFraction < 1 else {
            throw DatasetError(source, "test_fraction must be between 0 and 1, got \(testFraction)")
        }
        let groups: [[Int]] = stratify
            ? [(0..<rowCount).filter { labels[$0] == 0 }, (0..<rowCount).filter { labels[$0] == 1 }]
            : [Array(0..<rowCount)]
        var testRows: [Int] = []
        for group in groups where !group.isEmpty {
            var shuffled = group
            rng.shuffle(&shuffled)
            let take = Int((Double(group.count) * testFraction).rounded())
            testRows += shuffled.prefix(min(take, group.count))
        }
        let inTest = Set(testRows)
        let trainRows = (0..<rowCount).filter { !inTest.contains($0) }
        guard !trainRows.isEmpty, !testRows.isEmpty else {
            throw DatasetError(source, "\(rowCount) rows with test_fraction \(testFraction) leave an empty part")
        }
        return (try rows(trainRows), try rows(testRows.sorted()))
    }
}
