import Foundation
import TensorCore

/// How numeric columns are scaled.
public enum Scaling: String, Codable, Sendable, CaseIterable {
    /// (x - mean) / standard deviation.
    case standard
    /// (x - min) / (max - min), into [0, 1].
    case minmax
    /// (x - median) / interquartile range: insensitive to outliers.
    case robust
    /// Images: one range for every value (the training rows' minimum to maximum, e.g.
    /// 0-255) mapped to [-1, 1], the range of a tanh generator.
    case pixels
    /// Unchanged.
    case none
}

/// How missing values (NaN) are filled.
public enum Imputation: String, Codable, Sendable, CaseIterable {
    /// Numeric: the training mean; categorical: the most frequent category.
    case mean
    /// Numeric: the training median; categorical: the most frequent category.
    case median
    /// The most frequent value of the training rows.
    case mostFrequent = "most_frequent"
    /// Rows with any missing value are removed.
    case dropRows = "drop_rows"
}

/// What to do with a category that the training rows never showed.
public enum UnknownCategory: String, Codable, Sendable, CaseIterable {
    /// Encode it as all zeros in its one-hot group.
    case ignore
    /// Refuse the data, naming the row and column.
    case error
}

/// Settings of a fitted preprocessing transform.
public struct PreprocessOptions: Codable, Equatable, Sendable {
    public var scaling: Scaling = .standard
    public var imputation: Imputation = .mean
    public var unknownCategories: UnknownCategory = .ignore
    /// Drop columns that are constant on the training rows (restored on inverse).
    public var dropConstantColumns = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case scaling, imputation
        case unknownCategories = "unknown_categories"
        case dropConstantColumns = "drop_constant_columns"
    }
}

/// A fitted, invertible map from a dataset's original columns to model space:
/// imputation, scaling of numeric columns, one-hot groups for categorical columns,
/// constant columns set aside. Fitted on training rows only; saved with the data.
public struct Transform: Codable, Equatable, Sendable {
    /// What happens to one input column.
    public enum Step: Codable, Equatable, Sendable {
        /// `(x - center) / scale`; missing values become `fill` first.
        case scale(center: Float, scale: Float, fill: Float)
        /// One indicator column per category seen in training (indices into the input's
        /// categories); with `other`, those categories share one more indicator, `NAME=(other)`
        /// (the rarer ones of a column with more than `maxCategories`, most frequent first).
        case oneHot(categories: [Int], fill: Int, other: [Int]? = nil)
        /// Constant on the training rows: dropped, restored as `value`.
        case constant(value: Float)
    }

    public var options: PreprocessOptions
    /// The input schema.
    public var inputColumns: [Column]
    /// One step per input column.
    public var steps: [Step]

    /// Fits the transform on training rows.
    /// - Parameter maxCategories: a categorical column with more categories in training keeps
    ///   indicators for the `maxCategories - 1` most frequent and one for all the others.
    /// - Throws: `DatasetError` when there are no rows or a column is entirely missing.
    public static func fit(_ data: Dataset, options: PreprocessOptions, maxCategories: Int? = nil,
                           source: String = "preprocess") throws -> Transform {
        guard data.rowCount > 0 else { throw DatasetError(source, "no training rows to fit the preprocessing on") }
        if options.scaling == .pixels { return try fitPixels(data, options: options, source: source) }
        if !data.rowShape.isEmpty && options.dropConstantColumns {
            throw DatasetError(source, "image data (rows of shape \(describe(data.rowShape))) would lose constant pixels and its shape: "
                               + "use scale \"pixels\" (or drop_constant_columns false)")
        }
        var steps: [Step] = []
        for (j, column) in data.columns.enumerated() {
            let values = (0..<data.rowCount).map { data.features[$0, j] }
            let present = values.filter { !$0.isNaN }.sorted()
            guard !present.isEmpty else {
                throw DatasetError(source, "column '\(column.name)' has no values in the training rows")
            }
            let mostFrequent = Transform.mostFrequent(present)
            if options.dropConstantColumns, present.first == present.last, present.count == values.count {
                steps.append(.constant(value: present[0]))
                continue
            }
            switch column.kind {
            case .categorical:
                let seen = Array(Set(present.map { Int($0) })).sorted()
                guard let cap = maxCategories, seen.count > cap else {
                    steps.append(.oneHot(categories: seen, fill: Int(mostFrequent)))
                    continue
                }
                // Most frequent first, ties by category; the first cap - 1 keep their own column.
                let counts = Dictionary(present.map { (Int($0), 1) }, uniquingKeysWith: +)
                let byFrequency = seen.sorted { counts[$0]! > counts[$1]! || (counts[$0]! == counts[$1]! && $0 < $1) }
                steps.append(.oneHot(categories: Array(byFrequency.prefix(cap - 1)).sorted(), fill: Int(mostFrequent),
                                     other: Array(byFrequency.dropFirst(cap - 1))))
            case .numeric:
                let mean = present.reduce(0.0) { $0 + Double($1) } / Double(present.count)
                let fill: Float
                switch options.imputation {
                case .mean: fill = Float(mean)
                case .median: fill = quantile(present, 0.5)
                case .mostFrequent, .dropRows: fill = mostFrequent
                }
                var center: Float = 0, scale: Float = 1
                switch options.scaling {
                case .standard:
                    let variance = present.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(present.count)
                    center = Float(mean)
                    scale = Float(variance.squareRoot())
                case .minmax:
                    center = present[0]
                    scale = present[present.count - 1] - present[0]
                case .robust:
                    center = quantile(present, 0.5)
                    scale = quantile(present, 0.75) - quantile(present, 0.25)
                    if scale == 0 { scale = present[present.count - 1] - present[0] }
                case .pixels, .none: break
                }
                steps.append(.scale(center: center, scale: scale > 0 && scale.isFinite ? scale : 1, fill: fill))
            }
        }
        return Transform(options: options, inputColumns: data.columns, steps: steps)
    }

