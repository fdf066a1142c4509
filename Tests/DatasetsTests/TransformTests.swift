import Datasets
import TensorCore
import TestSupport
import XCTest

final class TransformTests: XCTestCase {
    /// amount (real), count (integer), colour (categorical), constant.
    private func sample() throws -> Dataset {
        try readCSV("amount,count,colour,site\n1.5,3,red,A\n,4,green,A\n2.5,5,,A\n4.0,10,red,A\n",
                    options: CSVOptions(), chunk: 64)
    }

    func test_applyThenInverse_restoresTheOriginalValues() throws {
        let data = try sample()
        for scaling in Scaling.allCases where scaling != .pixels {  // pixels: images only (ImageModelTests)
            var options = PreprocessOptions()
            options.scaling = scaling
            options.imputation = .median
            let transform = try Transform.fit(data, options: options)
            let model = try transform.apply(data)
            XCTAssertEqual(model.columns.map(\.name), ["amount", "count", "colour=red", "colour=green"], "\(scaling)")
            XCTAssertEqual(model.columns[2].originalName, "colour")
            let back = try transform.inverse(model)
            XCTAssertEqual(back.columns, data.columns)
            XCTAssertEqual(back.features[0, 0], 1.5, accuracy: 1e-5)
            XCTAssertEqual(back.features[1, 0], 2.5, accuracy: 1e-5, "missing amount imputed with the median")
            XCTAssertEqual(back.features[2, 2], 0, "missing colour imputed with the most frequent (red)")
            XCTAssertEqual(back.features[3, 1], 10)
            XCTAssertEqual(back.features[0, 3], 0, "the constant column comes back")
        }
    }

    func test_standardScaling_givesZeroMeanUnitVariance_onTrainingRows() throws {
        let transform = try Transform.fit(try sample(), options: PreprocessOptions())
        let model = try transform.apply(try sample())
        let count = (0..<4).map { model.features[$0, 1] }
        XCTAssertEqual(count.reduce(0, +) / 4, 0, accuracy: 1e-5)
        XCTAssertEqual(count.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-4)
    }

    func test_inverse_roundsIntegerColumns_andTakesArgmaxOfOneHotGroups() throws {
        let data = try sample()
        let transform = try Transform.fit(data, options: PreprocessOptions())
        var model = try transform.apply(data)
        // A synthetic row: count between integers, colour scores that favour green.
        model.features = try Tensor(rows: [[0.1, 0.33, 0.2, 0.7]])
        model.labels = [1]
        model.provenance = [0]
        let back = try transform.inverse(model)
        XCTAssertEqual(back.features[0, 1], back.features[0, 1].rounded())
        XCTAssertEqual(back.features[0, 2], 1, "green")
    }

