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
            ? [indices(ofClass: 0), indices(ofClass: 1)]
            : [Array(0..<rowCount)]
        var testRows: [Int] = []
        for group in groups where !group.isEmpty {
            var shuffled = group
            rng.shuffle(&shuffled)
            let take = Int((Double(group.count) * testFraction).rounded())
            testRows += shuffled.prefix(min(take, group.count))
        }
        return try partition(test: testRows, source: source, setting: "test_fraction \(testFraction)")
    }

    /// One fold of a seeded (stratified) k-fold split: the rows of fold `fold` are the test
    /// part. Every fold of the same seed partitions the rows, so the k test parts together
    /// hold each row exactly once.
    public func foldSplit(folds: Int, fold: Int, stratify: Bool, using rng: inout SeededRNG,
                          source: String = "split") throws -> (train: Dataset, test: Dataset) {
        guard folds >= 2, fold >= 0, fold < folds else {
            throw DatasetError(source, "split.fold must be in 0..<\(folds) and split.folds at least 2, got fold \(fold) of \(folds)")
        }
        let groups: [[Int]] = stratify ? [indices(ofClass: 0), indices(ofClass: 1)] : [Array(0..<rowCount)]
        var testRows: [Int] = [], position = 0
        for group in groups where !group.isEmpty {
            var shuffled = group
            rng.shuffle(&shuffled)
            for row in shuffled {
                if position % folds == fold { testRows.append(row) }
                position += 1
            }
        }
        return try partition(test: testRows, source: source, setting: "\(folds) folds")
    }

    private func partition(test testRows: [Int], source: String, setting: String) throws -> (train: Dataset, test: Dataset) {
        let inTest = Set(testRows)
        let trainRows = (0..<rowCount).filter { !inTest.contains($0) }
        guard !trainRows.isEmpty, !testRows.isEmpty else {
            throw DatasetError(source, "\(rowCount) rows with \(setting) leave an empty part")
        }
        return (try rows(trainRows), try rows(testRows.sorted()))
    }
}