    /// Images: every pixel kept (constant ones too, or the image would lose its shape) and
    /// mapped by one affine map from the training rows' value range to [-1, 1].
    private static func fitPixels(_ data: Dataset, options: PreprocessOptions, source: String) throws -> Transform {
        let (low, high) = data.features.withUnsafeBufferPointer { values in
            values.reduce((Float.infinity, -Float.infinity)) { range, x in x.isNaN ? range : (min(range.0, x), max(range.1, x)) }
        }
        guard low.isFinite, high.isFinite else { throw DatasetError(source, "the training rows hold no pixel values") }
        let center = (low + high) / 2, scale = high > low ? (high - low) / 2 : 1
        if let categorical = data.columns.first(where: { $0.categories != nil }) {
            throw DatasetError(source, "scale \"pixels\" needs numeric columns; '\(categorical.name)' is categorical")
        }
        let steps = [Step](repeating: .scale(center: center, scale: scale, fill: center), count: data.columns.count)
        return Transform(options: options, inputColumns: data.columns, steps: steps)
    }

    /// Checks a transform read from a file before it is applied: one step per input column,
    /// finite centres, fills and constants, non-zero finite scales, and one-hot groups over
    /// categories the column has (each once, an "other" group non-empty and disjoint).
    /// - Throws: `DatasetError` naming `source`, the step and its column.
    public func check(source: String) throws {
        guard steps.count == inputColumns.count else {
            throw DatasetError(source, "the transform has \(steps.count) steps for \(inputColumns.count) columns; it needs one step per column")
        }
        for (j, step) in steps.enumerated() {
            let column = inputColumns[j]
            func fail(_ message: String) -> DatasetError { DatasetError(source, "transform step \(j) (column '\(column.name)'): \(message)") }
            switch step {
            case .scale(let center, let scale, let fill):
                guard center.isFinite, fill.isFinite else { throw fail("centre \(center) and fill \(fill) must be finite") }
                guard scale.isFinite, scale != 0 else { throw fail("scale \(scale) must be finite and not 0") }
            case .constant(let value):
                guard value.isFinite else { throw fail("constant \(value) must be finite") }
            case .oneHot(let categories, _, let other):
                guard let names = column.categories else { throw fail("a one-hot step needs a categorical column") }
                let all = categories + (other ?? [])
                guard all.allSatisfy({ $0 >= 0 && $0 < names.count }) else {
                    throw fail("categories \(all) must be indices below the column's \(names.count) categories")
                }
                guard Set(all).count == all.count else { throw fail("a category appears twice among \(all)") }
                if let other, other.isEmpty { throw fail("an \"other\" group must hold at least one category") }
            }
        }
    }

    /// The model-space schema: numeric columns keep their names, one-hot columns are
    /// `name=category` with the input name as `originalName`; constant columns are gone.
    public var outputColumns: [Column] {
        zip(inputColumns, steps).flatMap { column, step -> [Column] in
            switch step {
            case .constant: return []
            case .scale: return [Column(name: column.name, kind: .numeric(integer: false))]
            case .oneHot(let categories, _, let other):
                let names = column.categories ?? []
                return categories.map {
                    Column(name: "\(column.name)=\($0 < names.count ? names[$0] : String($0))", kind: .numeric(integer: true),
                           originalName: column.name)
                } + (other == nil ? [] : [Column(name: "\(column.name)=(other)", kind: .numeric(integer: true), originalName: column.name)])
            }
        }
    }

    /// How a column's values map to the fitted categories when the data was read with a
    /// category list of its own (another file lists categories in another order, or reads
    /// a column of number-like categories as numbers).
    private struct CategoryTranslation {
        /// The data's own categories (nil: it was read as numbers).
        let given: [String]?
        /// The fitted index of each of the data's categories (-1: not seen in training).
        let indices: [Int]?
        /// The fitted categories by name, for number-valued data.
        let byName: [String: Int]

        func translate(_ value: Float) -> Int {
            if let indices { return Int(value) >= 0 && Int(value) < indices.count ? indices[Int(value)] : -1 }
            return byName[name(value)] ?? -1
        }