    /// max_categories 3: the two most frequent categories keep their columns, the rest share
    /// `(other)`; a category never seen is still unknown; the inverse maps `(other)` to its
    /// most frequent category.
    func test_manyCategories_shareAnOtherColumn() throws {
        // Frequencies: d 4, a 3, c 2, b 1, e 1.
        let data = try readCSV("c,x\na,1\na,2\na,3\nb,4\nc,5\nc,6\nd,7\nd,8\nd,9\nd,10\ne,11\n")
        let transform = try Transform.fit(data, options: PreprocessOptions(), maxCategories: 3)
        let model = try transform.apply(data)
        XCTAssertEqual(model.columns.map(\.name), ["c=a", "c=d", "c=(other)", "x"])
        XCTAssertEqual(Set(model.columns.prefix(3).map(\.originalName)), ["c"], "one one-hot group")
        XCTAssertEqual((0..<11).map { model.features[$0, 2] }, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1], "b, c and e are other")
        XCTAssertEqual((0..<11).map { model.features[$0, 0] + model.features[$0, 1] + model.features[$0, 2] }, [Float](repeating: 1, count: 11))
        var other = model
        other.features = try Tensor(rows: [[0.1, 0.2, 0.9, 0]])
        (other.labels, other.provenance) = ([1], [0])
        let back = try transform.inverse(other)
        XCTAssertEqual(data.columns[0].categories?[Int(back.features[0, 0])], "c", "the most frequent of the others")
        XCTAssertEqual(try Transform.fit(data, options: PreprocessOptions(), maxCategories: 5).outputColumns.count, 6, "5 categories fit: no other")
    }

    func test_unknownCategory_isIgnoredOrRefused() throws {
        let train = try readCSV("c,x\na,1\nb,2\n")
        var test = try readCSV("c,x\na,1\nb,2\nz,3\n")
        test.columns = train.columns  // the same schema, with index 2 never seen in training
        test.features = try Tensor(rows: [[0, 1], [2, 3]])
        test.labels = [0, 0]
        test.provenance = [0, 0]
        let ignoring = try Transform.fit(train, options: PreprocessOptions())
        XCTAssertEqual(try ignoring.apply(test).features[1, 0], 0)
        XCTAssertEqual(try ignoring.apply(test).features[1, 1], 0)
        var strict = PreprocessOptions()
        strict.unknownCategories = .error
        let refusing = try Transform.fit(train, options: strict)
        XCTAssertTrue(errorMessage { try refusing.apply(test) }.contains("category '2' was not seen"), errorMessage { try refusing.apply(test) })
    }

    /// A test file read on its own lists categories in its own order, and may read a
    /// column of number-like categories as numbers: categories are matched by name.
    func test_categoriesOfAnotherFile_areMatchedByName() throws {
        let train = try readCSV("c,d,x\nred,2,1\nblue,5more,2\nred,2,3\n")
        let test = try readCSV("c,d,x\nblue,2,1\nred,2,2\ngreen,2,3\n")
        XCTAssertEqual(train.columns[0].categories, ["red", "blue"])
        XCTAssertEqual(test.columns[0].categories, ["blue", "red", "green"])
        XCTAssertNil(test.columns[1].categories, "read as numbers")
        let transform = try Transform.fit(train, options: PreprocessOptions())
        let names = transform.outputColumns.map(\.name)
        let applied = try transform.apply(test)
        func value(_ row: Int, _ column: String) -> Float { applied.features[row, names.firstIndex(of: column)!] }
        XCTAssertEqual([value(0, "c=blue"), value(0, "c=red"), value(0, "d=2"), value(0, "d=5more")], [1, 0, 1, 0])
        XCTAssertEqual([value(1, "c=blue"), value(1, "c=red")], [0, 1])
        XCTAssertEqual([value(2, "c=blue"), value(2, "c=red")], [0, 0], "green was never seen: all zeros")
        var strict = PreprocessOptions()
        strict.unknownCategories = .error
        XCTAssertEqual(errorMessage { try Transform.fit(train, options: strict).apply(test) },
                       "preprocess:3: column 'c': category 'green' was not seen in the training rows")
        let numericTrain = try readCSV("c,x\n1,1\n2,2\n"), categoricalTest = try readCSV("c,x\na,1\n")
        XCTAssertEqual(errorMessage { try Transform.fit(numericTrain, options: PreprocessOptions()).apply(categoricalTest) },
                       "preprocess: column 'c' is categorical here but was numeric in the training rows")
    }

    func test_dropRows_removesRowsWithMissingValues() throws {
        var options = PreprocessOptions()
        options.imputation = .dropRows
        let data = try sample()
        let transform = try Transform.fit(data, options: options)
        XCTAssertEqual(try transform.apply(data).rowCount, 2)
    }

    func test_stratifiedSplit_keepsClassShares_andIsSeeded() throws {
        let rows = (0..<100).map { "\($0),\($0 < 10 ? 1 : 0)" }.joined(separator: "\n")
        let data = try readCSV("x,y\n" + rows + "\n", label: LabelSpec(column: "y", positive: ["1"]), chunk: 4096)
        var rng = SeededRNG(seed: 3)
        let (train, test) = try data.split(testFraction: 0.3, stratify: true, using: &rng)
        XCTAssertEqual(train.rowCount + test.rowCount, 100)
        XCTAssertEqual(test.anomalyCount, 3)
        XCTAssertEqual(train.anomalyCount, 7)
        var again = SeededRNG(seed: 3)
        XCTAssertEqual(try data.split(testFraction: 0.3, stratify: true, using: &again).test, test)
        XCTAssertTrue(errorMessage { try data.split(testFraction: 1.5, stratify: true, using: &rng) }.contains("between 0 and 1"))
    }

    func test_columnWithoutValues_cannotBeFitted() {
        XCTAssertTrue(errorMessage { try Transform.fit(try readCSV("a,b\n,1\n,2\n"), options: PreprocessOptions()) }
            .contains("column 'a' has no values"))
    }
}

final class FoldSplitTests: XCTestCase {
    func test_folds_partitionTheRows_stratified_andSeeded() throws {
        var rng = SeededRNG(seed: 1)
        let labels = (0..<103).map { UInt8($0 % 10 == 0 ? 1 : 0) }  // 11 anomalies
        let data = try Dataset(features: Tensor.normal([103, 2], using: &rng),
                               columns: [Column(name: "a", kind: .numeric(integer: false)), Column(name: "b", kind: .numeric(integer: false))],
                               labels: labels)
        var seen: [Float] = []
        for fold in 0..<5 {
            var seeded = SeededRNG(seed: 9)
            let (train, test) = try data.foldSplit(folds: 5, fold: fold, stratify: true, using: &seeded)
            XCTAssertEqual(train.rowCount + test.rowCount, 103)
            XCTAssertTrue((2...3).contains(test.anomalyCount), "stratified: \(test.anomalyCount)")
            seen += test.features.scalars
        }
        XCTAssertEqual(seen.sorted(), data.features.scalars.sorted(), "each row is tested exactly once")
        var seeded = SeededRNG(seed: 9)
        XCTAssertEqual(errorMessage { try data.foldSplit(folds: 5, fold: 5, stratify: true, using: &seeded) },
                       "split: split.fold must be in 0..<5 and split.folds at least 2, got fold 5 of 5")
    }
}