        func name(_ value: Float) -> String {
            if let given, Int(value) >= 0, Int(value) < given.count { return given[Int(value)] }
            return value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }

    private func categoryTranslations(_ columns: [Column], source: String) throws -> [CategoryTranslation?] {
        try zip(inputColumns, columns).map { fitted, given in
            guard let names = fitted.categories else {
                if given.categories != nil {
                    throw DatasetError(source, "column '\(given.name)' is categorical here but was numeric in the training rows")
                }
                return nil
            }
            if given.categories == names { return nil }
            let byName = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
            return CategoryTranslation(given: given.categories, indices: given.categories.map { $0.map { byName[$0] ?? -1 } }, byName: byName)
        }
    }

    /// Maps a dataset with the input schema into model space. Categories are matched by
    /// name, so the data may come from another file than the training rows.
    /// - Throws: `DatasetError` when the schema differs, or (with `unknown_categories: error`)
    ///   a category was not seen in training, naming the row and column.
    public func apply(_ data: Dataset, source: String = "preprocess") throws -> Dataset {
        guard data.columns.map(\.name) == inputColumns.map(\.name) else {
            throw DatasetError(source, "columns \(data.columns.map(\.name)) differ from the fitted \(inputColumns.map(\.name))")
        }
        let translations = try categoryTranslations(data.columns, source: source)
        var keep = Array(0..<data.rowCount)
        if options.imputation == .dropRows {
            keep = keep.filter { row in (0..<inputColumns.count).allSatisfy { !data.features[row, $0].isNaN } }
        }
        let output = outputColumns
        var values = [Float](repeating: 0, count: keep.count * output.count)
        for (r, row) in keep.enumerated() {
            var k = r * output.count
            for (j, step) in steps.enumerated() {
                let x = data.features[row, j]
                switch step {
                case .constant: continue
                case .scale(let center, let scale, let fill):
                    values[k] = ((x.isNaN ? fill : x) - center) / scale
                    k += 1
                case .oneHot(let categories, let fill, let other):
                    let category = x.isNaN ? fill : translations[j].map { $0.translate(x) } ?? Int(x)
                    if let slot = categories.firstIndex(of: category) {
                        values[k + slot] = 1
                    } else if let other, other.contains(category) {
                        values[k + categories.count] = 1
                    } else if options.unknownCategories == .error {
                        let name = translations[j]?.name(x) ?? inputColumns[j].categories.flatMap { category >= 0 && category < $0.count ? $0[category] : nil } ?? String(category)
                        throw DatasetError(source, line: row + 1, "column '\(inputColumns[j].name)': category '\(name)' was not seen in the training rows")
                    }
                    k += categories.count + (other == nil ? 0 : 1)
                }
            }
        }
        var result = try data.rows(keep)
        result.features = try Tensor(shape: [keep.count, output.count], scalars: values)
        result.columns = output
        return result
    }

    /// Maps model-space rows back to the input columns: scaling undone, integer
    /// columns rounded, each one-hot group to its category by argmax, constants restored.
    /// - Throws: `DatasetError` when the data does not have the model-space width.
    public func inverse(_ data: Dataset, source: String = "inverse transform") throws -> Dataset {
        let width = outputColumns.count
        guard data.features.rank == 2, data.features.shape[1] == width else {
            throw DatasetError(source, "expected \(width) model-space columns, got \(describe(data.features.shape))")
        }
        let rows = data.rowCount
        var values = [Float](repeating: 0, count: rows * inputColumns.count)
        data.features.withUnsafeBufferPointer { source in
            for r in 0..<rows {
                var k = r * width
                for (j, step) in steps.enumerated() {
                    let out = r * inputColumns.count + j
                    switch step {
                    case .constant(let value):
                        values[out] = value
                    case .scale(let center, let scale, _):
                        var x = source[k] * scale + center
                        if case .numeric(true) = inputColumns[j].kind { x = x.rounded() }
                        values[out] = x
                        k += 1
                    case .oneHot(let categories, _, let other):
                        // The "other" indicator maps back to the most frequent of its categories.
                        let slots = categories + (other.map { [$0[0]] } ?? [])
                        var best = 0
                        for slot in 1..<max(slots.count, 1) where source[k + slot] > source[k + best] { best = slot }
                        values[out] = slots.isEmpty ? .nan : Float(slots[best])
                        k += slots.count
                    }
                }
            }
        }
        var result = data
        result.features = try Tensor(shape: [rows, inputColumns.count], scalars: values)
        result.columns = inputColumns
        return result
    }

    static func quantile(_ sorted: [Float], _ q: Double) -> Float {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        let weight = Float(position - Double(low))
        return sorted[low] * (1 - weight) + sorted[high] * weight
    }

    static func mostFrequent(_ sorted: [Float]) -> Float {
        var best = sorted[0], bestCount = 0, run = 0
        for (i, value) in sorted.enumerated() {
            run = i > 0 && sorted[i - 1] == value ? run + 1 : 1
            if run > bestCount { best = value; bestCount = run }
        }
        return best
    }
}
